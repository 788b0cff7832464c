"""Signals (监测线索): leads that a household may be at risk, from the household's own report, a
cadre's visit or another department's data (this platform's surveillance included), each to be
decided within the time limit (decision 1220).

    signal_receive(*, source, household, summary, details, source_key=None, actor=None,
                   shock=None) -> Signal
    signal_decide(*, actor, signal, identified, reason, decided_at=None) -> Signal
    shock_receive(*, household, kind, occurred_on, amount, description, source,
                  source_key=None, member=None, case=None, actor=None) -> Shock

`shock_receive` is the Shock of a source without a cadre behind it (the household's own form,
a department's feed, the screening job); services/shocks.py `shock_record` is the cadre's,
which needs livelihood.write and the household in the cadre's jurisdiction. Both validate and
write through `shock_store`.

`decision_due` = received_at + SHOUWANG_LIVELIHOOD_DECISION_DAYS (default 15: the national rule
is to decide within 15 days). The same report sent twice (same `source_key`) is stored once.
Deciding records the decision only; turning an identified signal into a MonitoringFlag is the
identification part's (`on_identified` is the seam it plugs into).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.fields import lookup_q
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.livelihood.models import (
    DataSource,
    Household,
    Member,
    Relationship,
    Shock,
    ShockKind,
    Signal,
    SignalStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User
    from shouwang.surveillance.models import CaseReport

WRITE = "livelihood.write"
DEFAULT_DECISION_DAYS = 15
REASON_MAX = 2000
SUMMARY_MAX = 255

# Called (inside the decision's transaction) with the signal once it is decided "identified":
# the identification part registers here to open the MonitoringFlag. Empty until it does.
on_identified: list[Callable[[Signal, User], None]] = []


def decision_days() -> int:
    return int(getattr(settings, "SHOUWANG_LIVELIHOOD_DECISION_DAYS", DEFAULT_DECISION_DAYS))


def decision_due_for(received_at: datetime) -> datetime:
    return received_at + timedelta(days=decision_days())


def may_write(actor: User | AnonymousUser | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active
                and actor.has_capability(WRITE))


def shock_receive(*, household: Household, kind: str, occurred_on: date, amount: Decimal | int,
                 description: str, source: str, source_key: str | None = None,
                 member: Member | None = None, case: CaseReport | None = None,
                 actor: User | None = None) -> Shock:
    """One Shock; with a `source_key` already stored, the stored one (nothing new). Validated
    and written by services.shocks.shock_store, as a cadre's shock is."""
    from shouwang.livelihood.services.shocks import shock_store

    shock, _created = shock_store(
        household=household, actor=actor, kind=kind, occurred_on=occurred_on, amount=amount,
        source=source, description=description, member_id=member.pk if member else None,
        case=case, source_key=source_key)
    return shock


def signal_receive(*, source: str, household: Household, summary: str,
                   details: dict[str, Any] | None, source_key: str | None = None,
                   actor: User | None = None, shock: Shock | None = None,
                   received_at: datetime | None = None) -> Signal:
    """Store a signal for `household`, due `decision_days()` after it was received; the same
    `source_key` twice stores one (the first is returned)."""
    if source not in DataSource.values:
        raise InvalidInput({"source": [_("线索来源无效。")]})
    text = (summary or "").strip()
    if not text:
        raise InvalidInput({"summary": [_("请填写线索摘要。")]})
    if source_key:
        existing = Signal.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    at = received_at or timezone.now()
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                source_key=source_key or None, household=household,
                division_code=household.division_code, source=source,
                summary=text[:SUMMARY_MAX], details=details or {}, shock=shock, received_at=at,
                decision_due=decision_due_for(at))
    except IntegrityError:
        if source_key:
            return Signal.objects.get(source_key=source_key)
        raise
    audit_log(actor=actor, action=AuditAction.CREATE, obj=signal,
              division_code=household.division_code,
              summary=f"signal from {source}, due {signal.decision_due:%Y-%m-%d}")
    return signal


