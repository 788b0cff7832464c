"""The epidemiological investigation (流调) of a case: opening it, its exposures in the exposure
window, the source status, completion. Decision 1010.

    investigation, created = investigation_open(actor=officer, case=case)
    exposure_add(actor=officer, investigation=inv, data={"kind": "workplace", ...})
    investigation_set_source(actor=officer, investigation=inv, version=3, source_status="unknown")
    investigation_complete(actor=officer, investigation=inv, version=4, summary="…")

One investigation per case (a one-to-one key decides, so a repeated or concurrent open stores
one). The exposure window is [anchor − disease.exposure_window_days, anchor], the anchor being
the onset date, or the diagnosis date when the case has no onset (an asymptomatic infection).

Versioned writes as the alerts' (warning/services/alerts.py): a change names the version it read
and is applied with `UPDATE … WHERE version = <read>`; of two investigators the second gets
`InvestigationConflict`. Adding an exposure needs no version (it overwrites nothing) but bumps
it. Every change writes an audit row on the investigation in the same transaction: the audit
log is the investigation's history (selectors.investigations.investigation_history).

`investigations_open_bulk` is what the task runs for every confirmed case and asymptomatic
infection without an investigation: batches of `bulk_create`, one audit row per batch, and the
per-case path (with the contact look-up) only for the few cases whose person matches a contact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.surveillance.models import CaseReport, CaseStatus, Classification
from shouwang.tracing.models import (
    Contact,
    ContactStatus,
    Exposure,
    Investigation,
    Setting,
    SettingKind,
    SourceStatus,
)
from shouwang.tracing.services.settings_registry import (
    household_for_case,
    place_division,
    require_write,
    setting_register,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# Cases that get an investigation automatically (on demand any active case may have one).
AUTO_CLASSIFICATIONS = (Classification.CONFIRMED, Classification.ASYMPTOMATIC)
# A matching contact in these states was under follow-up when the person was found to be a case.
FOLLOWED = (ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED)
SUMMARY_MAX = 4000
NOTE_MAX = 255
DESCRIPTION_MAX = 1000
BULK_BATCH = 2000


class InvestigationConflict(Exception):
    """The investigation changed since the caller read it (someone else saved first)."""

    def __init__(self, investigation_id: int, current_version: int | None) -> None:
        self.investigation_id = investigation_id
        self.current_version = current_version
        super().__init__(f"investigation {investigation_id} changed (now {current_version})")

    @property
    def message(self) -> str:
        return _("该流调记录已被他人修改（当前版本 %(v)s），请刷新后重新操作。") % {
            "v": self.current_version}


@dataclass(frozen=True)
class Window:
    start: date
    end: date


def window_anchor(case: CaseReport) -> date:
    """The onset date, or the (local) diagnosis date of a case without one."""
    if case.onset_date is not None:
        return case.onset_date
    return timezone.localdate(case.diagnosed_at)


def exposure_window(case: CaseReport, days: int | None = None) -> Window:
    """[anchor − the disease's exposure window, anchor]."""
    anchor = window_anchor(case)
    span = case.disease.exposure_window_days if days is None else days
    return Window(anchor - timedelta(days=span), anchor)


# --- opening ------------------------------------------------------------------------------------


def _matching_contacts(case: CaseReport) -> list[Contact]:
    from shouwang.tracing.selectors.contacts import contacts_matching_case

    return list(contacts_matching_case(case))


def _mark_contacts(actor: User | None, case: CaseReport, contacts: list[Contact]) -> None:
    from shouwang.tracing.services.contacts import contact_mark_became_case

    for contact in contacts:
        if contact.status in FOLLOWED:
            contact_mark_became_case(actor=actor, contact=contact, case=case)


def _initial_source(case: CaseReport, under_follow_up: bool) -> str:
    if case.imported:
        return SourceStatus.IMPORTED
    if under_follow_up:
        return SourceStatus.KNOWN_CONTACT
    return SourceStatus.PENDING


def _open_one(actor: User | None, case: CaseReport) -> tuple[Investigation, bool]:
    existing = Investigation.objects.filter(case=case).first()
    if existing is not None:
        return _refresh_window(actor, existing, case), False
    contacts = _matching_contacts(case)
    under = any(c.status in FOLLOWED
                or (c.status == ContactStatus.BECAME_CASE and c.became_case_id == case.pk)
                for c in contacts)
    window = exposure_window(case)
    try:
        with transaction.atomic():
            investigation = Investigation.objects.create(
                case=case, division_code=case.division_code,
                exposure_window_start=window.start, exposure_window_end=window.end,
                source_status=_initial_source(case, under), found_under_follow_up=under)
            audit_log(actor=actor, action=AuditAction.CREATE, obj=investigation,
                      summary="investigation open",
                      changes={"case": case.pk, "exposure_window_start": window.start,
                               "exposure_window_end": window.end,
                               "source_status": investigation.source_status,
                               "found_under_follow_up": under})
            _mark_contacts(actor, case, contacts)
    except IntegrityError:
        # A concurrent open of the same case stored it first.
        found = Investigation.objects.filter(case=case).first()
        if found is None:
            raise
        return found, False
    return investigation, True


def _refresh_window(actor: User | None, investigation: Investigation,
                    case: CaseReport) -> Investigation:
    """A case whose onset was corrected since: the window follows it (versioned, audited)."""
    window = exposure_window(case)
    if (investigation.exposure_window_start, investigation.exposure_window_end) == (
            window.start, window.end):
        return investigation
    with transaction.atomic():
        current = _locked(None, investigation, None)
        return _apply(actor=actor, current=current, summary="investigation window",
                      updates={"exposure_window_start": window.start,
                               "exposure_window_end": window.end})


def investigation_open(*, actor: User | None, case: CaseReport) -> tuple[Investigation, bool]:
    """The case's investigation, opened now if it has none; `(investigation, created)`.

    `actor` None is the system (the automatic task). An officer must hold tracing.write and see
    the case; a revoked or merged report gets none."""
    require_write(actor)
    if actor is not None and not in_jurisdiction(actor, case.division_code):
        raise NotFound(case.pk)
    if case.status != CaseStatus.ACTIVE:
        raise InvalidInput({"case": [_("该病例报告已删除或已合并，不能开展流调。")]})
    return _open_one(actor, case)


def investigations_open_bulk(*, disease: str | None = None,
                             batch: int = BULK_BATCH) -> dict[str, int]:
    """Open the investigation of every active confirmed case and asymptomatic infection that has
    none (of `disease`, or of all diseases). Idempotent and resumable: a re-run opens only what
    is still missing; a case opened meanwhile by an officer is skipped by the unique key.

    A case whose person matches a contact (any of its lookup hashes) goes the per-case way, which
    asks contacts_matching_case and marks the contacts; the rest are inserted in bulk."""
    from shouwang.surveillance.models import Disease

    windows = dict(Disease.objects.values_list("code", "exposure_window_days"))
    base = CaseReport.objects.filter(status=CaseStatus.ACTIVE,
                                     classification__in=AUTO_CLASSIFICATIONS,
                                     investigation__isnull=True)
    if disease:
        base = base.filter(disease_id=disease)
    # A superset of contacts_matching_case's rule (same ID number, or same name and birth date).
    contacts = Contact.objects.filter(status__in=(*FOLLOWED, ContactStatus.BECAME_CASE))
    matching = (Q(id_number_hash__in=contacts.exclude(id_number_hash=None)
                  .values("id_number_hash"))
                | Q(name_hash__in=contacts.exclude(name_hash=None).values("name_hash")))
    figures = {"opened": 0, "opened_one_by_one": 0, "batches": 0}
    # The few that may be contacts: each through the per-case path.
    for case in base.filter(matching).select_related("disease").order_by("id").iterator():
        _inv, created = _open_one(None, case)
        figures["opened_one_by_one"] += int(created)
    last = 0
    today = timezone.localdate()
    while True:
        rows = list(base.filter(pk__gt=last).order_by("id").values_list(
            "id", "division_code", "disease_id", "onset_date", "diagnosed_at", "imported")[:batch])
        if not rows:
            break
        last = rows[-1][0]
        items = []
        for pk, division, code, onset, diagnosed, imported in rows:
            anchor = onset or (timezone.localdate(diagnosed) if diagnosed else today)
            items.append(Investigation(
                case_id=pk, division_code=division,
                exposure_window_start=anchor - timedelta(days=windows.get(code, 14)),
                exposure_window_end=anchor,
                source_status=SourceStatus.IMPORTED if imported else SourceStatus.PENDING))
        with transaction.atomic():
            made = Investigation.objects.bulk_create(items, ignore_conflicts=True)
            audit_log(actor=None, action=AuditAction.CREATE, object_type="tracing.investigation",
                      summary=f"investigations opened in bulk ({len(made)})",
                      changes={"cases_from": rows[0][0], "cases_to": last, "count": len(made),
                               "disease": disease or "*"})
        figures["opened"] += len(made)
        figures["batches"] += 1
    figures["opened"] += figures["opened_one_by_one"]
    return figures


# --- versioned changes ---------------------------------------------------------------------------


def _locked(actor: User | None, investigation: Investigation,
            version: int | None) -> Investigation:
    """The investigation's row, locked, if the actor may act on it and it is still at `version`.
    Must run inside transaction.atomic()."""
    current = (Investigation.objects.select_for_update(of=("self",))
               .select_related("case", "case__disease").filter(pk=investigation.pk).first())
    if current is None:
        raise NotFound(investigation.pk)
    if actor is not None and not in_jurisdiction(actor, current.division_code):
        raise NotFound(investigation.pk)
    if version is not None and current.version != version:
        raise InvestigationConflict(current.pk, current.version)
    return current


def _jsonable(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value.pk if hasattr(value, "pk") else value


def _apply(*, actor: User | None, current: Investigation, updates: dict[str, Any],
           summary: str, extra: Mapping[str, Any] | None = None) -> Investigation:
    """Write `updates` to the locked row, bump its version, audit; the fresh row."""
    changes = {k: [_jsonable(getattr(current, k if k != "investigator" else "investigator_id")),
                   _jsonable(v)] for k, v in updates.items()}
    changes = {k: v for k, v in changes.items() if v[0] != v[1]}
    rows = Investigation.objects.filter(pk=current.pk, version=current.version).update(
        **updates, version=F("version") + 1, updated_at=timezone.now())
    if rows != 1:
        raise InvestigationConflict(current.pk, None)
    fresh = Investigation.objects.select_related("case", "case__disease").get(pk=current.pk)
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=fresh,
              summary=f"{summary} v{fresh.version}", changes={**changes, **(extra or {})})
    return fresh


def _require_open(investigation: Investigation) -> None:
    if investigation.completed_at is not None:
        raise InvalidInput({"status": [_("该流调已完成；如需修改请先重新开启。")]},
                           code="invalid_transition")


def investigation_set_source(*, actor: User, investigation: Investigation, version: int,
                             source_status: str, note: str = "") -> Investigation:
    """What is known of the case's source: pending, a known contact, a cluster, imported, or
    unknown (flagged in every list)."""
    require_write(actor)
    if not source_status:
        raise InvalidInput({"source_status": [_("请选择感染来源。")]})
    if source_status not in SourceStatus.values:
        raise InvalidInput({"source_status": [_("取值无效，可选：%(opts)s。") % {
            "opts": ", ".join(SourceStatus.values)}]})
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise InvalidInput({"note": [_("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}]})
    with transaction.atomic():
        current = _locked(actor, investigation, version)
        _require_open(current)
        if current.source_status == source_status:
            raise InvalidInput({"source_status": [_("感染来源未改变。")]})
        return _apply(actor=actor, current=current, summary="investigation source",
                      updates={"source_status": source_status},
                      extra={"note": text} if text else None)


def investigations_source_known(*, actor: User | None, case_ids: Iterable[int]) -> int:
    """A confirmed infector makes the source of these cases known: their investigations still
    pending or marked unknown become "known contact" (a cluster or an importation already is a
    known source and stays). Called by the link services inside their transaction. Returns how
    many investigations changed."""
    ids = sorted(set(case_ids))
    changed = 0
    for start in range(0, len(ids), 500):
        rows = list(Investigation.objects.select_for_update(of=("self",))
                    .filter(case_id__in=ids[start:start + 500],
                            source_status__in=(SourceStatus.PENDING, SourceStatus.UNKNOWN))
                    .order_by("pk"))
        for current in rows:
            _apply(actor=actor, current=current, summary="investigation source known",
                   updates={"source_status": SourceStatus.KNOWN_CONTACT},
                   extra={"reason": "confirmed infector"})
        changed += len(rows)
    return changed


def investigation_complete(*, actor: User, investigation: Investigation, version: int,
                           summary: str = "") -> Investigation:
    """Close the investigation with its summary. The source must be decided first ("unknown"
    is a decision; "pending" is not)."""
    require_write(actor)
    text = (summary or "").strip()
    if len(text) > SUMMARY_MAX:
        raise InvalidInput({"summary": [_("不能超过 %(n)s 个字符。") % {"n": SUMMARY_MAX}]})
    with transaction.atomic():
        current = _locked(actor, investigation, version)
        _require_open(current)
        if current.source_status == SourceStatus.PENDING:
            raise InvalidInput({"source_status": [
                _("完成流调前请确定感染来源（查不清时选“来源不明”）。")]})
        return _apply(actor=actor, current=current, summary="investigation complete",
                      updates={"completed_at": timezone.now(), "investigator": actor,
                               "summary": text})


def investigation_reopen(*, actor: User, investigation: Investigation, version: int,
                         reason: str) -> Investigation:
    """A completed investigation reopened (new exposures found), with the reason."""
    require_write(actor)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [_("请填写重新开启的原因。")]})
    if len(text) > NOTE_MAX:
        raise InvalidInput({"reason": [_("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}]})
    with transaction.atomic():
        current = _locked(actor, investigation, version)
        if current.completed_at is None:
            raise InvalidInput({"status": [_("该流调尚未完成。")]}, code="invalid_transition")
        return _apply(actor=actor, current=current, summary="investigation reopen",
                      updates={"completed_at": None}, extra={"reason": text})


# --- exposures ------------------------------------------------------------------------------------


def _day(data: Mapping[str, Any], field: str, errors: dict[str, list[str]]) -> date | None:
    raw = data.get(field)
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        errors[field] = [_("此项为必填项。")]
        return None
    try:
        parsed = parse_date(text)
    except ValueError:
        parsed = None
    if parsed is None:
        errors[field] = [_("请输入有效日期（YYYY-MM-DD）。")]
    return parsed


def check_exposure_days(window_start: date, window_end: date, started: date | None,
                        ended: date | None, errors: dict[str, list[str]]) -> None:
    """Field errors for days outside [window_start, window_end] or in the wrong order."""
    span = {"start": window_start.isoformat(), "end": window_end.isoformat()}
    if started is not None and not window_start <= started <= window_end:
        errors["started_on"] = [_("开始日期须在暴露追溯期（%(start)s 至 %(end)s）内。") % span]
    if ended is not None and not window_start <= ended <= window_end:
        errors["ended_on"] = [_("结束日期须在暴露追溯期（%(start)s 至 %(end)s）内。") % span]
    if started is not None and ended is not None and ended < started and "ended_on" not in errors:
        errors["ended_on"] = [_("结束日期不能早于开始日期。")]


def _setting_for(actor: User, current: Investigation, data: Mapping[str, Any],
                 kind: str, errors: dict[str, list[str]]) -> Setting | None:
    """The setting the exposure is at: an existing one (by id), a new one (by label), the
    case's own household (kind household without either), or none (a division only)."""
    raw_id = data.get("setting_id")
    label = str(data.get("setting_label") or "").strip()
    if raw_id not in (None, ""):
        try:
            setting_id = int(str(raw_id))
        except ValueError:
            errors["setting_id"] = [_("取值无效。")]
            return None
        from shouwang.tracing.selectors.investigations import settings_visible

        setting = (settings_visible(user=actor, near=current.division_code)
                   .filter(pk=setting_id).first())
        if setting is None:
            errors["setting_id"] = [_("未找到该场所。")]
        return setting
    if kind == SettingKind.HOUSEHOLD and not label:
        setting, _created = household_for_case(actor=actor, case=current.case)
        return setting
    if label:
        setting, _created = setting_register(
            actor=actor, kind=kind, label=label,
            division_code=str(data.get("place_division_code") or ""),
            source_key=str(data.get("setting_key") or "") or None)
        return setting
    return None


def exposure_add(*, actor: User, investigation: Investigation, data: Mapping[str, Any],
                 version: int | None = None) -> Exposure:
    """Record where and when the case was exposed, inside its exposure window.

    `data`: kind (a setting kind), started_on, ended_on, and either setting_id (a registered
    setting), setting_label (+ place_division_code; registers a new setting, idempotent on
    setting_key), kind "household" alone (the case's own household) or place_division_code
    alone (somewhere in a division); description (free text, encrypted). Bumps the
    investigation's version; refused on a completed investigation. `version`, when given, must
    be the current one (a page's form: a resent form is refused instead of stored twice)."""
    require_write(actor)
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "").strip()
    if kind not in SettingKind.values:
        errors["kind"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(SettingKind.values)}]
    started = _day(data, "started_on", errors)
    ended = _day(data, "ended_on", errors)
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("不能超过 %(n)s 个字符。") % {"n": DESCRIPTION_MAX}]
    with transaction.atomic():
        current = _locked(actor, investigation, version)
        _require_open(current)
        check_exposure_days(current.exposure_window_start, current.exposure_window_end,
                            started, ended, errors)
        if errors:
            raise InvalidInput(errors)
        try:
            setting = _setting_for(actor, current, data, kind, errors)
            if setting is None and not errors:
                place = place_division(str(data.get("place_division_code") or ""),
                                       "place_division_code")
                place_code = place.code
            else:
                place_code = setting.division_code if setting is not None else ""
        except InvalidInput as exc:
            # A new setting's fields are the exposure form's fields.
            for field, messages in exc.fields.items():
                name = "place_division_code" if field == "division_code" else (
                    "setting_label" if field == "label" else field)
                errors[name] = [str(m) for m in messages]
            setting = None
            place_code = ""
        if errors or started is None or ended is None:
            raise InvalidInput(errors)
        exposure = Exposure.objects.create(
            investigation=current, setting=setting,
            kind=setting.kind if setting is not None else kind,
            place_division_code=place_code, division_code=current.division_code,
            started_on=started, ended_on=ended, description=description, created_by=actor)
        _apply(actor=actor, current=current, summary="investigation exposure add", updates={},
               extra={"exposure_added": exposure.pk, "kind": exposure.kind,
                      "setting": setting.pk if setting is not None else None,
                      "place_division_code": place_code, "started_on": started.isoformat(),
                      "ended_on": ended.isoformat()})
    return exposure


def exposure_remove(*, actor: User, investigation: Investigation, exposure_id: int,
                    version: int, reason: str) -> Investigation:
    """Remove an exposure entered by mistake, with the reason (the audit keeps what it was)."""
    require_write(actor)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [_("请填写删除原因。")]})
    if len(text) > NOTE_MAX:
        raise InvalidInput({"reason": [_("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}]})
    with transaction.atomic():
        current = _locked(actor, investigation, version)
        _require_open(current)
        exposure = current.exposures.filter(pk=exposure_id).first()
        if exposure is None:
            raise InvalidInput({"exposure_id": [_("未找到该暴露记录。")]})
        gone = {"exposure_removed": exposure.pk, "kind": exposure.kind,
                "setting": exposure.setting_id, "place_division_code":
                exposure.place_division_code, "started_on": exposure.started_on.isoformat(),
                "ended_on": exposure.ended_on.isoformat(), "reason": text}
        exposure.delete()
        return _apply(actor=actor, current=current, summary="investigation exposure remove",
                      updates={}, extra=gone)


def investigation_for_case_or_open(*, actor: User, case_id: int) -> tuple[Investigation, bool]:
    """The open-from-the-case-page action: the case read in the actor's jurisdiction first."""
    case = (scoped(CaseReport.objects.select_related("disease"), actor)
            .filter(pk=case_id).first())
    if case is None:
        raise NotFound(case_id)
    return investigation_open(actor=actor, case=case)
