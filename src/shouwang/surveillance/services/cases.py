"""Case reports (传染病报告卡): submit, correct, reclassify, outcome, verify, revoke, restore, and
the bulk verify/reclassify of many reports at once.

Every change names the version it read (`version=`) and is applied with a conditional
`UPDATE … WHERE version = <read>`, so two officers editing the same report cannot overwrite each
other: the second gets `CaseConflict` (the API answers 409). Every change bumps the version,
writes a CaseReportHistory row (personal values masked) and an audit row, and refreshes the
daily counts after commit. Deduplication (services/dedup.py) runs inside `case_report_submit`.
Rules and choices: docs/decisions/0600-case-reports.md.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core import crypto
from shouwang.core.audit import audit_log, diff, mask_changes, personal_field_names
from shouwang.core.errors import InvalidInput
from shouwang.core.fields import EncryptedTextField
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.surveillance.models import (
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    Classification,
    HistoryKind,
    Outcome,
)
from shouwang.surveillance.services.timeliness import case_deadlines
from shouwang.surveillance.validation import (
    CleanCase,
    DivisionCodes,
    active_diseases,
    validate_case_input,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "surveillance.write"
REASON_MAX = 255
SOURCE_KEY_MAX = 96
# The input fields of a report, in the names validate_case_input reads.
INPUT_FIELDS = (
    "disease", "classification", "name", "id_type", "id_number", "phone", "sex", "birth_date",
    "age_years", "division_code", "address_detail", "occupation", "onset_date", "diagnosed_at",
    "reported_at", "reporting_facility", "reporting_division_code", "severity", "outcome",
    "outcome_date", "imported", "origin_division_code", "origin_country",
)
# What a correction may change; status, verification and merging have their own services.
CORRECTABLE = frozenset(INPUT_FIELDS)
PERSONAL = frozenset(personal_field_names(CaseReport))
# How definitive a classification is: a duplicate report may upgrade, never downgrade.
RANK = {
    Classification.SUSPECTED: 0,
    Classification.ASYMPTOMATIC: 0,
    Classification.CLINICAL: 1,
    Classification.CONFIRMED: 2,
}


class CaseConflict(Exception):
    """The report changed since the caller read it (another officer saved first)."""

    def __init__(self, case_id: int, current_version: int | None) -> None:
        self.case_id = case_id
        self.current_version = current_version
        super().__init__(f"case {case_id} changed (now version {current_version})")

    @property
    def message(self) -> str:
        return _("该病例报告已被他人修改（当前版本 %(v)s），请刷新后重新提交。") % {
            "v": self.current_version}


@dataclass(frozen=True)
class Submitted:
    """What `case_report_submit` did. Unpacks as `(case, created)`.

    `duplicate` is the stored report that was merged into `case` when the submission repeated an
    existing case of the same person and disease (then `case` is the existing one).
    """

    case: CaseReport
    created: bool
    duplicate: CaseReport | None = None

    def __iter__(self) -> Any:
        yield self.case
        yield self.created

    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int) -> Any:
        return (self.case, self.created)[index]


# --- helpers shared with services/dedup.py -------------------------------------------------------


def require_write(actor: User) -> None:
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def clean_reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput({"reason": [_("请填写原因。")]})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": [_("不能超过 %(n)s 个字符。") % {"n": REASON_MAX}]})
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def masked(changes: Mapping[str, Any]) -> dict[str, Any]:
    return mask_changes({k: [_jsonable(v) for v in pair] if isinstance(pair, (list, tuple))
                         else _jsonable(pair) for k, pair in changes.items()}, PERSONAL)


def write_history(case: CaseReport, *, actor: User | None, kind: str, version: int,
                  classification: str, reason: str = "",
                  changes: Mapping[str, Any] | None = None) -> CaseReportHistory:
    return CaseReportHistory.objects.create(
        case=case, version=version, kind=kind, actor=actor, reason=reason[:REASON_MAX],
        changes=masked(changes or {}), classification=classification,
    )


def _hash_updates(updates: dict[str, Any]) -> dict[str, Any]:
    """UPDATE skips pre_save, so the lookup hashes of changed encrypted fields are set here."""
    out = dict(updates)
    for name in list(updates):
        field = CaseReport._meta.get_field(name)
        if isinstance(field, EncryptedTextField) and field.lookup_field:
            value = updates[name]
            out[field.lookup_field] = crypto.keyed_hash(value, field.lookup_kind) if value else None
    return out


def counts_refresh_on_commit(cases: Iterable[CaseReport]) -> None:
    """Refresh the daily counts of the affected counties and days once the change commits."""
    try:
        counts = importlib.import_module("shouwang.surveillance.services.counts")
    except ImportError:
        return
    refresh = getattr(counts, "daily_counts_refresh_for", None)
    if refresh is None:
        return
    items = list(cases)
    if items:
        transaction.on_commit(lambda: refresh(items))


def apply_change(
    *,
    actor: User | None,
    case: CaseReport,
    version: int,
    updates: Mapping[str, Any],
    kind: str,
    reason: str = "",
    summary: str = "",
    extra_changes: Mapping[str, Any] | None = None,
) -> CaseReport:
    """Change one report if it is still at `version`; history, audit; the fresh report back.

    Must run inside transaction.atomic(). The conditional UPDATE is what makes it race-safe: of
    two writers that read the same version, only the first matches the WHERE clause.
    """
    current = CaseReport.objects.select_for_update().filter(pk=case.pk).first()
    if current is None or current.version != version:
        raise CaseConflict(case.pk, current.version if current else None)
    before = {k: getattr(current, k if k != "merged_into" else "merged_into_id")
              for k in updates}
    after = {k: (v.pk if k == "merged_into" and v is not None else v)
             for k, v in updates.items()}
    changes = {**diff(before, after), **(extra_changes or {})}
    now = timezone.now()
    rows = CaseReport.objects.filter(pk=case.pk, version=version).update(
        **_hash_updates(dict(updates)), version=F("version") + 1, updated_at=now)
    if rows != 1:
        raise CaseConflict(case.pk, None)
    fresh = CaseReport.objects.select_related("disease").get(pk=case.pk)
    write_history(fresh, actor=actor, kind=kind, version=fresh.version,
                  classification=fresh.classification, reason=reason, changes=changes)
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=fresh,
              summary=summary or f"case {kind} v{fresh.version}",
              changes={**changes, "reason": reason} if reason else changes)
    counts_refresh_on_commit([current, fresh])
    return fresh


# --- submit ---------------------------------------------------------------------------------------


def payload_fingerprint(data: Mapping[str, Any]) -> str:
    """A keyed hash of the submitted fields: tells a resend from a different report under the
    same key, without keeping the personal values themselves."""
    canonical = {k: str(_jsonable(data[k])).strip() for k in sorted(data)
                 if k in INPUT_FIELDS and data[k] not in (None, "")}
    return crypto.keyed_hash(json.dumps(canonical, ensure_ascii=False, sort_keys=True), "text")


def _by_key(actor: User, key: str, fingerprint: str) -> Submitted:
    stored = scoped(CaseReport.objects.select_related("disease", "merged_into"), actor) \
        .filter(source_key=key).first()
    if stored is None:
        # The key belongs to a report the caller cannot see: say the key is taken, not by whom.
        raise InvalidInput({"source_key": [_("该来源键已被其他记录使用。")]})
    first = stored.history.filter(kind=HistoryKind.CREATE).order_by("version").first()
    if first is not None and first.changes.get("payload") not in (None, fingerprint):
        raise InvalidInput({"source_key": [_("该来源键已用于内容不同的另一份报告。")]})
    if stored.status == CaseStatus.MERGED and stored.merged_into is not None:
        return Submitted(stored.merged_into, False, stored)
    return Submitted(stored, False)


def _check_source_key(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key is not None and len(key) > SOURCE_KEY_MAX:
        raise InvalidInput({"source_key": [_("不能超过 %(n)s 个字符。") % {"n": SOURCE_KEY_MAX}]})
    return key


def validate_for(actor: User, data: Mapping[str, Any], *, now: datetime | None = None,
                 divisions: DivisionCodes | None = None) -> CleanCase:
    """validate_case_input plus the actor's jurisdiction; raises InvalidInput."""
    clean, errors = validate_case_input(
        data, now=now or timezone.now(), diseases=active_diseases(),
        divisions=divisions or DivisionCodes.lazy())
    if clean is not None and not in_jurisdiction(actor, clean.division_code):
        errors = {"division_code": [_("现住址区划不在您的管辖范围内。")]}
    if errors or clean is None:
        raise InvalidInput(errors)
    return clean


