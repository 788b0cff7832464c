"""Case-report services: submit, idempotency, corrections with optimistic concurrency, status
changes, bulk changes, history and audit."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.audit import MASK
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.surveillance.models import (
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    HistoryKind,
)
from shouwang.surveillance.services import cases as svc
from shouwang.surveillance.services.cases import CaseConflict, case_report_submit
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer, resident_id


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def submit(actor: Any, **over: Any) -> CaseReport:
    case, created = case_report_submit(actor=actor, data=case_data(**over))
    assert created
    return case


# --- submit ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_stores_the_report_with_deadlines_history_and_audit(wuchang):
    data = case_data()
    case, created = case_report_submit(actor=wuchang, data=data)
    assert created
    case.refresh_from_db()
    assert case.name == "张伟" and case.id_number == ZHANG_WEI
    assert case.sex == "M" and case.age_years is not None
    assert case.report_deadline_at == data["diagnosed_at"] + timedelta(hours=24)
    assert case.verification_due_at == data["reported_at"] + timedelta(hours=24)
    assert case.version == 1 and case.status == CaseStatus.ACTIVE
    (h,) = case.history.all()
    assert h.kind == HistoryKind.CREATE and h.version == 1
    assert h.changes["name"] == [None, MASK] and h.changes["id_number"] == [None, MASK]
    event = AuditEvent.objects.get(object_type="surveillance.casereport",
                                   object_id=str(case.pk), action=AuditAction.CREATE)
    assert "张伟" not in str(event.changes) and ZHANG_WEI not in str(event.changes)


@pytest.mark.django_db
def test_class_a_reports_are_verified_within_two_hours(wuchang):
    case = submit(wuchang, disease="plague")
    assert case.verification_due_at == case.reported_at + timedelta(hours=2)
    assert case.report_deadline_at == case.diagnosed_at + timedelta(hours=2)


@pytest.mark.django_db
def test_same_source_key_returns_the_stored_report(wuchang):
    data = case_data()
    first, created = case_report_submit(actor=wuchang, data=data, source_key="his-0001")
    again, created_again = case_report_submit(actor=wuchang, data=data, source_key="his-0001")
    assert created and not created_again and again.pk == first.pk
    assert CaseReport.objects.count() == 1


@pytest.mark.django_db
def test_a_different_payload_under_a_used_key_is_refused(wuchang):
    case_report_submit(actor=wuchang, data=case_data(), source_key="his-0002")
    with pytest.raises(InvalidInput) as exc:
        case_report_submit(actor=wuchang, data=case_data(name="李娜"), source_key="his-0002")
    assert "source_key" in exc.value.fields


@pytest.mark.django_db
def test_a_key_used_outside_the_jurisdiction_says_only_that_it_is_taken(wuchang):
    case_report_submit(actor=wuchang, data=case_data(), source_key="his-0003")
    hongshan = officer("420111")
    with pytest.raises(InvalidInput) as exc:
        case_report_submit(actor=hongshan, data=case_data(division_code="420111"),
                           source_key="his-0003")
    assert [str(m) for m in exc.value.fields["source_key"]] == ["该来源键已被其他记录使用。"]


@pytest.mark.django_db
def test_submit_outside_the_jurisdiction_is_a_field_error(wuchang):
    with pytest.raises(InvalidInput) as exc:
        case_report_submit(actor=wuchang, data=case_data(division_code="420111"))
    assert "division_code" in exc.value.fields
    assert CaseReport.objects.count() == 0


@pytest.mark.django_db
def test_submit_needs_surveillance_write(divisions):
    lab = officer("420106", role=Role.LABORATORY)
    with pytest.raises(PermissionDenied):
        case_report_submit(actor=lab, data=case_data())


@pytest.mark.django_db
def test_bad_input_writes_nothing(wuchang):
    with pytest.raises(InvalidInput) as exc:
        case_report_submit(actor=wuchang, data=case_data(division_code="999999",
                                                         diagnosed_at="tomorrow"))
    assert {"division_code", "diagnosed_at"} <= set(exc.value.fields)
    assert CaseReport.objects.count() == 0 and CaseReportHistory.objects.count() == 0


@pytest.mark.django_db
def test_hostile_text_is_stored_verbatim(wuchang):
    hostile = "<img src=x onerror=alert(1)>'); DROP TABLE surveillance_casereport;--"
    case = submit(wuchang, name=hostile[:64], reporting_facility=hostile,
                  address_detail=hostile, id_type="none", id_number="",
                  birth_date="1985-03-12")
    case.refresh_from_db()
    assert case.name == hostile[:64]
    assert case.reporting_facility == hostile and case.address_detail == hostile


# --- corrections and optimistic concurrency -------------------------------------------------


@pytest.mark.django_db
def test_correct_changes_fields_bumps_the_version_and_keeps_a_masked_diff(wuchang):
    case = submit(wuchang)
    fresh = svc.case_report_correct(actor=wuchang, case=case, version=1,
                                    changes={"phone": "13912345678", "occupation": "worker"},
                                    reason="电话号码录入错误")
    assert fresh.version == 2 and fresh.phone == "13912345678" and fresh.occupation == "worker"
    h = fresh.history.get(version=2)
    assert h.kind == HistoryKind.CORRECT and h.reason == "电话号码录入错误"
    assert h.changes["phone"] == [MASK, MASK]
    assert h.changes["occupation"] == ["teacher", "worker"]
    # The lookup hash follows the new number.
    assert CaseReport.objects.filter(phone_hash=svc.crypto.keyed_hash("13912345678", "phone"),
                                     pk=case.pk).exists()


@pytest.mark.django_db
def test_correct_revalidates_the_whole_report(wuchang):
    case = submit(wuchang)
    with pytest.raises(InvalidInput) as exc:
        svc.case_report_correct(actor=wuchang, case=case, version=1,
                                changes={"onset_date": case.diagnosed_at.date()
                                         + timedelta(days=5)}, reason="订正发病日期")
    assert "onset_date" in exc.value.fields
    with pytest.raises(InvalidInput):
        svc.case_report_correct(actor=wuchang, case=case, version=1,
                                changes={"status": "revoked"}, reason="x")
    with pytest.raises(InvalidInput):
        svc.case_report_correct(actor=wuchang, case=case, version=1,
                                changes={"occupation": "worker"}, reason="")


@pytest.mark.django_db
def test_correcting_the_diagnosis_time_moves_the_deadline(wuchang):
    case = submit(wuchang)
    new = case.diagnosed_at - timedelta(hours=5)
    fresh = svc.case_report_correct(actor=wuchang, case=case, version=1,
                                    changes={"diagnosed_at": new}, reason="诊断时间订正")
    assert fresh.report_deadline_at == new + timedelta(hours=24)


@pytest.mark.django_db
def test_two_officers_editing_the_same_case_the_second_is_told(wuchang):
    case = submit(wuchang)
    colleague = officer("420106", username="officer-wuchang-2")
    # Both read version 1.
    mine = CaseReport.objects.get(pk=case.pk)
    theirs = CaseReport.objects.get(pk=case.pk)
    svc.case_report_correct(actor=wuchang, case=mine, version=mine.version,
                            changes={"occupation": "worker"}, reason="职业订正")
    with pytest.raises(CaseConflict) as exc:
        svc.case_report_correct(actor=colleague, case=theirs, version=theirs.version,
                                changes={"occupation": "farmer"}, reason="职业订正")
    assert "已被他人修改" in exc.value.message
    case.refresh_from_db()
    assert case.occupation == "worker" and case.version == 2
    assert case.history.count() == 2


@pytest.mark.django_db
def test_the_conditional_update_refuses_a_stale_version_even_after_the_read(wuchang):
    """Race: the row changes between the version check and the UPDATE."""
    case = submit(wuchang)
    real_filter = CaseReport.objects.filter

    calls = {"n": 0}

    def racing_filter(*args: Any, **kwargs: Any) -> Any:
        if "version" in kwargs and calls["n"] == 0:
            calls["n"] += 1
            # Another writer commits between our check and our UPDATE.
            real_filter(pk=case.pk).update(version=9)
        return real_filter(*args, **kwargs)

    import unittest.mock as mock
    with mock.patch.object(CaseReport.objects, "filter", side_effect=racing_filter), \
            pytest.raises(CaseConflict):
        svc.case_report_reclassify(actor=wuchang, case=case, version=1,
                                   classification="suspected", reason="x")
    # Our transaction rolled back (with the simulated writer's change, which shared it).
    case.refresh_from_db()
    assert case.classification == "confirmed"
    assert not case.history.filter(kind=HistoryKind.RECLASSIFY).exists()


@pytest.mark.django_db
def test_reclassify_outcome_verify_revoke_restore(wuchang):
    case = submit(wuchang, classification="suspected")
    case = svc.case_report_reclassify(actor=wuchang, case=case, version=1,
                                      classification="confirmed", reason="核酸检测阳性")
    assert case.classification == "confirmed" and case.version == 2
    with pytest.raises(InvalidInput):
        svc.case_report_reclassify(actor=wuchang, case=case, version=2,
                                   classification="confirmed", reason="x")
    today = timezone.localdate()
    with pytest.raises(InvalidInput) as exc:
        svc.case_report_set_outcome(actor=wuchang, case=case, version=2, outcome="died",
                                    outcome_date=None)
    assert "outcome_date" in exc.value.fields
    case = svc.case_report_set_outcome(actor=wuchang, case=case, version=2,
                                       outcome="recovered", outcome_date=today)
    assert case.outcome == "recovered" and case.version == 3
    case = svc.case_report_verify(actor=wuchang, case=case, version=3)
    assert case.verified_at is not None and case.verified_by_id == wuchang.pk
    with pytest.raises(InvalidInput):
        svc.case_report_verify(actor=wuchang, case=case, version=4)
    with pytest.raises(InvalidInput):
        svc.case_report_revoke(actor=wuchang, case=case, version=4, reason=" ")
    case = svc.case_report_revoke(actor=wuchang, case=case, version=4, reason="误报")
    assert case.status == CaseStatus.REVOKED and case.revoked_reason == "误报"
    case = svc.case_report_restore(actor=wuchang, case=case, version=5, reason="经核实非误报")
    assert case.status == CaseStatus.ACTIVE and case.revoked_reason == ""
    kinds = list(case.history.order_by("version").values_list("kind", flat=True))
    assert kinds == ["create", "reclassify", "outcome", "verify", "revoke", "restore"]
    assert AuditEvent.objects.filter(object_type="surveillance.casereport",
                                     object_id=str(case.pk),
                                     action=AuditAction.UPDATE).count() == 5


# --- bulk -------------------------------------------------------------------------------------


def _many(actor: Any, n: int) -> list[int]:
    ids = []
    for i in range(n):
        case, _ = case_report_submit(actor=actor, data=case_data(
            id_number=resident_id("420106", "19900101", f"{i:03d}"), classification="suspected"))
        ids.append(case.pk)
    return ids


@pytest.mark.django_db
def test_bulk_verify_300_is_fast_set_based_and_skips_what_it_cannot_touch(wuchang):
    ids = _many(wuchang, 300)
    hongshan = officer("420111")
    other, _ = case_report_submit(actor=hongshan, data=case_data(division_code="420111"))
    svc.case_report_verify(actor=wuchang, case=CaseReport.objects.get(pk=ids[0]), version=1)
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = svc.case_reports_bulk_verify(actor=wuchang, case_ids=[*ids, other.pk])
    elapsed = time.perf_counter() - start
    assert elapsed < 5
    assert len(queries) < 20, len(queries)
    assert sorted(result.changed) == sorted(ids[1:])
    assert sorted(result.skipped) == sorted([ids[0], other.pk])
    assert CaseReport.objects.filter(pk__in=ids, verified_at__isnull=False).count() == 300
    assert CaseReportHistory.objects.filter(kind=HistoryKind.VERIFY).count() == 300
    assert CaseReport.objects.get(pk=ids[5]).version == 2
    assert CaseReport.objects.get(pk=other.pk).verified_at is None


@pytest.mark.django_db
def test_bulk_reclassify_keeps_each_old_classification(wuchang):
    ids = _many(wuchang, 3)
    result = svc.case_reports_bulk_reclassify(actor=wuchang, case_ids=ids,
                                              classification="confirmed",
                                              reason="同批次核酸检测阳性")
    assert sorted(result.changed) == sorted(ids)
    h = CaseReportHistory.objects.get(case_id=ids[0], version=2)
    assert h.changes["classification"] == ["suspected", "confirmed"]
    assert h.reason == "同批次核酸检测阳性"
    with pytest.raises(InvalidInput):
        svc.case_reports_bulk_reclassify(actor=wuchang, case_ids=ids, classification="x",
                                         reason="r")
    with pytest.raises(InvalidInput):
        svc.case_reports_bulk_verify(actor=wuchang, case_ids=[])


# --- daily counts follow the current state ----------------------------------------------------


@pytest.mark.django_db
def test_counts_follow_submit_reclassify_revoke_and_bulk(
    wuchang, django_capture_on_commit_callbacks
):
    from shouwang.surveillance.models import DailyCount

    def confirmed() -> int:
        return sum(DailyCount.objects.filter(county_code="420106", basis="report",
                                             classification="confirmed")
                   .values_list("count", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        case = submit(wuchang, classification="suspected")
    assert confirmed() == 0
    with django_capture_on_commit_callbacks(execute=True):
        case = svc.case_report_reclassify(actor=wuchang, case=case, version=1,
                                          classification="confirmed", reason="核酸阳性")
    assert confirmed() == 1
    with django_capture_on_commit_callbacks(execute=True):
        svc.case_report_revoke(actor=wuchang, case=case, version=2, reason="误报")
    assert confirmed() == 0
    with django_capture_on_commit_callbacks(execute=True):
        ids = _many(wuchang, 3)
        svc.case_reports_bulk_reclassify(actor=wuchang, case_ids=ids,
                                         classification="confirmed", reason="同批次阳性")
    assert confirmed() == 3
