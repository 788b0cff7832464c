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
from tests.jurisdiction import scoped_route, unscoped_route

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


# --- Case reports and duplicates (services/cases.py, services/dedup.py) -------------------------


def _case_officer(division_code: str) -> User:
    username = f"walker-cases-{division_code}"
    return User.objects.filter(username=username).first() or make_user(
        Role.COUNTY_OFFICER, division_code, username=username)


def _case_input(division_code: str, **over: Any) -> dict[str, Any]:
    diagnosed = timezone.now() - timedelta(days=1)
    body = f"{division_code[:6]}19850312135"
    data: dict[str, Any] = {
        "disease": "covid19", "classification": "suspected", "name": "王芳",
        "id_type": "resident_id", "id_number": body + resident_id_check_char(body),
        "division_code": division_code, "diagnosed_at": diagnosed,
        "reported_at": diagnosed + timedelta(hours=1), "reporting_facility": "武汉市第一医院",
        "reporting_division_code": division_code[:6],
    }
    data.update(over)
    return data


def _case(division_code: str) -> Any:
    from shouwang.surveillance.services.cases import case_report_submit

    case, _ = case_report_submit(actor=_case_officer(division_code),
                                 data=_case_input(division_code))
    return case


def _revoked_case(division_code: str) -> dict[str, Any]:
    from shouwang.surveillance.services.cases import case_report_revoke

    case = case_report_revoke(actor=_case_officer(division_code), case=_case(division_code),
                              version=1, reason="walker")
    return {"case_id": case.pk}


def _merged_case(division_code: str) -> dict[str, Any]:
    from shouwang.surveillance.services.cases import case_report_submit

    _case(division_code)
    result = case_report_submit(actor=_case_officer(division_code),
                                data=_case_input(division_code, classification="confirmed"))
    assert result.duplicate is not None
    return {"case_id": result.duplicate.pk}


def _candidate(division_code: str) -> dict[str, Any]:
    from shouwang.surveillance.models import DuplicateCandidate
    from shouwang.surveillance.services.cases import case_report_submit

    for hours in (30, 20):
        case_report_submit(actor=_case_officer(division_code), data=_case_input(
            division_code, id_type="none", id_number="", birth_date="1985-03-12",
            diagnosed_at=timezone.now() - timedelta(hours=hours),
            reported_at=timezone.now() - timedelta(hours=hours - 1)))
    return {"candidate_id": DuplicateCandidate.objects.latest("pk").pk}


scoped_route("api:case_report_detail")(lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_history")(lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_correct", method="post",
             body={"version": 1, "changes": {"occupation": "worker"}, "reason": "walker"})(
    lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_reclassify", method="post",
             body={"version": 1, "classification": "confirmed", "reason": "walker"})(
    lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_outcome", method="post",
             body={"version": 1, "outcome": "recovered",
                   "outcome_date": (timezone.localdate()).isoformat()})(
    lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_verify", method="post", body={"version": 1})(
    lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_revoke", method="post", body={"version": 1, "reason": "walker"})(
    lambda code: {"case_id": _case(code).pk})
scoped_route("api:case_report_restore", method="post", body={"version": 2})(_revoked_case)
scoped_route("api:case_report_unmerge", method="post", body={"version": 1})(_merged_case)
scoped_route("api:duplicate_candidate_merge", method="post")(_candidate)
scoped_route("api:duplicate_candidate_dismiss", method="post", body={"reason": "walker"})(
    _candidate)


# --- Import batches and export jobs (api/imports.py, views/imports.py, views/exports.py) -------


def _import_batch(division_code: str, *, run: bool = False) -> dict[str, Any]:
    """A line list of `division_code` uploaded by its county officer; with `run`, imported
    (one row of it is an error, so the batch has an errors file)."""
    from shouwang.core.jobs import job_run
    from shouwang.surveillance.services.imports import import_start, import_upload
    from tests.surveillance.test_import_api import csv_bytes, line_list_rows

    user = _case_officer(division_code)
    batch = import_upload(actor=user, file_name="walker.csv",
                          content=csv_bytes(line_list_rows(division_code)))
    if run:
        job = import_start(actor=user, batch=batch, mapping=batch.mapping)
        job_run(job_id=job.pk)
    return {"batch_id": batch.pk}


def _import_mapping() -> dict[str, str]:
    from shouwang.surveillance.services.import_io import match_header
    from tests.surveillance.test_import_api import HEADERS

    return {h: str(match_header(h)) for h in HEADERS}


scoped_route("api:import_batch_detail")(_import_batch)
scoped_route("api:import_batch_preview", method="post", body={"limit": 2})(_import_batch)
scoped_route("api:import_batch_start", method="post", body={"mapping": _import_mapping()})(
    _import_batch)
scoped_route("api:import_batch_errors")(lambda code: _import_batch(code, run=True))
scoped_route("surveillance:import-detail")(_import_batch)
unscoped_route("surveillance:export-job",
               "owner-only: another user's export job is 404 (tests/surveillance/"
               "test_import_views.py); the job carries its owner's jurisdiction")


# --- Case pages (views/case_detail.py, case_form.py, case_duplicates.py; decision 0610) --------


def _case_page(division_code: str) -> dict[str, Any]:
    return {"case_id": _case(division_code).pk}


scoped_route("surveillance:case-detail")(_case_page)
scoped_route("surveillance:case-correct")(_case_page)
scoped_route("surveillance:case-reclassify", method="post",
             body={"version": 1, "classification": "confirmed", "reason": "walker"})(_case_page)
scoped_route("surveillance:case-outcome", method="post",
             body={"version": 1, "outcome": "recovered",
                   "outcome_date": timezone.localdate().isoformat()})(_case_page)
scoped_route("surveillance:case-verify", method="post", body={"version": 1})(_case_page)
scoped_route("surveillance:case-revoke", method="post",
             body={"version": 1, "reason": "walker"})(_case_page)
scoped_route("surveillance:case-restore", method="post", body={"version": 2})(_revoked_case)
scoped_route("surveillance:case-unmerge", method="post", body={"version": 1})(_merged_case)
scoped_route("surveillance:case-duplicate-merge", method="post")(_candidate)
scoped_route("surveillance:case-duplicate-dismiss", method="post",
             body={"reason": "walker"})(_candidate)