def case_report_submit(
    *, actor: User, data: Mapping[str, Any], source_key: str | None = None
) -> Submitted:
    """Store one report; `(case, created)` (see `Submitted`).

    The same source key returns the stored report and never adds a row; a different payload
    under a used key is an error on `source_key`. A repeat of an active case of the same person
    (ID number) and disease within the disease's window is stored merged into it, and the
    existing case is returned with `duplicate` set. Raises PermissionDenied without
    surveillance.write, InvalidInput for bad fields.
    """
    require_write(actor)
    key = _check_source_key(source_key or str(data.get("source_key") or ""))
    fingerprint = payload_fingerprint(data)
    if key is not None and CaseReport.objects.filter(source_key=key).exists():
        return _by_key(actor, key, fingerprint)
    clean = validate_for(actor, data)
    try:
        with transaction.atomic():
            return _create(actor, clean, key, fingerprint)
    except IntegrityError:
        # Two submissions of the same key raced; the first one won and is the answer.
        if key is not None and CaseReport.objects.filter(source_key=key).exists():
            return _by_key(actor, key, fingerprint)
        raise


def _create(actor: User, clean: CleanCase, key: str | None, fingerprint: str) -> Submitted:
    from shouwang.surveillance.services import dedup
    from shouwang.surveillance.services.labs import report_tasks_resolve_for_case

    deadlines = case_deadlines(disease=clean.disease, diagnosed_at=clean.diagnosed_at,
                               reported_at=clean.reported_at)
    case = CaseReport(
        source_key=key, created_by=actor, **clean.as_model_fields(),
        report_deadline_at=deadlines.report_deadline_at,
        verification_due_at=deadlines.verification_due_at,
    )
    existing = dedup.same_person_case(case)
    if existing is not None:
        case.status = CaseStatus.MERGED
        case.merged_into = existing
    case.save()
    created = {k: v for k, v in clean.as_model_fields().items() if k != "disease"}
    created["disease"] = clean.disease.code
    write_history(case, actor=actor, kind=HistoryKind.CREATE, version=1,
                  classification=case.classification,
                  changes={**{k: [None, v] for k, v in created.items() if v not in (None, "")},
                           "payload": fingerprint})
    audit_log(actor=actor, action=AuditAction.CREATE, obj=case,
              summary=f"case report {case.disease_id} {case.classification}",
              changes={k: v for k, v in created.items() if v not in (None, "")})
    if existing is not None:
        survivor = dedup.record_merge(actor=actor, duplicate=case, survivor=existing,
                                      reason=_("重复报告（证件号码相同），已合并。"))
        return Submitted(survivor, False, case)
    counts_refresh_on_commit([case])
    dedup.propose_candidates(case)
    report_tasks_resolve_for_case(case, actor=actor)
    return Submitted(case, True)