def signal_decide(*, actor: User, signal: Signal, identified: bool, reason: str,
                  decided_at: datetime | None = None) -> Signal:
    """Decide a pending signal: identified for monitoring or not, always with a reason.
    `decided_at` (default now) replays a decision made earlier (a migration of records, the
    demo): not in the future and not before the signal was received; the identification hook
    judges the household at that moment. Outside the actor's jurisdiction: NotFound; without
    livelihood.write: PermissionDenied."""
    if not in_jurisdiction(actor, signal.division_code):
        raise NotFound(str(signal.pk))
    if not may_write(actor):
        raise PermissionDenied
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [_("请填写研判意见：研判必须说明理由。")]})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": [_("研判意见不能超过 %(n)s 个字符。") % {"n": REASON_MAX}]})
    now = timezone.now()
    at = now if decided_at is None else decided_at
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now:
        raise InvalidInput({"decided_at": [_("研判时间不能晚于现在。")]})
    with transaction.atomic():
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.status != SignalStatus.PENDING:
            raise InvalidInput({"status": [_("该线索已研判，不能重复研判。")]})
        if at < locked.received_at:
            raise InvalidInput({"decided_at": [_("研判时间不能早于收到线索的时间（%(at)s）。") % {
                "at": f"{timezone.localtime(locked.received_at):%Y-%m-%d %H:%M}"}]})
        locked.status = SignalStatus.IDENTIFIED if identified else SignalStatus.NOT_IDENTIFIED
        locked.decided_at = at
        locked.decided_by = actor
        locked.decision_reason = text
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=locked,
                  division_code=locked.division_code,
                  summary=f"signal decided {locked.status}",
                  changes={"status": locked.status, "reason": text,
                           "overdue": locked.decided_at > locked.decision_due})
        if identified:
            for hook in on_identified:
                hook(locked, actor)
    return locked


# --- identification (decision 1230): an identified signal opens the household's flag ----------

def _open_flag(signal: Signal, actor: User) -> None:
    from shouwang.livelihood.services.monitoring import flag_from_signal

    flag_from_signal(signal, actor)


on_identified.append(_open_flag)


# --- input helpers ------------------------------------------------------------------------------

Errors = dict[str, list[str]]
TEXT_MAX = 2000
AMOUNT_LIMIT = Decimal("1000000000")
# How far back a reported difficulty may lie (a year and a bit: the monitoring year).
OCCURRED_MAX_DAYS = 400


def _parse_day(value: Any, field: str, errors: Errors) -> date | None:
    if value in (None, ""):
        errors.setdefault(field, []).append(_("请填写发生日期。"))
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            errors.setdefault(field, []).append(_("日期格式应为 YYYY-MM-DD。"))
            return None
    today = timezone.localdate()
    if day > today:
        errors.setdefault(field, []).append(_("日期不能晚于今天。"))
        return None
    if (today - day).days > OCCURRED_MAX_DAYS:
        errors.setdefault(field, []).append(_("日期过早，请填写一年内发生的情况。"))
        return None
    return day


def _parse_amount(value: Any, field: str, errors: Errors, *, required: bool) -> Decimal:
    if value is None or str(value).strip() == "":
        if required:
            errors.setdefault(field, []).append(_("请填写金额。"))
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip().replace(",", "")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("请填写数字金额（元）。"))
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount > AMOUNT_LIMIT:
        errors.setdefault(field, []).append(_("金额应为不小于 0 的数字。"))
        return Decimal(0)
    return amount


def _parse_kind(value: Any, field: str, errors: Errors) -> str:
    kind = str(value or "").strip()
    if kind not in ShockKind.values:
        errors.setdefault(field, []).append(
            _("请从以下选项中选择：%(opts)s") % {"opts": "、".join(ShockKind.values)})
    return kind


def _parse_text(value: Any, field: str, errors: Errors, *, limit: int = TEXT_MAX) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors.setdefault(field, []).append(_("不能超过 %(n)s 个字符。") % {"n": limit})
    return text


# --- (a) the household's own report (no login) ------------------------------------------------

SUFFIX_LENGTH = 6
# One message for an unknown household number and a wrong ID suffix: the form never tells
# whether a household number exists.
NOT_MATCHED = "not_matched"


def _normal_number(value: Any) -> str:
    return str(value or "").strip().upper()


def household_by_number(household_number: str) -> Household | None:
    """The household of this number, whatever the case of its letters (registry numbers are
    stored as typed); None when none or ambiguous."""
    number = str(household_number or "").strip()
    if not number:
        return None
    exact = Household.objects.filter(household_number=number).first()
    if exact is not None:
        return exact
    found = list(Household.objects.filter(household_number__iexact=number)[:2])
    return found[0] if len(found) == 1 else None


