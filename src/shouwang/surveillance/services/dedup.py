"""Deduplication of case reports.

With an ID number the match is exact: the same keyed hash of the number and the same disease
among ACTIVE reports diagnosed within the disease's `dedup_window_days` is the same case, and a
new report is stored merged into the existing one (`same_person_case`, `record_merge`). Without an
ID number nothing is merged silently: pairs that share the disease and the name and either the
birth date or the phone are proposed as DuplicateCandidate rows for an officer to merge or
dismiss. Every merge is audited, kept in the history of both reports, and can be undone
(`case_report_unmerge`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.surveillance.models import (
    CandidateStatus,
    CaseReport,
    CaseStatus,
    Classification,
    DuplicateCandidate,
    HistoryKind,
)
from shouwang.surveillance.services.cases import (
    RANK,
    CaseConflict,
    apply_change,
    clean_reason,
    require_write,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# Weights of the evidence for a candidate pair; the name alone never proposes a pair.
SCORE_NAME = 0.4
SCORE_BIRTH = 0.35
SCORE_PHONE = 0.35
SCORE_SEX = 0.05


def _window_q(case: CaseReport) -> Q:
    window = timedelta(days=case.disease.dedup_window_days)
    return Q(diagnosed_at__gte=case.diagnosed_at - window,
             diagnosed_at__lte=case.diagnosed_at + window)


def same_person_case(case: CaseReport) -> CaseReport | None:
    """Another active report of the same ID number and disease within the window (locked), if
    any; the earliest diagnosed.

    `case` may be unsaved: its hash is computed here as the field would on save.
    """
    if not case.id_number:
        return None
    from shouwang.core.fields import lookup_hash

    id_hash = lookup_hash(case.id_number, "id_number")
    qs = CaseReport.objects.select_for_update().filter(
        _window_q(case), disease_id=case.disease_id, id_number_hash=id_hash,
        status=CaseStatus.ACTIVE)
    if case.pk is not None:
        qs = qs.exclude(pk=case.pk)
    return qs.order_by("diagnosed_at", "id").first()


def is_upgrade(old: str, new: str) -> bool:
    """suspected < clinical < confirmed; asymptomatic → confirmed counts as an upgrade (and
    asymptomatic ↔ suspected/clinical are different things, not steps)."""
    if old == new:
        return False
    if old == Classification.ASYMPTOMATIC:
        return new == Classification.CONFIRMED
    if new == Classification.ASYMPTOMATIC:
        return False
    return RANK[Classification(new)] > RANK[Classification(old)]


def record_merge(*, actor: User, duplicate: CaseReport, survivor: CaseReport,
                 reason: str) -> CaseReport:
    """`duplicate` is already stored as merged into `survivor`: write the survivor's side
    (history, audit) and upgrade its classification when the duplicate is more definitive.
    Runs inside the caller's transaction; returns the fresh survivor."""
    fresh = apply_change(
        actor=actor, case=survivor, version=survivor.version, updates={},
        kind=HistoryKind.MERGE, reason=reason, summary=f"duplicate #{duplicate.pk} merged",
        extra_changes={"merged_report": [None, duplicate.pk]},
    )
    if is_upgrade(fresh.classification, duplicate.classification):
        fresh = apply_change(
            actor=actor, case=fresh, version=fresh.version,
            updates={"classification": duplicate.classification},
            kind=HistoryKind.RECLASSIFY, reason=_("由重复报告订正"),
            summary=f"reclassified by duplicate #{duplicate.pk}",
        )
    return fresh


# What deduplication matches on: a change to any of them is checked again.
IDENTITY_FIELDS = frozenset({
    "id_type", "id_number", "name", "phone", "birth_date", "disease", "disease_id",
    "diagnosed_at",
})


def duplicates_recheck(*, actor: User, case: CaseReport) -> CaseReport:
    """Deduplicate a stored report again, as if it had just been submitted.

    For a report whose identity changed (a correction of the ID number, name, phone, birth date,
    disease or diagnosis time) or that counts again (restored after a revocation, while its
    person may have been reported meanwhile). The same rules as on submit: an active report of
    the same ID number and disease within the window → this report is merged into it (history
    on both, audited; the survivor upgraded when this one is more definitive); otherwise
    candidates are proposed and the person's open report-due tasks are closed. Runs inside the
    caller's transaction; returns the fresh report (merged or not).
    """
    from shouwang.surveillance.services.labs import report_tasks_resolve_for_case

    if case.status != CaseStatus.ACTIVE:
        return case
    existing = same_person_case(case)
    if existing is not None:
        reason = _("重复报告（证件号码相同），已合并。")
        merged = apply_change(
            actor=actor, case=case, version=case.version,
            updates={"status": CaseStatus.MERGED, "merged_into": existing},
            kind=HistoryKind.MERGE, reason=reason, summary=f"merged into #{existing.pk}",
        )
        survivor = record_merge(actor=actor, duplicate=merged, survivor=existing, reason=reason)
        report_tasks_resolve_for_case(survivor, actor=actor)
        return merged
    propose_candidates(case)
    report_tasks_resolve_for_case(case, actor=actor)
    return case