# --- changes to one report ---------------------------------------------------------------------


def case_as_input(case: CaseReport) -> dict[str, Any]:
    """The report's current values in the input names of validate_case_input."""
    data = {name: getattr(case, name) for name in INPUT_FIELDS if name != "disease"}
    data["disease"] = case.disease_id
    return data


def _require_status(case: CaseReport, *allowed: str) -> None:
    if case.status not in allowed:
        raise InvalidInput({"status": [_("该病例报告当前状态为“%(s)s”，不能执行此操作。")
                                       % {"s": case.get_status_display()}]}, code="invalid_state")


def case_report_correct(
    *, actor: User, case: CaseReport, version: int, changes: Mapping[str, Any], reason: str
) -> CaseReport:
    """订正: change any input field; the whole report is validated again as it would stand."""
    require_write(actor)
    reason = clean_reason(reason, required=True)
    unknown = sorted(set(changes) - CORRECTABLE)
    if unknown:
        raise InvalidInput({k: [_("该字段不能通过订正修改。")] for k in unknown})
    if not changes:
        raise InvalidInput({"changes": [_("没有需要订正的内容。")]})
    _require_status(case, CaseStatus.ACTIVE)
    merged = {**case_as_input(case), **changes}
    clean = validate_for(actor, merged)
    values = clean.as_model_fields()
    deadlines = case_deadlines(disease=clean.disease, diagnosed_at=clean.diagnosed_at,
                               reported_at=clean.reported_at)
    values["report_deadline_at"] = deadlines.report_deadline_at
    values["verification_due_at"] = deadlines.verification_due_at
    values["disease"] = clean.disease
    current = case_as_input(case)
    current["report_deadline_at"] = case.report_deadline_at
    current["verification_due_at"] = case.verification_due_at
    updates = {k: v for k, v in values.items()
               if (v.pk if k == "disease" else v) != current.get(k)}
    if not updates:
        raise InvalidInput({"changes": [_("订正内容与现有内容相同。")]})
    if "disease" in updates:
        updates["disease_id"] = updates.pop("disease").pk
    from shouwang.surveillance.services import dedup

    with transaction.atomic():
        fresh = apply_change(actor=actor, case=case, version=version, updates=updates,
                             kind=HistoryKind.CORRECT, reason=reason, summary="case corrected")
        if dedup.IDENTITY_FIELDS & set(updates):
            # Another person, or this person told apart differently: deduplicate again.
            fresh = dedup.duplicates_recheck(actor=actor, case=fresh)
    return fresh