def household_by_number_and_suffix(household_number: str, id_suffix: str) -> Household | None:
    """The household whose number is `household_number` and whose head's ID number ends with
    `id_suffix` (6 characters, X in either case); None otherwise, in about the same time.

    The ID numbers are encrypted and their keyed hash is of the whole number, so the suffix is
    checked against the head's decrypted number (one row, found by the household number),
    compared in constant time; an unknown number compares against a dummy (decision 1220)."""
    number = _normal_number(household_number)
    suffix = str(id_suffix or "").strip().upper()
    household = household_by_number(number)
    head = None
    if household is not None:
        head = (Member.objects.filter(household=household, active=True,
                                      relationship=Relationship.HEAD)
                .only("id", "id_number").first())
    actual = (head.id_number or "").strip().upper()[-SUFFIX_LENGTH:] if head else ""
    expected = actual if len(actual) == SUFFIX_LENGTH else "\x00" * SUFFIX_LENGTH
    same = hmac.compare_digest(expected.encode(), suffix.encode().ljust(SUFFIX_LENGTH, b"\x01"))
    if household is None or head is None or len(suffix) != SUFFIX_LENGTH or not same:
        return None
    return household


def self_report_submit(*, household_number: str, id_suffix: str,
                       data: Mapping[str, Any]) -> Signal:
    """The household's own report: a Shock (source self_report) and a Signal. The fields are
    checked first (field errors); then an unknown household or a wrong suffix raises
    InvalidInput(code=NOT_MATCHED) with the one message for both. The same report sent twice
    (same household, kind, day, amount and text) is stored once."""
    errors: Errors = {}
    kind = _parse_kind(data.get("kind"), "kind", errors)
    day = _parse_day(data.get("occurred_on"), "occurred_on", errors)
    amount = _parse_amount(data.get("amount"), "amount", errors, required=False)
    text = _parse_text(data.get("description"), "description", errors)
    if not _normal_number(household_number):
        errors["household_number"] = [_("请填写户编号。")]
    if not str(id_suffix or "").strip():
        errors["id_suffix"] = [_("请填写户主身份证号后六位。")]
    if errors or day is None:
        raise InvalidInput(errors)
    household = household_by_number_and_suffix(household_number, id_suffix)
    if household is None:
        raise InvalidInput({}, message=_("户编号或户主身份证号后六位不正确，请核对后重新填写。"),
                           code=NOT_MATCHED)
    digest = hashlib.sha256(
        f"{household.pk}|{kind}|{day.isoformat()}|{amount}|{text}".encode()).hexdigest()[:40]
    key = f"self:{digest}"
    label = ShockKind(kind).label
    with transaction.atomic():
        shock = shock_receive(household=household, kind=kind, occurred_on=day, amount=amount,
                              description=text, source=DataSource.SELF_REPORT, source_key=key)
        return signal_receive(
            source=DataSource.SELF_REPORT, household=household,
            summary=f"农户自主申报：{label}，{day.isoformat()}，约 {amount} 元",
            details={"kind": kind, "occurred_on": day.isoformat(), "amount": str(amount),
                     "description": text},
            source_key=key, shock=shock)


# --- (b) a cadre's visit ------------------------------------------------------------------------

def cadre_visit_report(*, actor: User, household: Household, summary: str,
                       data: Mapping[str, Any] | None = None) -> Signal:
    """A cadre's lead from a visit (livelihood.write, the household in the jurisdiction);
    with `data["kind"]` a Shock too (kind, occurred_on, amount, description)."""
    if not in_jurisdiction(actor, household.division_code):
        raise NotFound(str(household.pk))
    if not may_write(actor):
        raise PermissionDenied
    data = data or {}
    errors: Errors = {}
    text = _parse_text(summary, "summary", errors, limit=SUMMARY_MAX)
    if not text:
        errors["summary"] = [_("请填写线索摘要。")]
    shock_args: dict[str, Any] | None = None
    if data.get("kind"):
        kind = _parse_kind(data.get("kind"), "kind", errors)
        day = _parse_day(data.get("occurred_on"), "occurred_on", errors)
        amount = _parse_amount(data.get("amount"), "amount", errors, required=False)
        description = _parse_text(data.get("description"), "description", errors)
        shock_args = {"kind": kind, "occurred_on": day, "amount": amount,
                      "description": description}
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        shock = None
        if shock_args is not None:
            shock = shock_receive(household=household, source=DataSource.CADRE_VISIT,
                                  actor=actor, **shock_args)
        details = {k: str(v) for k, v in (shock_args or {}).items()}
        return signal_receive(source=DataSource.CADRE_VISIT, household=household, summary=text,
                              details=details, actor=actor, shock=shock)


# --- (c) other departments' data ----------------------------------------------------------------

DEPARTMENTS: dict[str, str] = {
    "medical_insurance": "医疗保障部门",
    "civil_affairs": "民政部门",
    "emergency_management": "应急管理部门",
    "human_resources": "人力资源和社会保障部门",
    "education": "教育部门",
    "housing": "住房和城乡建设部门",
    "disabled_persons": "残疾人联合会",
}
RECORD_ID_MAX = 64
BATCH_MAX = 500


