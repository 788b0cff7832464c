"""Signals (监测线索): leads that a household may be at risk, from the household's own report, a
cadre's visit or another department's data (this platform's surveillance included), each to be
decided within the time limit (decision 1220).

    signal_receive(*, source, household, summary, details, source_key=None, actor=None,
                   shock=None) -> Signal
    signal_decide(*, actor, signal, identified, reason) -> Signal
    shock_receive(*, household, kind, occurred_on, amount, description, source,
                  source_key=None, member=None, case=None, actor=None) -> Shock

`shock_receive` is the Shock of a source without a cadre behind it (the household's own form,
a department's feed, the screening job): services/shocks.py `shock_record` is the cadre's,
which needs livelihood.write and the household in the cadre's jurisdiction.

`decision_due` = received_at + SHOUWANG_LIVELIHOOD_DECISION_DAYS (default 15: the national rule
is to decide within 15 days). The same report sent twice (same `source_key`) is stored once.
Deciding records the decision only; turning an identified signal into a MonitoringFlag is the
identification part's (`on_identified` is the seam it plugs into).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.livelihood.models import (
    DataSource,
    Household,
    Member,
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
    """One Shock; with a `source_key` already stored, the stored one (nothing new)."""
    if kind not in ShockKind.values:
        raise InvalidInput({"kind": [_("请选择困难类型。")]})
    if Decimal(amount) < 0:
        raise InvalidInput({"amount": [_("金额不能为负数。")]})
    if source_key:
        existing = Shock.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    try:
        with transaction.atomic():
            shock = Shock.objects.create(
                source_key=source_key or None, household=household, member=member, kind=kind,
                occurred_on=occurred_on, amount=Decimal(amount), description=description,
                source=source, case=case, recorded_by=actor)
    except IntegrityError:
        if source_key:
            return Shock.objects.get(source_key=source_key)
        raise
    audit_log(actor=actor, action=AuditAction.CREATE, obj=shock,
              division_code=household.division_code,
              summary=f"shock {kind} {occurred_on} ({source})")
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


def signal_decide(*, actor: User, signal: Signal, identified: bool, reason: str) -> Signal:
    """Decide a pending signal: identified for monitoring or not, always with a reason.
    Outside the actor's jurisdiction: NotFound; without livelihood.write: PermissionDenied."""
    if not in_jurisdiction(actor, signal.division_code):
        raise NotFound(str(signal.pk))
    if not may_write(actor):
        raise PermissionDenied
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [_("请填写研判意见：研判必须说明理由。")]})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": [_("研判意见不能超过 %(n)s 个字符。") % {"n": REASON_MAX}]})
    with transaction.atomic():
        locked = Signal.objects.select_for_update().get(pk=signal.pk)
        if locked.status != SignalStatus.PENDING:
            raise InvalidInput({"status": [_("该线索已研判，不能重复研判。")]})
        locked.status = SignalStatus.IDENTIFIED if identified else SignalStatus.NOT_IDENTIFIED
        locked.decided_at = timezone.now()
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
