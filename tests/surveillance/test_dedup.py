"""Deduplication: exact by ID number within the window, candidates without one, merge/unmerge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.surveillance.models import (
    CandidateStatus,
    CaseReport,
    CaseStatus,
    Disease,
    DuplicateCandidate,
    HistoryKind,
)
from shouwang.surveillance.services.cases import case_report_revoke, case_report_submit
from shouwang.surveillance.services.dedup import (
    case_report_unmerge,
    duplicate_candidate_dismiss,
    duplicate_candidate_merge,
    is_upgrade,
)
from tests.surveillance.cases_data import case_data, officer, resident_id


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def _at(days: float) -> dict[str, Any]:
    diagnosed = timezone.now() - timedelta(days=days)
    return {"diagnosed_at": diagnosed, "reported_at": diagnosed + timedelta(hours=1),
            "onset_date": None}


def test_upgrade_order():
    assert is_upgrade("suspected", "clinical") and is_upgrade("clinical", "confirmed")
    assert is_upgrade("asymptomatic", "confirmed")
    assert not is_upgrade("confirmed", "suspected")
    assert not is_upgrade("asymptomatic", "suspected")
    assert not is_upgrade("suspected", "asymptomatic")
    assert not is_upgrade("confirmed", "confirmed")


@pytest.mark.django_db
def test_same_id_and_disease_within_the_window_is_merged_and_upgrades(wuchang):
    first, created = case_report_submit(actor=wuchang,
                                        data=case_data(classification="suspected", **_at(10)))
    result = case_report_submit(actor=wuchang,
                                data=case_data(classification="confirmed", **_at(2)))
    assert created and not result.created
    assert result.case.pk == first.pk and result.duplicate is not None
    dup = CaseReport.objects.get(pk=result.duplicate.pk)
    assert dup.status == CaseStatus.MERGED and dup.merged_into_id == first.pk
    first.refresh_from_db()
    assert first.classification == "confirmed" and first.version == 3
    kinds = list(first.history.order_by("version").values_list("kind", "reason"))
    assert kinds == [("create", ""), ("merge", "重复报告（证件号码相同），已合并。"),
                     ("reclassify", "由重复报告订正")]
    assert dup.history.get(version=1).kind == HistoryKind.CREATE
    assert AuditEvent.objects.filter(object_type="surveillance.casereport",
                                     object_id=str(first.pk)).count() >= 3


@pytest.mark.django_db
def test_a_less_definitive_duplicate_does_not_downgrade(wuchang):
    first, _ = case_report_submit(actor=wuchang, data=case_data(**_at(5)))
    result = case_report_submit(actor=wuchang, data=case_data(classification="suspected",
                                                              **_at(1)))
    assert result.duplicate is not None
    first.refresh_from_db()
    assert first.classification == "confirmed" and first.version == 2


@pytest.mark.django_db
def test_outside_the_window_or_another_disease_is_a_new_case(wuchang):
    Disease.objects.filter(code="covid19").update(dedup_window_days=30)
    case_report_submit(actor=wuchang, data=case_data(**_at(200)))
    assert case_report_submit(actor=wuchang, data=case_data(**_at(1))).created
    assert case_report_submit(actor=wuchang, data=case_data(disease="measles", **_at(1))).created
    assert CaseReport.objects.filter(status=CaseStatus.ACTIVE).count() == 3


@pytest.mark.django_db
def test_a_revoked_report_is_not_a_match(wuchang):
    first, _ = case_report_submit(actor=wuchang, data=case_data(**_at(3)))
    case_report_revoke(actor=wuchang, case=first, version=1, reason="误报")
    assert case_report_submit(actor=wuchang, data=case_data(**_at(1))).created


@pytest.mark.django_db
def test_unmerge_restores_the_report_and_keeps_both_histories(wuchang):
    first, _ = case_report_submit(actor=wuchang, data=case_data(**_at(3)))
    dup = case_report_submit(actor=wuchang, data=case_data(**_at(1))).duplicate
    assert dup is not None
    dup = CaseReport.objects.get(pk=dup.pk)
    back = case_report_unmerge(actor=wuchang, case=dup, reason="经核实为不同病程")
    assert back.status == CaseStatus.ACTIVE and back.merged_into_id is None
    assert back.history.latest("version").kind == HistoryKind.UNMERGE
    first.refresh_from_db()
    assert first.history.latest("version").kind == HistoryKind.UNMERGE
    with pytest.raises(InvalidInput):
        case_report_unmerge(actor=wuchang, case=back)


@pytest.mark.django_db
def test_without_id_candidates_are_proposed_never_merged(wuchang):
    no_id = {"id_type": "none", "id_number": "", "birth_date": "1985-03-12", "sex": "M"}
    a, _ = case_report_submit(actor=wuchang, data=case_data(**no_id, **_at(4)))
    b, created = case_report_submit(actor=wuchang, data=case_data(**no_id, **_at(2)))
    assert created and b.status == CaseStatus.ACTIVE
    cand = DuplicateCandidate.objects.get()
    assert (cand.case_id, cand.other_id) == (b.pk, a.pk)
    assert set(cand.reasons) == {"name", "birth_date", "phone", "sex"} and cand.score == 1.0
    # Same name, another birth date and phone: no candidate.
    case_report_submit(actor=wuchang, data=case_data(
        id_type="none", id_number="", birth_date="1990-01-01", phone="", **_at(1)))
    assert DuplicateCandidate.objects.count() == 1
    survivor = duplicate_candidate_merge(actor=wuchang, candidate=cand)
    assert survivor.pk == a.pk
    b.refresh_from_db()
    assert b.status == CaseStatus.MERGED and b.merged_into_id == a.pk
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.MERGED and cand.decided_by_id == wuchang.pk
    # Undoing the merge reopens the candidate.
    case_report_unmerge(actor=wuchang, case=b)
    cand.refresh_from_db()
    assert cand.status == CandidateStatus.OPEN
    dismissed = duplicate_candidate_dismiss(actor=wuchang, candidate=cand, reason="不同人")
    assert dismissed.status == CandidateStatus.DISMISSED
    with pytest.raises(InvalidInput):
        duplicate_candidate_dismiss(actor=wuchang, candidate=cand)


@pytest.mark.django_db
def test_merging_a_pair_that_reaches_outside_the_jurisdiction_is_404(wuchang):
    no_id = {"id_type": "none", "id_number": "", "birth_date": "1985-03-12"}
    case_report_submit(actor=wuchang, data=case_data(**no_id, **_at(4)))
    case_report_submit(actor=wuchang, data=case_data(**no_id, **_at(2)))
    cand = DuplicateCandidate.objects.get()
    with pytest.raises(Http404):
        duplicate_candidate_merge(actor=officer("420111"), candidate=cand)


@pytest.mark.django_db
def test_an_id_report_is_a_candidate_of_an_earlier_report_without_id(wuchang):
    no_id, _ = case_report_submit(actor=wuchang, data=case_data(
        id_type="none", id_number="", birth_date="1985-03-12", **_at(4)))
    with_id, _ = case_report_submit(actor=wuchang, data=case_data(**_at(2)))
    assert DuplicateCandidate.objects.count() == 1
    # Two reports that both carry (different) ID numbers are never candidates; the new one
    # pairs with the report without a number only.
    third, _ = case_report_submit(actor=wuchang, data=case_data(
        id_number=resident_id(seq="157"), phone="13800138000", **_at(1)))
    pairs = set(DuplicateCandidate.objects.values_list("case_id", "other_id"))
    assert pairs == {(with_id.pk, no_id.pk), (third.pk, no_id.pk)}
