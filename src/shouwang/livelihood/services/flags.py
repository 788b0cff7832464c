"""Monitoring flags (监测对象): the one writer that opens a flag.

A flag is never stored without the rule set that found the household, the triggers or target
group the rule gave, the numbers behind them and the reason ("a flag without a rule" is refused
field by field, as is a second open flag of the same household). Whoever opens one — a monitoring
pass, a cadre deciding a signal — goes through `flag_open`. The household becomes "monitored" in
the same transaction, with an audit row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
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
    if errors:
        raise InvalidInput(errors)
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