@dataclass(frozen=True)
class DepartmentResult:
    department: str
    record_id: str
    signal: Signal
    created: bool


def _match(actor: User, record: Mapping[str, Any], errors: Errors, at: str
           ) -> tuple[Household | None, Member | None]:
    id_number = str(record.get("id_number") or "").strip()
    number = _normal_number(record.get("household_number"))
    not_found = _("未找到匹配的农户。")
    if not id_number and not number:
        errors[f"{at}.id_number"] = [_("请填写证件号码或户编号。")]
        return None, None
    if id_number:
        member = (Member.objects.filter(lookup_q(Member, "id_number", id_number), active=True)
                  .select_related("household").first())
        if member is None or not in_jurisdiction(actor, member.household.division_code):
            errors[f"{at}.id_number"] = [not_found]
            return None, None
        if number and member.household.household_number.upper() != number:
            errors[f"{at}.household_number"] = [_("证件号码与户编号不一致。")]
            return None, None
        return member.household, member
    household = household_by_number(number)
    if household is None or not in_jurisdiction(actor, household.division_code):
        errors[f"{at}.household_number"] = [not_found]
        return None, None
    return household, None


def department_batch(*, actor: User, records: Sequence[Mapping[str, Any]]
                     ) -> list[DepartmentResult]:
    """Other departments' records, all or nothing: every record is checked and matched (by the
    keyed hash of the member's ID number, or the household number) before anything is stored;
    any error raises InvalidInput with fields "records.<i>.<field>". A record already stored
    (same department and record_id) returns its signal (created False). Decision 1220."""
    if not may_write(actor):
        raise PermissionDenied
    if not records:
        raise InvalidInput({"records": [_("请至少提交一条记录。")]})
    if len(records) > BATCH_MAX:
        raise InvalidInput({"records": [_("每批最多 %(n)s 条记录。") % {"n": BATCH_MAX}]})
    errors: Errors = {}
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, record in enumerate(records):
        at = f"records.{i}"
        department = str(record.get("department") or "").strip()
        if department not in DEPARTMENTS:
            errors[f"{at}.department"] = [_("请从以下选项中选择：%(opts)s") % {
                "opts": "、".join(DEPARTMENTS)}]
        record_id = str(record.get("record_id") or "").strip()
        if not record_id or len(record_id) > RECORD_ID_MAX:
            errors[f"{at}.record_id"] = [_("请填写记录编号（不超过 %(n)s 个字符）。") % {
                "n": RECORD_ID_MAX}]
        key = f"dept:{department}:{record_id}"
        if key in seen:
            errors[f"{at}.record_id"] = [_("同一批次中记录编号重复。")]
        seen.add(key)
        kind = _parse_kind(record.get("kind"), f"{at}.kind", errors)
        day = _parse_day(record.get("occurred_on"), f"{at}.occurred_on", errors)
        amount = _parse_amount(record.get("amount"), f"{at}.amount", errors, required=False)
        summary = _parse_text(record.get("summary"), f"{at}.summary", errors, limit=200)
        household, member = _match(actor, record, errors, at)
        checked.append({"department": department, "record_id": record_id, "key": key,
                        "kind": kind, "day": day, "amount": amount, "summary": summary,
                        "household": household, "member": member})
    if errors:
        raise InvalidInput(errors, message=_("批次中有 %(n)s 处错误，未保存任何记录。") % {
            "n": len(errors)})
    results: list[DepartmentResult] = []
    with transaction.atomic():
        for row in checked:
            stored = Signal.objects.filter(source_key=row["key"]).first()
            if stored is not None:
                results.append(DepartmentResult(row["department"], row["record_id"], stored,
                                                False))
                continue
            name = DEPARTMENTS[row["department"]]
            shock = shock_receive(household=row["household"], member=row["member"],
                                  kind=row["kind"], occurred_on=row["day"],
                                  amount=row["amount"], description=row["summary"],
                                  source=DataSource.DEPARTMENT, source_key=row["key"],
                                  actor=actor)
            signal = signal_receive(
                source=DataSource.DEPARTMENT, household=row["household"],
                summary=f"{name}：{ShockKind(row['kind']).label}"
                        + (f"，{row['summary']}" if row["summary"] else ""),
                details={"department": row["department"], "record_id": row["record_id"],
                         "kind": row["kind"], "occurred_on": row["day"].isoformat(),
                         "amount": str(row["amount"]),
                         "member_id": row["member"].pk if row["member"] else None},
                source_key=row["key"], shock=shock, actor=actor)
            results.append(DepartmentResult(row["department"], row["record_id"], signal, True))
    return results
