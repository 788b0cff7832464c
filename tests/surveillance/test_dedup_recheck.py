"""Deduplication runs again when a report's identity changes: a correction of the ID number (or
of what the candidates match on) and the restoring of a revoked report."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.surveillance.models import (
    CaseReport,
    CaseStatus,
    DuplicateCandidate,
    HistoryKind,
    LabResult,
    ReportTask,
    TaskStatus,
)
from shouwang.surveillance.services.cases import (
    case_report_correct,
    case_report_restore,
    case_report_revoke,
    case_report_submit,
)
from shouwang.surveillance.services.labs import lab_result_submit
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer, resident_id
from tests.surveillance.test_labs import lab_data

OTHER_ID = resident_id("420106", "19900101", "245")  # a man born 1 January 1990


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def _at(days: float) -> dict[str, Any]:
    diagnosed = timezone.now() - timedelta(days=days)
    return {"diagnosed_at": diagnosed, "reported_at": diagnosed + timedelta(hours=1),
            "onset_date": None}


def _no_id(**over: Any) -> dict[str, Any]:
    return case_data(id_type="none", id_number="", **over)


@pytest.mark.django_db
def test_a_correction_adding_the_id_merges_into_the_persons_active_case(wuchang):
    existing, _ = case_report_submit(actor=wuchang, data=case_data(classification="suspected",
                                                                   **_at(10)))
    other, created = case_report_submit(actor=wuchang, data=_no_id(name="张卫", **_at(2)))
    assert created and other.status == CaseStatus.ACTIVE

    fresh = case_report_correct(actor=wuchang, case=other, version=other.version,
                                changes={"id_type": "resident_id", "id_number": ZHANG_WEI,
                                         "name": "张伟"},
                                reason="补录身份证号")
    assert fresh.status == CaseStatus.MERGED and fresh.merged_into_id == existing.pk
    assert list(fresh.history.order_by("version").values_list("kind", flat=True)) == [
        HistoryKind.CREATE, HistoryKind.CORRECT, HistoryKind.MERGE]
    existing.refresh_from_db()
    # The duplicate is more definitive (confirmed): the existing case is upgraded, as on submit.
    assert existing.classification == "confirmed"
    assert [k for k in existing.history.order_by("version").values_list("kind", flat=True)] == [
        HistoryKind.CREATE, HistoryKind.MERGE, HistoryKind.RECLASSIFY]


@pytest.mark.django_db
def test_a_correction_changing_the_id_to_another_persons_merges(wuchang):
    existing, _ = case_report_submit(actor=wuchang, data=case_data(id_number=OTHER_ID,
                                                                   sex="M", **_at(6)))
    mine, _ = case_report_submit(actor=wuchang, data=case_data(**_at(3)))
    fresh = case_report_correct(actor=wuchang, case=mine, version=mine.version,
                                changes={"id_number": OTHER_ID, "birth_date": date(1990, 1, 1),
                                         "age_years": None},
                                reason="证件号码录错")
    assert (fresh.status, fresh.merged_into_id) == (CaseStatus.MERGED, existing.pk)


@pytest.mark.django_db
def test_a_correction_that_keeps_the_person_unique_stays_active(wuchang):
    mine, _ = case_report_submit(actor=wuchang, data=_no_id(**_at(3)))
    fresh = case_report_correct(actor=wuchang, case=mine, version=mine.version,
                                changes={"id_type": "resident_id", "id_number": OTHER_ID,
                                         "sex": "M"},
                                reason="补录身份证号")
    assert fresh.status == CaseStatus.ACTIVE and fresh.merged_into_id is None
    assert fresh.history.count() == 2


@pytest.mark.django_db
def test_a_correction_without_id_proposes_candidates(wuchang):
    first, _ = case_report_submit(actor=wuchang, data=_no_id(name="王芳", phone="13900139000",
                                                             **_at(8)))
    second, _ = case_report_submit(actor=wuchang, data=_no_id(name="王方", phone="13900139000",
                                                              **_at(2)))
    assert not DuplicateCandidate.objects.exists()  # names differ: nothing to propose yet
    case_report_correct(actor=wuchang, case=second, version=second.version,
                        changes={"name": "王芳"}, reason="姓名录错")
    pair = DuplicateCandidate.objects.get()
    assert {pair.case_id, pair.other_id} == {first.pk, second.pk}
    assert "phone" in pair.reasons


@pytest.mark.django_db
def test_a_correction_adding_the_id_resolves_the_open_report_task(divisions, make_user):
    lab = make_user(Role.LABORATORY, "420106", username="recheck-lab")
    county = officer("420106")
    positive, _ = lab_result_submit(actor=lab, data=lab_data(id_number=ZHANG_WEI, name="张伟"))
    task = ReportTask.objects.get(lab_result=positive)
    assert task.status == TaskStatus.OPEN

    case, _ = case_report_submit(actor=county, data=_no_id())
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN  # no ID number on the report: nothing to match yet
    fresh = case_report_correct(actor=county, case=case, version=case.version,
                                changes={"id_type": "resident_id", "id_number": ZHANG_WEI},
                                reason="补录身份证号")
    task.refresh_from_db()
    assert (task.status, task.case_id) == (TaskStatus.DONE, fresh.pk)
    assert LabResult.objects.get(pk=positive.pk).case_id == fresh.pk


@pytest.mark.django_db
def test_restoring_a_report_whose_person_was_reported_again_merges_it(wuchang):
    old, _ = case_report_submit(actor=wuchang, data=case_data(classification="confirmed",
                                                              **_at(9)))
    revoked = case_report_revoke(actor=wuchang, case=old, version=old.version, reason="误报")
    # Meanwhile the same person is reported again; nothing to merge with, so it is a new case.
    again, created = case_report_submit(actor=wuchang, data=case_data(
        classification="suspected", **_at(4)))
    assert created

    restored = case_report_restore(actor=wuchang, case=revoked, version=revoked.version,
                                   reason="误删")
    assert (restored.status, restored.merged_into_id) == (CaseStatus.MERGED, again.pk)
    assert list(restored.history.order_by("version").values_list("kind", flat=True))[-2:] == [
        HistoryKind.RESTORE, HistoryKind.MERGE]
    again.refresh_from_db()
    assert again.status == CaseStatus.ACTIVE and again.classification == "confirmed"
    assert CaseReport.objects.filter(status=CaseStatus.ACTIVE).count() == 1


@pytest.mark.django_db
def test_restoring_a_report_alone_leaves_it_active(wuchang):
    case, _ = case_report_submit(actor=wuchang, data=case_data(**_at(3)))
    revoked = case_report_revoke(actor=wuchang, case=case, version=case.version, reason="误报")
    restored = case_report_restore(actor=wuchang, case=revoked, version=revoked.version)
    assert restored.status == CaseStatus.ACTIVE and restored.merged_into_id is None
