"""Shocks (风险事件): an event that cut a household's income or forced its spending — medical
spending, disaster loss, job loss, migrant work interrupted by the epidemic — with its dates and
amount. Idempotent on `source_key`: the same report sent twice is stored once.
Decision record: docs/decisions/1210-household-registry.md.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.livelihood.models import DataSource, Household, Member, Shock, ShockKind
from shouwang.livelihood.services.fields import parse_day
from shouwang.livelihood.services.households import household_for_write, require_write
from shouwang.livelihood.services.incomes import parse_amount

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.surveillance.models import CaseReport

SOURCE_KEY_MAX = 96
DESCRIPTION_MAX = 2000


def _day(value: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    return parse_day(value, field, errors)


def shock_record(
    *, actor: User, household_id: int, kind: str, occurred_on: Any, amount: Any,
    source: str = DataSource.CADRE_VISIT, ended_on: Any = None, description: str = "",
    member_id: int | None = None, case: CaseReport | None = None,
    source_key: str | None = None,
) -> tuple[Shock, bool]:
    """Record one shock; `(shock, created)`. A key already stored returns that shock."""
    require_write(actor)
    household = household_for_write(actor, household_id)
    return shock_store(household=household, actor=actor, kind=kind, occurred_on=occurred_on,
                       amount=amount, source=source, ended_on=ended_on, description=description,
                       member_id=member_id, case=case, source_key=source_key)


def shock_store(
    *, household: Household, actor: User | None, kind: str, occurred_on: Any, amount: Any,
    source: str, ended_on: Any = None, description: str = "", member_id: int | None = None,
    case: CaseReport | None = None, source_key: str | None = None,
) -> tuple[Shock, bool]:
    """Validate and store one shock of a household the caller has already established: a
    cadre's (`shock_record`), or a source without one behind it — the household's own form,
    a department's feed, the screening job (services.signals). `(shock, created)`."""
    key = (source_key or "").strip() or None
    errors: dict[str, list[str]] = {}
    if key is not None:
        if len(key) > SOURCE_KEY_MAX:
            errors["source_key"] = [_("不能超过 %(n)s 个字符。") % {"n": SOURCE_KEY_MAX}]
        else:
            stored = Shock.objects.filter(source_key=key).first()
            if stored is not None:
                if stored.household_id != household.pk:
                    raise InvalidInput({"source_key": [_("该来源键已被其他记录使用。")]})
                return stored, False
    if kind not in ShockKind.values:
        errors["kind"] = [_("请从以下选项中选择：%(opts)s") % {"opts": "、".join(ShockKind.values)}]
    if source not in DataSource.values:
        errors["source"] = [_("请从以下选项中选择：%(opts)s") % {
            "opts": "、".join(DataSource.values)}]
    start = _day(occurred_on, "occurred_on", errors)
    if start is None and "occurred_on" not in errors:
        errors["occurred_on"] = [_("请填写发生日期。")]
    end = _day(ended_on, "ended_on", errors)
    today = timezone.localdate()
    if start is not None and start > today:
        errors["occurred_on"] = [_("日期不能晚于今天。")]
    if start is not None and end is not None and end < start:
        errors["ended_on"] = [_("结束日期不能早于发生日期。")]
    value = parse_amount(amount, "amount", errors)
    if value is not None and value < 0:
        errors["amount"] = [_("金额不能为负数。")]
    member: Member | None = None
    if member_id is not None:
        member = Member.objects.filter(pk=member_id, household=household).first()
        if member is None:
            errors["member"] = [_("该成员不属于此农户。")]
    text = (description or "").strip()
    if len(text) > DESCRIPTION_MAX:
        errors["description"] = [_("不能超过 %(n)s 个字符。") % {"n": DESCRIPTION_MAX}]
    if errors or start is None or value is None:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            shock = Shock.objects.create(
                source_key=key, household=household, member=member, kind=kind,
                occurred_on=start, ended_on=end, amount=value, description=text, source=source,
                case=case, recorded_by=actor)
            audit_log(actor=actor, action=AuditAction.CREATE, obj=shock,
                      division_code=household.division_code,
                      summary=f"shock {kind} {household.household_number}",
                      changes={"kind": kind, "occurred_on": start.isoformat(),
                               "amount": str(value), "source": source})
    except IntegrityError:
        if key is not None:
            raced = Shock.objects.filter(source_key=key, household=household).first()
            if raced is not None:
                return raced, False
        raise
    return shock, True
