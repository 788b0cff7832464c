"""The database itself refuses what must never be stored, whatever the caller: the last guard
behind the services' field errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shouwang.livelihood.models import (
    Household,
    IncomeRecord,
    Member,
    MonitoringFlag,
    MonitoringRuleSet,
    Shock,
)

pytestmark = pytest.mark.django_db


def _household(number: str, **extra: object) -> Household:
    return Household.objects.create(household_number=number, division_code="420111001",
                                    **extra)


def _refused(**create: object) -> None:
    model = create.pop("model")
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**create)  # type: ignore[attr-defined]


def test_a_person_is_an_active_member_of_one_household_only(divisions: None) -> None:
    a, b = _household("H-1"), _household("H-2")
    person = {"name": "王芳", "id_number": "420111198001011234", "relationship": "head"}
    Member.objects.create(household=a, **person)
    _refused(model=Member, household=b, **person)
    Member.objects.filter(household=a).update(active=False)
    Member.objects.create(household=b, **person)  # left the first: may join another


def test_members_without_an_id_number_do_not_collide(divisions: None) -> None:
    a, b = _household("H-1"), _household("H-2")
    Member.objects.create(household=a, name="甲", relationship="head")
    Member.objects.create(household=b, name="乙", relationship="head")


def test_wages_and_transfers_cannot_be_negative_but_an_operating_loss_can(
        divisions: None) -> None:
    h = _household("H-1")
    for component in ("wages", "transfer"):
        _refused(model=IncomeRecord, household=h, year=2026, component=component,
                 amount=Decimal("-1"), source="cadre_visit")
    IncomeRecord.objects.create(household=h, year=2026, component="operating",
                                amount=Decimal("-3000"), source="cadre_visit")


def test_an_income_of_a_month_is_stored_once_and_the_month_exists(divisions: None) -> None:
    h = _household("H-1")
    IncomeRecord.objects.create(household=h, year=2026, month=3, component="wages",
                                amount=Decimal("2000"), source="cadre_visit")
    _refused(model=IncomeRecord, household=h, year=2026, month=3, component="wages",
             amount=Decimal("2100"), source="cadre_visit")
    _refused(model=IncomeRecord, household=h, year=2026, month=13, component="wages",
             amount=Decimal("1"), source="cadre_visit")
    IncomeRecord.objects.create(household=h, year=2026, component="wages",
                                amount=Decimal("24000"), source="cadre_visit")
    _refused(model=IncomeRecord, household=h, year=2026, component="wages",
             amount=Decimal("1"), source="cadre_visit")


def test_a_shock_cannot_be_negative(divisions: None) -> None:
    _refused(model=Shock, household=_household("H-1"), kind="medical",
             occurred_on=date(2026, 2, 1), amount=Decimal("-5"), source="cadre_visit")


def test_a_lifted_out_household_has_its_year_and_only_it(divisions: None) -> None:
    _refused(model=Household, household_number="H-1", division_code="420111001",
             poverty_status="lifted_out")
    _refused(model=Household, household_number="H-2", division_code="420111001",
             lifted_out_year=2019)
    _household("H-3", poverty_status="lifted_out", lifted_out_year=2019)


def test_a_flag_needs_its_rule_and_an_eliminated_one_its_time(divisions: None) -> None:
    h = _household("H-1")
    flag = {"household": h, "division_code": h.division_code, "target_group": "marginal",
            "triggers": ["income_below_threshold"], "numbers": {}, "reason": "收入低于监测标准",
            "identified_at": timezone.now()}
    _refused(model=MonitoringFlag, **flag)  # no rule set
    rules = MonitoringRuleSet.objects.create(code="cn-2021", version=1, name="国家监测规则",
                                             params={}, effective_from=date(2021, 1, 1))
    _refused(model=MonitoringFlag, rule_set=rules, status="eliminated", **flag)
    MonitoringFlag.objects.create(rule_set=rules, **flag)
    _refused(model=MonitoringFlag, rule_set=rules, **flag)  # one open monitoring at a time