def case_report_reclassify(
    *, actor: User, case: CaseReport, version: int, classification: str, reason: str
) -> CaseReport:
    """订正分类: suspected → confirmed and the like, with a reason."""
    require_write(actor)
    reason = clean_reason(reason, required=True)
    if classification not in Classification.values:
        raise InvalidInput({"classification": [_("取值无效，可选：%(opts)s。")
                                               % {"opts": ", ".join(Classification.values)}]})
    _require_status(case, CaseStatus.ACTIVE)
    if classification == case.classification:
        raise InvalidInput({"classification": [_("新分类与现有分类相同。")]})
    with transaction.atomic():
        return apply_change(actor=actor, case=case, version=version,
                            updates={"classification": classification},
                            kind=HistoryKind.RECLASSIFY, reason=reason,
                            summary=f"case reclassified {case.classification} → {classification}")


def case_report_set_outcome(
    *, actor: User, case: CaseReport, version: int, outcome: str,
    outcome_date: date | str | None, reason: str = ""
) -> CaseReport:
    """转归: recovered or died, with its date (checked like every other report field)."""
    require_write(actor)
    reason = clean_reason(reason, required=False)
    _require_status(case, CaseStatus.ACTIVE)
    return case_report_correct_fields(
        actor=actor, case=case, version=version, kind=HistoryKind.OUTCOME, reason=reason,
        changes={"outcome": outcome or Outcome.NONE, "outcome_date": outcome_date})


def case_report_correct_fields(
    *, actor: User, case: CaseReport, version: int, kind: str, reason: str,
    changes: Mapping[str, Any],
) -> CaseReport:
    clean = validate_for(actor, {**case_as_input(case), **changes})
    values = clean.as_model_fields()
    updates = {k: values[k] for k in changes if values[k] != getattr(case, k)}
    if not updates:
        raise InvalidInput({next(iter(changes)): [_("订正内容与现有内容相同。")]})
    with transaction.atomic():
        return apply_change(actor=actor, case=case, version=version, updates=updates,
                            kind=kind, reason=reason, summary=f"case {kind}")


def case_report_verify(*, actor: User, case: CaseReport, version: int) -> CaseReport:
    """审核: the county confirms the card (once)."""
    require_write(actor)
    _require_status(case, CaseStatus.ACTIVE)
    if case.verified_at is not None:
        raise InvalidInput({"verified_at": [_("该病例报告已审核。")]}, code="invalid_state")
    with transaction.atomic():
        return apply_change(actor=actor, case=case, version=version,
                            updates={"verified_at": timezone.now(), "verified_by": actor},
                            kind=HistoryKind.VERIFY, summary="case verified")


def case_report_revoke(*, actor: User, case: CaseReport, version: int, reason: str) -> CaseReport:
    """删除 (a revocation, kept with its reason): the report stops counting."""
    require_write(actor)
    reason = clean_reason(reason, required=True)
    _require_status(case, CaseStatus.ACTIVE)
    with transaction.atomic():
        return apply_change(actor=actor, case=case, version=version,
                            updates={"status": CaseStatus.REVOKED, "revoked_reason": reason},
                            kind=HistoryKind.REVOKE, reason=reason, summary="case revoked")


