"""Contacts for the contact, hand-over and follow-up tests, registered through the real service.

    contact = make_contact(case, officers["wuchang"], seq=1, residence="420111")
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.core.validators import resident_id_check_char
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import Contact
from shouwang.tracing.services.contacts import contact_register


def resident_id(seq: int, region: str = "420106", birth: str = "19900312") -> str:
    body = f"{region[:6]}{birth}{seq % 1000:03d}"
    return body + resident_id_check_char(body)


def contact_data(seq: int = 1, *, residence: str = "420106", last_exposure: date | None = None,
                 name: str = "李娜", **over: Any) -> dict[str, Any]:
    today = timezone.localdate()
    data: dict[str, Any] = {
        "name": name, "id_type": "resident_id", "id_number": resident_id(seq),
        "phone": "13800138000", "residence_division_code": residence,
        "identified_on": today.isoformat(),
        "last_exposure_on": (last_exposure or today - timedelta(days=2)).isoformat(),
        "quarantine_place": "home",
    }
    data.update(over)
    return data


def make_contact(case: CaseReport, actor: User, seq: int = 1, **over: Any) -> Contact:
    source_key = over.pop("source_key", None)
    contact, _ = contact_register(actor=actor, index_case=case, data=contact_data(seq, **over),
                                  source_key=source_key)
    return contact
