"""Surveillance routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the surveillance app appends their own registrations below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.core.validators import resident_id_check_char
from shouwang.surveillance.services.labs import lab_result_submit
from tests.factories import make_user
from tests.jurisdiction import scoped_route

# --- Lab results and report-due tasks (services/labs.py) ---------------------------------------


def _lab_result(division_code: str) -> dict[str, Any]:
    """A positive result for a person of `division_code`, entered by that county's laboratory
    (a lab of the parent city would let the parent see it through the lab's division anyway)."""
    username = f"walker-lab-{division_code}"
    lab = User.objects.filter(username=username).first() or make_user(
        Role.LABORATORY, division_code, username=username)
    body = f"{division_code[:6]}19900101123"
    tested = timezone.now() - timedelta(hours=1)
    result, _ = lab_result_submit(actor=lab, data={
        "disease": "covid19", "sample_id": "W-1", "sample_type": "throat_swab",
        "sampled_at": tested - timedelta(hours=2), "tested_at": tested, "method": "pcr",
        "result": "positive", "ct_value": 22.0, "laboratory": "walker lab",
        "laboratory_division_code": division_code, "division_code": division_code,
        "name": "walker", "id_number": body + resident_id_check_char(body),
    })
    return {"result_id": result.pk, "task_id": result.report_task.pk}


scoped_route("api:lab_result_detail")(
    lambda code: {"result_id": _lab_result(code)["result_id"]})
scoped_route("api:lab_report_task_cancel", method="post", body={"reason": "walker"})(
    lambda code: {"task_id": _lab_result(code)["task_id"]})