def case_report_restore(*, actor: User, case: CaseReport, version: int,
                        reason: str = "") -> CaseReport:
    """恢复 a revoked report: it counts again, unless its person has been reported again
    meanwhile (then it is merged into that case, as a repeated report would be)."""
    require_write(actor)
    reason = clean_reason(reason, required=False)
    _require_status(case, CaseStatus.REVOKED)
    from shouwang.surveillance.services import dedup

    with transaction.atomic():
        fresh = apply_change(actor=actor, case=case, version=version,
                             updates={"status": CaseStatus.ACTIVE, "revoked_reason": ""},
                             kind=HistoryKind.RESTORE, reason=reason, summary="case restored")
        # The person may have been reported again while this report was revoked.
        return dedup.duplicates_recheck(actor=actor, case=fresh)


# --- many reports at once ---------------------------------------------------------------------


@dataclass(frozen=True)
class BulkResult:
    changed: list[int]
    skipped: list[int]  # not found in the jurisdiction, or not in a state the change applies to


def _bulk(
    *, actor: User, case_ids: Sequence[int], eligible: Any, updates: Mapping[str, Any],
    kind: str, reason: str, history_changes: Mapping[str, Any], summary: str,
) -> BulkResult:
    """One set-based UPDATE, one bulk insert of history rows and one summary audit row.

    The per-report detail lives in the history rows; the audit row lists the report ids.
    """
    ids = sorted({int(i) for i in case_ids})
    with transaction.atomic():
        qs = eligible(scoped(CaseReport.objects.filter(pk__in=ids), actor))
        # Lock the rows first so the versions read below are the ones the UPDATE bumps.
        before = dict(qs.select_for_update().values_list("pk", "classification"))
        target = sorted(before)
        now = timezone.now()
        if target:
            CaseReport.objects.filter(pk__in=target).update(
                **updates, version=F("version") + 1, updated_at=now)
        rows = CaseReport.objects.filter(pk__in=target).values_list(
            "pk", "version", "classification")
        base = masked(history_changes)
        CaseReportHistory.objects.bulk_create([
            CaseReportHistory(
                case_id=pk, version=v, kind=kind, actor=actor, reason=reason,
                changes=({**base, "classification": [before[pk], cls]}
                         if "classification" in updates else base),
                classification=cls)
            for pk, v, cls in rows
        ], batch_size=500)
        if target:
            audit_log(actor=actor, action=AuditAction.UPDATE, object_type="surveillance.casereport",
                      object_id=f"bulk:{len(target)}", summary=summary,
                      changes={"cases": target, **masked(history_changes)})
            counts_refresh_on_commit(CaseReport.objects.filter(pk__in=target).only(
                "division_code", "onset_date", "diagnosed_at", "reported_at"))
    return BulkResult(changed=target, skipped=sorted(set(ids) - set(target)))


BULK_MAX = 5000


def _check_bulk(case_ids: Sequence[int]) -> None:
    if not case_ids:
        raise InvalidInput({"case_ids": [_("请选择病例报告。")]})
    if len(case_ids) > BULK_MAX:
        raise InvalidInput({"case_ids": [_("一次最多处理 %(n)s 份报告。") % {"n": BULK_MAX}]})


def case_reports_bulk_verify(*, actor: User, case_ids: Sequence[int]) -> BulkResult:
    """Verify every active, unverified report among `case_ids` that lies in the jurisdiction."""
    require_write(actor)
    _check_bulk(case_ids)
    now = timezone.now()
    return _bulk(
        actor=actor, case_ids=case_ids,
        eligible=lambda qs: qs.filter(status=CaseStatus.ACTIVE, verified_at__isnull=True),
        updates={"verified_at": now, "verified_by": actor}, kind=HistoryKind.VERIFY, reason="",
        history_changes={"verified_at": [None, now]}, summary="cases verified in bulk",
    )


def case_reports_bulk_reclassify(
    *, actor: User, case_ids: Sequence[int], classification: str, reason: str
) -> BulkResult:
    """Reclassify every active report among `case_ids` in the jurisdiction (e.g. the suspected
    cases of one cluster confirmed by one laboratory run)."""
    require_write(actor)
    _check_bulk(case_ids)
    reason = clean_reason(reason, required=True)
    if classification not in Classification.values:
        raise InvalidInput({"classification": [_("取值无效，可选：%(opts)s。")
                                               % {"opts": ", ".join(Classification.values)}]})
    return _bulk(
        actor=actor, case_ids=case_ids,
        eligible=lambda qs: qs.filter(status=CaseStatus.ACTIVE).exclude(
            classification=classification),
        updates={"classification": classification}, kind=HistoryKind.RECLASSIFY, reason=reason,
        history_changes={},
        summary=f"cases reclassified in bulk → {classification}",
    )
