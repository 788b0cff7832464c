"""Household net income by component (收入构成) for a year or one month of it.

`income_record_set` is an upsert on (household, year, month, component): the same record sent
twice is stored once, a corrected amount replaces the stored one. Wages and transfers cannot be
negative (a field error; the database checks it too); operating and property income can (a loss).
Decision record: docs/decisions/1210-household-registry.md.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.livelihood.models import DataSource, IncomeComponent, IncomeRecord
from shouwang.livelihood.services.households import household_for_write, require_write

if TYPE_CHECKING:
    from shouwang.accounts.models import User

MAY_BE_NEGATIVE = frozenset({IncomeComponent.OPERATING, IncomeComponent.PROPERTY})
AMOUNT_LIMIT = Decimal("9999999999.99")
FIRST_YEAR = 2000


def parse_amount(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if value is None or str(value).strip() == "":
        errors.setdefault(field, []).append(_("请填写金额。"))
        return None
    try:
        amount = Decimal(str(value).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append(_("请填写数字金额（元）。"))
        return None
    if not amount.is_finite() or abs(amount) > AMOUNT_LIMIT:
        errors.setdefault(field, []).append(_("金额超出范围。"))
        return None
    return amount


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def income_record_set(
    *, actor: User, household_id: int, year: Any, component: str, amount: Any,
    month: Any = None, source: str = DataSource.CADRE_VISIT,
) -> tuple[IncomeRecord, bool]:
    """Store the household's net income of `component` for `year` (or `month` of it);
    `(record, created)`. Raises NotFound outside the actor's jurisdiction, InvalidInput for bad
    fields (a negative wage or transfer among them)."""
    require_write(actor)
    household = household_for_write(actor, household_id)
    errors: dict[str, list[str]] = {}
    this_year = timezone.localdate().year
    y = _int(year)
    if y is None or not FIRST_YEAR <= y <= this_year:
        errors["year"] = [_("年度应在 %(a)s 年至 %(b)s 年之间。") % {
            "a": FIRST_YEAR, "b": this_year}]
    m: int | None = None
    if month not in (None, ""):
        m = _int(month)
        if m is None or not 1 <= m <= 12:
            errors["month"] = [_("月份应为 1 至 12。")]
    if component not in IncomeComponent.values:
        errors["component"] = [_("请从以下选项中选择：%(opts)s") % {
            "opts": "、".join(IncomeComponent.values)}]
    if source not in DataSource.values:
        errors["source"] = [_("请从以下选项中选择：%(opts)s") % {
            "opts": "、".join(DataSource.values)}]
    value = parse_amount(amount, "amount", errors)
    if value is not None and value < 0 and component in IncomeComponent.values \
            and component not in MAY_BE_NEGATIVE:
        errors["amount"] = [_("%(c)s不能为负数（只有经营净收入和财产净收入可以为负）。") % {
            "c": IncomeComponent(component).label}]
    if errors or y is None or value is None:
        raise InvalidInput(errors)
    with transaction.atomic():
        stored = IncomeRecord.objects.select_for_update().filter(
            household=household, year=y, month=m, component=component).first()
        if stored is not None:
            if stored.amount == value and stored.source == source:
                return stored, False
            old = stored.amount
            stored.amount, stored.source, stored.recorded_by = value, source, actor
            stored.save(update_fields=["amount", "source", "recorded_by", "recorded_at"])
            audit_log(actor=actor, action=AuditAction.UPDATE, obj=stored,
                      division_code=household.division_code,
                      summary=f"income {household.household_number} {y}-{m or '*'} {component}",
                      changes={"amount": [str(old), str(value)]})
            return stored, False
        record = IncomeRecord.objects.create(household=household, year=y, month=m,
                                             component=component, amount=value, source=source,
                                             recorded_by=actor)
        audit_log(actor=actor, action=AuditAction.CREATE, obj=record,
                  division_code=household.division_code,
                  summary=f"income {household.household_number} {y}-{m or '*'} {component}",
                  changes={"amount": str(value), "source": source})
    return record, True
