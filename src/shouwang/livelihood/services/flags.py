"""Monitoring flags (监测对象): the writers that open a flag (one, or a pass's many).

A flag is never stored without the rule set that found the household, the triggers or target
group the rule gave, the numbers behind them and the reason ("a flag without a rule" is refused
field by field, as is a second open flag of the same household). Whoever opens one — a cadre
deciding a signal — goes through `flag_open`; a monitoring pass opens its thousands through
`flags_open_bulk`: the same checks on every row, then one bulk insert, one update of the
households and the audit rows in bulk. The household becomes "monitored" in the same
transaction, with an audit row per flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.context import current_request_context
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.core.scoping import in_jurisdiction
from shouwang.epi.livelihood_rules import GROUP_NAMES, TRIGGER_NAMES
from shouwang.livelihood.models import (
    FlagStatus,
    Household,
    MonitoringFlag,
    MonitoringRuleSet,
    MonitoringRun,
    MonitoringStatus,
    Signal,
    TargetGroup,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "livelihood.write"
REASON_MAX = 400
KNOWN_TRIGGERS = frozenset(TRIGGER_NAMES.values())
KNOWN_GROUPS = frozenset(GROUP_NAMES.values())
BULK_BATCH = 500


def _check(rule_set: MonitoringRuleSet | None, target_group: str, triggers: Sequence[str],
           numbers: Mapping[str, Any] | None, reason: str) -> dict[str, list[str]]:
    """The field errors of a flag (empty: it may be stored)."""
    errors: dict[str, list[str]] = {}
    if rule_set is None:
        errors["rule_set"] = [_("纳入监测必须注明所依据的监测规则：没有规则的纳入不能保存。")]
    if target_group not in TargetGroup.values:
        errors["target_group"] = [
            _("请选择监测对象类别（脱贫不稳定户、边缘易致贫户或突发严重困难户）。")]
    names = list(triggers or ())
    unknown = [n for n in names if n not in KNOWN_TRIGGERS | KNOWN_GROUPS]
    if not names:
        errors["triggers"] = [_("纳入监测必须有规则的触发条件：该户未触发任何监测条件。")]
    elif unknown:
        errors["triggers"] = [_("未知的触发条件：%(names)s。") % {"names": "、".join(unknown)}]
    if not numbers:
        errors["numbers"] = [_("纳入监测必须保存判定依据的数据。")]
    text = (reason or "").strip()
    if not text:
        errors["reason"] = [_("请填写纳入理由。")]
    elif len(text) > REASON_MAX:
        errors["reason"] = [_("纳入理由不能超过 %(n)s 个字符。") % {"n": REASON_MAX}]
    return errors


def flag_open(*, household: Household, rule_set: MonitoringRuleSet | None, target_group: str,
              triggers: Sequence[str], numbers: Mapping[str, Any] | None, reason: str,
              actor: User | None = None, signal: Signal | None = None,
              run: MonitoringRun | None = None, evaluated_month: date | None = None,
              identified_at: datetime | None = None) -> MonitoringFlag:
    """Open the household's monitoring. `triggers`: the rule's trigger names (Trigger) and/or
    group names (Group) that put it there — at least one. `actor` None: the platform (a
    monitoring pass); otherwise a cadre with livelihood.write whose jurisdiction holds the
    household (else PermissionDenied / NotFound)."""
    if actor is not None:
        if not in_jurisdiction(actor, household.division_code):
            raise NotFound(str(household.pk))
        if not actor.has_capability(WRITE):
            raise PermissionDenied
    errors = _check(rule_set, target_group, triggers, numbers, reason)
    if errors:
        raise InvalidInput(errors)
    names = list(triggers)
    text = reason.strip()
    assert rule_set is not None
    try:
        with transaction.atomic():
            locked = Household.objects.select_for_update().get(pk=household.pk)
            if MonitoringFlag.objects.filter(household=locked,
                                             status=FlagStatus.MONITORING).exists():
                raise InvalidInput({"household": [_("该户已在监测帮扶中，不能重复纳入。")]})
            flag = MonitoringFlag.objects.create(
                household=locked, division_code=locked.division_code, rule_set=rule_set,
                target_group=target_group, triggers=names, numbers=dict(numbers or {}),
                reason=text, signal=signal, run=run, evaluated_month=evaluated_month,
                identified_at=identified_at or timezone.now(), identified_by=actor)
            locked.monitoring_status = MonitoringStatus.MONITORED
            locked.save(update_fields=["monitoring_status", "updated_at"])
            audit_log(actor=actor, action=AuditAction.CREATE, obj=flag,
                      division_code=flag.division_code,
                      summary=f"monitoring flag opened ({target_group})",
                      changes={"rule_set": f"{rule_set.code} v{rule_set.version}",
                               "triggers": names, "signal": signal.pk if signal else None,
                               "run": run.pk if run else None})
    except IntegrityError:  # a concurrent opener won the one-open constraint
        raise InvalidInput({"household": [_("该户已在监测帮扶中，不能重复纳入。")]}) from None
    return flag


@dataclass(frozen=True)
class FlagSpec:
    """One flag for `flags_open_bulk`: what flag_open takes, for a household known by id."""

    household_id: int
    division_code: str
    rule_set: MonitoringRuleSet | None
    target_group: str
    triggers: Sequence[str]
    numbers: Mapping[str, Any] | None
    reason: str


def _audit_rows(flags: Sequence[MonitoringFlag], actor: User | None) -> list[AuditEvent]:
    """One audit row per flag, as audit_log writes it (no personal field in `changes`)."""
    ctx = current_request_context()
    who = actor if actor is not None and actor.is_authenticated else None
    return [AuditEvent(
        actor=who, actor_username=getattr(who, "username", "") or "",
        actor_role=getattr(who, "role", "") or "",
        actor_division_code=getattr(who, "division_id", "") or "",
        action=str(AuditAction.CREATE), object_type=MonitoringFlag._meta.label_lower,
        object_id=str(f.pk), division_code=f.division_code[:12],
        summary=f"monitoring flag opened ({f.target_group})",
        changes={"rule_set": f"{f.rule_set.code} v{f.rule_set.version}",
                 "triggers": list(f.triggers), "signal": None,
                 "run": f.run_id, "bulk": True},
        ip_address=ctx.ip_address if ctx else None, user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "") for f in flags]


def flags_open_bulk(*, specs: Sequence[FlagSpec], actor: User | None = None,
                    run: MonitoringRun | None = None, evaluated_month: date | None = None,
                    identified_at: datetime | None = None) -> list[MonitoringFlag]:
    """Open many households' monitoring at once (a monitoring pass). Every spec is checked as
    flag_open checks one — any error refuses the whole batch, with fields
    "flags.<i>.<field>", before anything is written. Households that already have an open flag
    (also one opened concurrently) are left as they are; the flags opened are returned (their
    households now "monitored", one audit row each). `actor` as in flag_open."""
    errors: dict[str, list[str]] = {}
    for i, spec in enumerate(specs):
        for name, messages in _check(spec.rule_set, spec.target_group, spec.triggers,
                                     spec.numbers, spec.reason).items():
            errors[f"flags.{i}.{name}"] = messages
        if actor is not None and not in_jurisdiction(actor, spec.division_code):
            raise NotFound(str(spec.household_id))
    if actor is not None and not actor.has_capability(WRITE):
        raise PermissionDenied
    if errors:
        raise InvalidInput(errors)
    if len({s.household_id for s in specs}) != len(specs):
        raise InvalidInput({"flags": [_("同一农户在一批中只能纳入一次。")]})
    at = identified_at or timezone.now()
    for _attempt in range(2):
        try:
            return _bulk_write(specs, actor, run, evaluated_month, at)
        except IntegrityError:  # a concurrent opener took some: skip them and try again
            continue
    return _bulk_write(specs, actor, run, evaluated_month, at)


def _bulk_write(specs: Sequence[FlagSpec], actor: User | None, run: MonitoringRun | None,
                evaluated_month: date | None, at: datetime) -> list[MonitoringFlag]:
    made: list[MonitoringFlag] = []
    with transaction.atomic():
        for start in range(0, len(specs), BULK_BATCH):
            batch = specs[start:start + BULK_BATCH]
            ids = [s.household_id for s in batch]
            taken = set(MonitoringFlag.objects.filter(household_id__in=ids,
                                                      status=FlagStatus.MONITORING)
                        .values_list("household_id", flat=True))
            # The household's own division, not the caller's copy of it.
            divisions = dict(Household.objects.filter(pk__in=ids)
                             .values_list("pk", "division_code"))
            rows = [MonitoringFlag(
                household_id=s.household_id, division_code=divisions[s.household_id],
                rule_set=s.rule_set, target_group=s.target_group, triggers=list(s.triggers),
                numbers=dict(s.numbers or {}), reason=s.reason.strip(), run=run,
                evaluated_month=evaluated_month, identified_at=at, identified_by=actor)
                for s in batch if s.household_id not in taken and s.household_id in divisions]
            if not rows:
                continue
            created = MonitoringFlag.objects.bulk_create(rows)
            if any(f.pk is None for f in created):  # a backend that returns no ids
                by_household = dict(MonitoringFlag.objects.filter(
                    household_id__in=[f.household_id for f in created],
                    status=FlagStatus.MONITORING).values_list("household_id", "pk"))
                for f in created:
                    f.pk = by_household[f.household_id]
            Household.objects.filter(pk__in=[f.household_id for f in created]).update(
                monitoring_status=MonitoringStatus.MONITORED, updated_at=timezone.now())
            AuditEvent.objects.bulk_create(_audit_rows(created, actor))
            made.extend(created)
    return made
