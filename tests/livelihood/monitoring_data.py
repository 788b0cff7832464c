"""Test data for the monitoring tests and for any test that decides a signal "identified"
(the decision opens the household's flag only when the rules find a risk — decision 1230).

    line(2026, 7200)                 # a monitoring line (national unless province_code)
    at_risk(household)               # this year's national line and a low income: flagged now
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from shouwang.livelihood.models import Household, MonitoringThreshold
from shouwang.livelihood.services.incomes import income_record_set
from tests.livelihood.factories import _cadre_for

LINE = 7200


def line(year: int, amount: int, province_code: str = "") -> MonitoringThreshold:
    """The line of `year` (kept when there is one already)."""
    found, _created = MonitoringThreshold.objects.get_or_create(
        year=year, province_code=province_code,
        defaults={"poverty_line": Decimal(4000), "multiple": Decimal("1.5"),
                  "amount": Decimal(amount)})
    return found


def at_risk(household: Household, per_capita: int = 3000) -> Household:
    """A national line of LINE yuan for this year and last, and a yearly wage of `per_capita`
    × members for both years (below the line: the rules flag the household this month)."""
    year = timezone.localdate().year
    cadre = _cadre_for(household.division_code)
    members = household.members.filter(active=True).count()
    for y in (year - 1, year):
        line(y, LINE)
        income_record_set(actor=cadre, household_id=household.pk, year=y, component="wages",
                          amount=per_capita * members)
    return household
