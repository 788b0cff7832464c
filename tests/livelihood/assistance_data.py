"""Households with 24 months of monthly income for the elimination and flag-page tests, made
through the registry services (incomes) and flags.flag_open; the year's monitoring line as a
row (a line is data entered per year and province: decision 1200)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from shouwang.accounts.models import User
from shouwang.livelihood.models import Household, MonitoringFlag, MonitoringThreshold
from shouwang.livelihood.selectors.monitoring import add_months, last_complete_month
from shouwang.livelihood.services.incomes import income_record_set
from tests.livelihood.factories import make_flag, make_household

LINE = Decimal("6000")  # yuan per capita a year: 500 a month
MONTHS = 24


def line_for_this_year(amount: Decimal = LINE) -> None:
    """The national monitoring line of the last complete month's year (and the year before)."""
    t = last_complete_month()
    for year in {t.year, t.year - 1}:
        MonitoringThreshold.objects.get_or_create(
            year=year, province_code="",
            defaults={"poverty_line": Decimal("4000"), "multiple": amount / 4000,
                      "amount": amount})


def months() -> list[date]:
    """The first days of the 24 months ending with the last complete month."""
    t = last_complete_month()
    return [add_months(t, k - MONTHS + 1) for k in range(MONTHS)]


def monthly_wages(household: Household, amounts: Sequence[float], actor: User | None = None
                  ) -> None:
    """Monthly wage records of the household (whole household, yuan) for the last len(amounts)
    months ending with the last complete month."""
    from tests.livelihood.factories import _cadre_for

    who = actor or _cadre_for(household.division_code)
    for day, amount in zip(months()[-len(amounts):], amounts, strict=True):
        income_record_set(actor=who, household_id=household.pk, year=day.year, month=day.month,
                          component="wages", amount=Decimal(str(amount)))


def recovering_household(division_code: str = "420111001", *, good_months: int = 3,
                         **kwargs: Any) -> tuple[Household, MonitoringFlag]:
    """One member, 200 yuan a month, then 900 a month: the 12-month income reaches the line of
    6,000 after six months of 900, and stays there for `good_months` months (0 … 18)."""
    line_for_this_year()
    household = make_household(division_code, members=1, **kwargs)
    # With g months of 900 in the window: g·900 + (12−g)·200 ≥ 6000 ⇔ g ≥ 6.
    high_from = MONTHS - good_months - 5
    monthly_wages(household, [200 if k < high_from else 900 for k in range(MONTHS)])
    return household, make_flag(household)