def propose_candidates(case: CaseReport) -> list[DuplicateCandidate]:
    """Pairs for an officer to judge, when either report lacks an ID number."""
    if case.status != CaseStatus.ACTIVE or not case.name_hash:
        return []
    match = Q(birth_date=case.birth_date) if case.birth_date else Q(pk__in=[])
    if case.phone_hash:
        match |= Q(phone_hash=case.phone_hash)
    others = CaseReport.objects.filter(
        _window_q(case), match, disease_id=case.disease_id, name_hash=case.name_hash,
        status=CaseStatus.ACTIVE,
    ).exclude(pk=case.pk)
    if case.id_number_hash:
        others = others.filter(id_number_hash__isnull=True)
    found: list[DuplicateCandidate] = []
    for other in others.order_by("diagnosed_at", "id")[:20]:
        reasons = ["name"]
        score = SCORE_NAME
        if case.birth_date and other.birth_date == case.birth_date:
            reasons.append("birth_date")
            score += SCORE_BIRTH
        if case.phone_hash and other.phone_hash == case.phone_hash:
            reasons.append("phone")
            score += SCORE_PHONE
        if case.sex != "U" and other.sex == case.sex:
            reasons.append("sex")
            score += SCORE_SEX
        found.append(DuplicateCandidate(
            case=case, other=other, division_code=case.division_code,
            score=round(min(score, 1.0), 2), reasons=reasons,
        ))
    return DuplicateCandidate.objects.bulk_create(found, ignore_conflicts=True)


def _decide(candidate: DuplicateCandidate, actor: User, status: str) -> None:
    rows = DuplicateCandidate.objects.filter(pk=candidate.pk, status=CandidateStatus.OPEN).update(
        status=status, decided_by=actor, decided_at=timezone.now())
    if rows != 1:
        raise InvalidInput({"status": [_("该疑似重复已处理。")]}, code="invalid_state")


def duplicate_candidate_merge(*, actor: User, candidate: DuplicateCandidate) -> CaseReport:
    """Merge the pair: the later report into the earlier one. Returns the surviving report."""
    require_write(actor)
    case, other = candidate.case, candidate.other
    if not (in_jurisdiction(actor, case.division_code)
            and in_jurisdiction(actor, other.division_code)):
        # One of the two lies outside the caller's jurisdiction: not theirs to merge.
        raise Http404
    if case.status != CaseStatus.ACTIVE or other.status != CaseStatus.ACTIVE:
        raise InvalidInput({"status": [_("两份报告须均为有效状态才能合并。")]},
                           code="invalid_state")
    survivor, duplicate = sorted((case, other), key=lambda c: (c.reported_at, c.pk))
    with transaction.atomic():
        _decide(candidate, actor, CandidateStatus.MERGED)
        merged = apply_change(
            actor=actor, case=duplicate, version=duplicate.version,
            updates={"status": CaseStatus.MERGED, "merged_into": survivor},
            kind=HistoryKind.MERGE, reason=_("经核实为重复报告。"),
            summary=f"merged into #{survivor.pk} (candidate #{candidate.pk})",
        )
        fresh = record_merge(actor=actor, duplicate=merged, survivor=survivor,
                             reason=_("经核实为重复报告。"))
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=candidate,
                  summary="duplicate candidate merged",
                  changes={"status": [CandidateStatus.OPEN, CandidateStatus.MERGED]})
    return fresh


def duplicate_candidate_dismiss(*, actor: User, candidate: DuplicateCandidate,
                                reason: str = "") -> DuplicateCandidate:
    """Not the same person: the pair is closed and not proposed again."""
    require_write(actor)
    reason = clean_reason(reason, required=False)
    with transaction.atomic():
        _decide(candidate, actor, CandidateStatus.DISMISSED)
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=candidate,
                  summary="duplicate candidate dismissed",
                  changes={"status": [CandidateStatus.OPEN, CandidateStatus.DISMISSED],
                           "reason": reason})
    candidate.refresh_from_db()
    return candidate


def case_report_unmerge(*, actor: User, case: CaseReport, version: int | None = None,
                        reason: str = "") -> CaseReport:
    """Undo a merge: the report is active again; both reports keep the history of both steps.

    A reclassification the merge caused stays (it is its own history entry and can be
    reclassified back with a reason).
    """
    require_write(actor)
    reason = clean_reason(reason, required=False)
    if case.status != CaseStatus.MERGED or case.merged_into_id is None:
        raise InvalidInput({"status": [_("该病例报告未被合并。")]}, code="invalid_state")
    survivor = CaseReport.objects.get(pk=case.merged_into_id)
    with transaction.atomic():
        fresh = apply_change(
            actor=actor, case=case, version=case.version if version is None else version,
            updates={"status": CaseStatus.ACTIVE, "merged_into": None},
            kind=HistoryKind.UNMERGE, reason=reason, summary=f"unmerged from #{survivor.pk}",
        )
        try:
            apply_change(actor=actor, case=survivor, version=survivor.version, updates={},
                         kind=HistoryKind.UNMERGE, reason=reason,
                         summary=f"duplicate #{case.pk} split off",
                         extra_changes={"merged_report": [case.pk, None]})
        except CaseConflict:
            # The survivor changed between our read and lock: re-read it once under the lock.
            survivor = CaseReport.objects.select_for_update().get(pk=survivor.pk)
            apply_change(actor=actor, case=survivor, version=survivor.version, updates={},
                         kind=HistoryKind.UNMERGE, reason=reason,
                         summary=f"duplicate #{case.pk} split off",
                         extra_changes={"merged_report": [case.pk, None]})
        DuplicateCandidate.objects.filter(
            Q(case=case) | Q(other=case), status=CandidateStatus.MERGED
        ).update(status=CandidateStatus.OPEN, decided_by=None, decided_at=None)
    return fresh
