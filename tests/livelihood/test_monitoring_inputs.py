"""What the monitoring rules see (selectors/monitoring.py): lines, the rule set in force, the
households × months arrays built from the registry, and one household's evaluation. Every
expected number is worked out by hand in the test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from shouwang.accounts.models import User
from shouwang.core.errors import InvalidInput
from shouwang.livelihood.models import (
    FollowUpVisit,
    MonitoringRuleSet,
    MonitoringThreshold,
)
from shouwang.livelihood.selectors.monitoring import (
    household_evaluation,
    monitoring_inputs,
    reason_text,
    rule_set_in_force,
    target_group_for,
    threshold_for,
    threshold_table,
)
from shouwang.livelihood.services.households import guarantees_update
from shouwang.livelihood.services.incomes import income_record_set
from tests.livelihood.factories import default_rule_set, make_household

pytestmark = pytest.mark.django_db

VILLAGE = "420111001"


def line(year: int, amount: int, province: str = "") -> MonitoringThreshold:
    return MonitoringThreshold.objects.create(year=year, province_code=province,
                                              poverty_line=Decimal(4000),
                                              multiple=Decimal("1.5"), amount=Decimal(amount))


@pytest.fixture
def lines(divisions: None) -> None:
    line(2024, 6800)
    line(2025, 7000)
    line(2026, 7200)
    line(2026, 8000, "420000")


def monthly(cadre: User, household_id: int, year: int, month: int, component: str,
            amount: int) -> None:
    income_record_set(actor=cadre, household_id=household_id, year=year, month=month,
                      component=component, amount=amount)


def idx(first: date, year: int, month: int) -> int:
    return (year * 12 + month - 1) - (first.year * 12 + first.month - 1)


# --- lines and rule sets -------------------------------------------------------------------------

def test_threshold_province_row_wins_then_national_then_none(lines: None) -> None:
    hubei, hunan = threshold_for(2026, "420000"), threshold_for(2026, "430000")
    assert hubei is not None and hubei.amount == 8000          # Hubei's own
    assert hunan is not None and hunan.amount == 7200          # national
    assert threshold_for(2023, "420000") is None              # no line at all
    table = threshold_table()
    assert table.amount(2026, "420000") == 8000.0
    assert table.amount(2026, "430000") == 7200.0
    assert table.amount(2023, "420000") is None


def test_rule_set_in_force_most_specific_scope_then_latest_version(divisions: None) -> None:
    national = default_rule_set()   # scope "", from 2021-01-01

    def make(code: str, version: int, scope: str, start: str) -> MonitoringRuleSet:
        return MonitoringRuleSet.objects.create(code=code, version=version, name=code,
                                                params={}, scope_prefix=scope,
                                                effective_from=date.fromisoformat(start))

    hubei_1 = make("hubei", 1, "42", "2025-01-01")
    hubei_2 = make("hubei", 2, "42", "2026-06-01")
    make("hongshan", 1, "420111", "2027-01-01")  # not yet in force
    assert rule_set_in_force(VILLAGE, date(2026, 3, 31)) == hubei_1
    assert rule_set_in_force(VILLAGE, date(2026, 6, 1)) == hubei_2
    assert rule_set_in_force("430102", date(2026, 6, 1)) == national
    assert rule_set_in_force(VILLAGE, date(2024, 12, 31)) == national
    assert rule_set_in_force(VILLAGE, date(2020, 12, 31)) is None


# --- the arrays ----------------------------------------------------------------------------------

def test_income_per_capita_yearly_spread_monthly_wins_and_missing_months(
        lines: None, cadres: dict[str, Any]) -> None:
    cadre = cadres["luonan"]
    h = make_household(VILLAGE, members=2, incomes={2025: {"wages": 24000, "operating": -1200}})
    monthly(cadre, h.pk, 2025, 6, "wages", 600)       # June's own wages
    monthly(cadre, h.pk, 2026, 1, "transfer", 200)    # January 2026: transfers only
    mi = monitoring_inputs([h.pk], date(2026, 2, 14), 24)
    first = mi.first_month
    assert first == date(2024, 3, 1) and mi.month == date(2026, 2, 1)
    inc = mi.inputs.income[0]
    assert mi.inputs.members.tolist() == [2]
    # 2025 wages 24000 a year / 12 / 2 members = 1000 a month per capita; operating -50.
    assert inc[idx(first, 2025, 1)].tolist() == [1000.0, -50.0, 0.0, 0.0]
    # June: the monthly record (600 / 2) replaces the yearly estimate.
    assert inc[idx(first, 2025, 6)].tolist() == [300.0, -50.0, 0.0, 0.0]
    assert inc[idx(first, 2025, 12)].tolist() == [1000.0, -50.0, 0.0, 0.0]
    # January 2026: transfers 200 / 2; the other components recorded nothing → 0.
    assert inc[idx(first, 2026, 1)].tolist() == [0.0, 0.0, 0.0, 100.0]
    # February 2026 and every month of 2024: nothing recorded → missing.
    assert np.isnan(inc[idx(first, 2026, 2)]).all()
    assert np.isnan(inc[: idx(first, 2025, 1)]).all()
    assert mi.inputs.year == 2026 and mi.skipped == {}


def test_lost_income_cuts_yearly_wages_only_never_below_zero(
        lines: None, cadres: dict[str, Any]) -> None:
    cadre = cadres["luonan"]
    h = make_household(VILLAGE, members=3, incomes={2025: {"wages": 36000}}, shocks=[
        # 6000 over March and April: 3000 a month, 1000 per capita → wages 1000 − 1000 = 0.
        {"kind": "job_loss", "occurred_on": "2025-03-10", "ended_on": "2025-04-20",
         "amount": 6000},
        # 9000 in July alone: 3000 per capita, more than the 1000 of wages → 0, not −2000.
        {"kind": "migrant_interrupted", "occurred_on": "2025-07-02", "amount": 9000},
        # 3000 in September, a month with its own wage record: not taken off again.
        {"kind": "job_loss", "occurred_on": "2025-09-01", "amount": 3000},
        # 1500 in October: 500 per capita → 1000 − 500.
        {"kind": "job_loss", "occurred_on": "2025-10-05", "amount": 1500},
    ])
    monthly(cadre, h.pk, 2025, 9, "wages", 1500)
    mi = monitoring_inputs([h.pk], date(2025, 12, 1), 12)
    wages = mi.inputs.income[0, :, 0].tolist()
    assert wages == [1000.0, 1000.0, 0.0, 0.0, 1000.0, 1000.0, 0.0, 1000.0, 500.0, 500.0,
                     1000.0, 1000.0]
    assert not mi.inputs.spending.any()   # lost income is not spending


def test_spending_by_kind_in_the_month_it_occurred(lines: None, cadres: dict[str, Any]) -> None:
    h = make_household(VILLAGE, members=2, incomes={2025: {"wages": 24000}}, shocks=[
        {"kind": "medical", "occurred_on": "2025-05-03", "amount": 5000},
        {"kind": "medical", "occurred_on": "2025-05-20", "amount": 700},
        {"kind": "disaster", "occurred_on": "2025-08-01", "amount": 12000},
        {"kind": "education", "occurred_on": "2025-09-01", "amount": 3000},
        {"kind": "other", "occurred_on": "2024-12-31", "amount": 100},   # before the window
    ])
    mi = monitoring_inputs([h.pk], date(2025, 12, 1), 12)
    sp = mi.inputs.spending[0]
    assert sp[4].tolist() == [5700.0, 0.0, 0.0, 0.0]     # none recorded: 0
    assert sp[7, 1] == 12000.0 and sp[8, 2] == 3000.0
    assert sp.sum() == 5700.0 + 12000.0 + 3000.0


def test_yearly_income_spread_adds_up_exactly(lines: None) -> None:
    # 10000 among 3 members: 3333.33… a year per capita, in 1/64 yuan: 213333 units → twelve
    # months of 17777 units and 9 of them one more, adding up to the yearly figure exactly.
    h = make_household(VILLAGE, members=3, incomes={2025: {"wages": 10000}})
    wages = monitoring_inputs([h.pk], date(2025, 12, 1), 12).inputs.income[0, :, 0]
    assert (wages * 64).tolist() == [17778.0] * 9 + [17777.0] * 3
    assert wages.sum() == 213333 / 64


def test_household_exactly_at_the_line_is_not_below(lines: None) -> None:
    # 14000 / 2 = 7000 a year per capita, the 2025 line: not below (a twelfth of 7000 is not
    # exact in binary; the months must still add up to 7000).
    at_line = make_household(VILLAGE, members=2, incomes={2025: {"wages": 14000}})
    ev = household_evaluation(at_line, date(2025, 12, 1))
    assert not ev.flagged and ev.numbers["income_annual"] == 7000.0
    # 21000 / 3: the same.
    three = make_household(VILLAGE, members=3, incomes={2025: {"wages": 21000}})
    assert not household_evaluation(three, date(2025, 12, 1)).flagged


def test_a_months_spending_counts_whatever_kinds_are_recorded(lines: None) -> None:
    # 20000 a year per capita (2 members: 40000 a household); medical spending of 30000 in
    # November: above the shock amount (20000) and above half the household's income.
    h = make_household(VILLAGE, members=2, incomes={2024: {"wages": 40000},
                                                    2025: {"wages": 40000}},
                       shocks=[{"kind": "medical", "occurred_on": "2025-11-10",
                                "amount": 30000}])
    ev = household_evaluation(h, date(2025, 12, 1))
    assert ev.numbers["shock_spending"] == 30000.0 and ev.numbers["rigid_spending"] == 30000.0
    assert ev.triggers == ["rigid_spending", "spending_shock"]
    assert ev.groups == ["sudden_difficulty"] and ev.target_group == "sudden_difficulty"
    assert ev.numbers["spending_share_pct"] == 75.0   # 30000 / 40000


def test_guarantees_overridden_by_newer_visits_from_their_month(
        lines: None, cadres: dict[str, Any]) -> None:
    cadre = cadres["luonan"]
    h = make_household(VILLAGE, incomes={2025: {"wages": 12000}})
    h = guarantees_update(actor=cadre, household_id=h.pk, version=h.version, data={
        "food_clothing_secure": True, "education_secure": True, "medical_secure": False,
        "housing_secure": True, "water_secure": True, "guarantees_checked_on": "2025-06-30"})
    # Older than the household's check: ignored.
    FollowUpVisit.objects.create(household=h, visited_on=date(2025, 5, 10), visitor=cadre,
                                 notes="旧走访", guarantees={"housing_secure": False})
    FollowUpVisit.objects.create(household=h, visited_on=date(2025, 8, 15), visitor=cadre,
                                 notes="住房受损", guarantees={"housing_secure": False})
    FollowUpVisit.objects.create(household=h, visited_on=date(2025, 11, 2), visitor=cadre,
                                 notes="已修缮，医保已缴",
                                 guarantees={"housing_secure": True, "medical_secure": True})
    FollowUpVisit.objects.create(household=h, visited_on=date(2026, 1, 2), visitor=cadre,
                                 notes="下月走访", guarantees={"water_secure": False})
    mi = monitoring_inputs([h.pk], date(2025, 12, 1), 12)
    # bits: food 1, education 2, medical 4, housing 8, water 16.
    no_medical = 1 | 2 | 8 | 16            # 27: the household's own record
    no_medical_no_housing = 1 | 2 | 16     # 19: from August
    assert mi.inputs.guarantees[0].tolist() == [no_medical] * 7 + [no_medical_no_housing] * 3 \
        + [31] * 2


def test_households_that_cannot_be_evaluated_are_counted(lines: None) -> None:
    ok = make_household(VILLAGE, incomes={2023: {"wages": 10000}})
    empty = make_household(VILLAGE, members=0)
    hunan = make_household("430102", incomes={2023: {"wages": 10000}})
    # 2023 has no line anywhere; 2026 has the national one and Hubei's own.
    mi = monitoring_inputs([ok.pk, empty.pk, hunan.pk, 10**9], date(2023, 12, 1), 12)
    assert mi.skipped == {"no_threshold": {"2023 420000": 1, "2023 430000": 1},
                          "no_members": 1, "not_found": 1}
    assert len(mi.household_ids) == 0 and mi.inputs.households == 0
    mi = monitoring_inputs([ok.pk, empty.pk, hunan.pk], date(2026, 3, 1), 36)
    assert mi.household_ids.tolist() == sorted([ok.pk, hunan.pk])
    assert mi.skipped == {"no_members": 1}
    # Per month: 2024 → 6800, 2025 → 7000, 2026 → Hubei 8000 / national 7200; 2023 (no line)
    # takes month T's.
    row_hubei = mi.inputs.threshold[mi.household_ids.tolist().index(ok.pk)]
    row_hunan = mi.inputs.threshold[mi.household_ids.tolist().index(hunan.pk)]
    first = mi.first_month   # 2023-04
    assert row_hubei[idx(first, 2023, 4)] == 8000 and row_hunan[idx(first, 2023, 12)] == 7200
    assert row_hubei[idx(first, 2024, 6)] == 6800 and row_hubei[idx(first, 2025, 1)] == 7000
    assert row_hubei[idx(first, 2026, 3)] == 8000 and row_hunan[idx(first, 2026, 3)] == 7200


def test_many_ids_load_by_range_and_keep_only_those_asked(lines: None) -> None:
    from shouwang.livelihood.selectors import monitoring

    made = [make_household(VILLAGE, incomes={2025: {"wages": 1200 * (i + 1)}})
            for i in range(5)]
    asked = [made[0].pk, made[2].pk, made[4].pk]
    old = monitoring.IN_LIST_MAX
    monitoring.IN_LIST_MAX = 1
    try:
        mi = monitoring_inputs(asked, date(2025, 12, 1), 12, division_prefix="420111")
    finally:
        monitoring.IN_LIST_MAX = old
    assert mi.household_ids.tolist() == asked
    # 1200 × (i+1) a year / 12: 100, 300, 500 a month.
    assert mi.inputs.income[:, 0, 0].tolist() == [100.0, 300.0, 500.0]


# --- one household's evaluation ------------------------------------------------------------------

def test_evaluation_income_below_for_a_household_lifted_out(lines: None) -> None:
    h = make_household(VILLAGE, members=2, poverty_status="lifted_out", lifted_out_year=2023,
                       incomes={2025: {"wages": 9000, "transfer": 3000}})
    ev = household_evaluation(h, date(2025, 12, 1))
    # (9000 + 3000) / 2 = 6000 per capita a year, every month of 2025 present: A = 6000 < 7000.
    assert ev.rule_set == default_rule_set() and ev.month == date(2025, 12, 1)
    assert ev.flagged and ev.triggers == ["income_below"]
    assert ev.groups == ["unstable_after_exit"] and ev.target_group == "unstable_after_exit"
    assert ev.numbers["income_annual"] == 6000.0 and ev.numbers["threshold"] == 7000.0
    assert ev.numbers["years_since_exit"] == 2
    assert "6,000" in ev.reason and "7,000" in ev.reason and "低于监测标准" in ev.reason
    assert not ev.eligible and ev.elimination_reason == "income_below"


def test_evaluation_drop_and_elimination_fields(lines: None) -> None:
    # 2024: 24000 / 1 = 24000; 2025: 14400 → A = 14400, drop (24000 − 14400) / 24000 = 40 %.
    h = make_household(VILLAGE, incomes={2024: {"wages": 24000}, 2025: {"wages": 14400}})
    ev = household_evaluation(h, date(2025, 12, 1))
    assert ev.triggers == ["income_drop"] and ev.groups == []
    assert ev.numbers["drop_pct"] == 40.0 and ev.numbers["income_prior"] == 24000.0
    assert ev.target_group == "marginal"     # never poor, no group, no spending
    assert "40.0%" in ev.reason and "24,000" in ev.reason
    # Every window from 2024-09 on (the first with ≥ 9 months) is ≥ 6800/7000: 16 good months
    # in a row (2024-09 … 2025-12); the sixth of them, 2025-02, is when they reached the count.
    assert ev.eligible and ev.good_months == 16 and ev.elimination_reason == "eligible"
    assert ev.eligible_from == date(2025, 2, 1)


def test_evaluation_visit_loses_a_guarantee(lines: None, cadres: dict[str, Any]) -> None:
    h = make_household(VILLAGE, incomes={2025: {"wages": 24000}})
    FollowUpVisit.objects.create(household=h, visited_on=date(2025, 12, 5),
                                 visitor=cadres["luonan"], notes="饮水不安全",
                                 guarantees={"water_secure": False})
    ev = household_evaluation(h, date(2025, 12, 1))
    assert ev.flagged and ev.triggers == ["guarantee_lost"] and ev.groups == []
    assert ev.numbers["guarantees_missing"] == ["water"]
    assert ev.target_group == "marginal" and "饮水安全有保障未达标" in ev.reason
    assert ev.elimination_reason == "guarantee_missing"
    before = household_evaluation(h, date(2025, 11, 1))
    assert not before.flagged and before.reason.startswith("未触发监测条件")


def test_evaluation_refuses_without_rule_set_line_or_members(lines: None) -> None:
    h = make_household(VILLAGE, incomes={2020: {"wages": 24000}})
    with pytest.raises(InvalidInput) as exc:
        household_evaluation(h, date(2020, 6, 1))
    assert "rule_set" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        household_evaluation(h, date(2023, 6, 1))
    assert "threshold" in exc.value.fields and "2023" in str(exc.value.message)
    empty = make_household(VILLAGE, members=0)
    with pytest.raises(InvalidInput) as exc:
        household_evaluation(empty, date(2025, 6, 1))
    assert "members" in exc.value.fields


def test_target_group_when_the_rule_gives_none() -> None:
    # Group bits win: 2 = marginal.
    assert target_group_for(2, 1, -1, 5, "never_poor") == "marginal"
    # Lifted out 3 years ago, only a guarantee lost (8): unstable after exit.
    assert target_group_for(0, 8, 3, 5, "lifted_out") == "unstable_after_exit"
    # Lifted out 9 years ago, rigid spending (4): sudden difficulty; without: unstable.
    assert target_group_for(0, 4, 9, 5, "lifted_out") == "sudden_difficulty"
    assert target_group_for(0, 2, 9, 5, "lifted_out") == "unstable_after_exit"
    # Never poor: spending → sudden difficulty, otherwise marginal.
    assert target_group_for(0, 4, -1, 5, "never_poor") == "sudden_difficulty"
    assert target_group_for(0, 8, -1, 5, "never_poor") == "marginal"


def test_reason_text_lists_the_other_triggers() -> None:
    text = reason_text({"reason": "income_below", "triggers": ["income_below", "income_drop"],
                        "income_annual": 5200.0, "threshold": 6000.0})
    assert "5,200" in text and "6,000" in text and "另触发：收入大幅缩减" in text


def test_reason_is_stored_in_the_platforms_language_whatever_the_readers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import translation

    from shouwang.livelihood.selectors import monitoring_reasons

    # The sentence is built in whatever language is active when _reason_text runs.
    monkeypatch.setattr(monitoring_reasons, "_reason_text",
                        lambda numbers, window: translation.get_language())
    with translation.override("en"):
        assert reason_text({}) == "zh-hans"            # stored: the platform's language
        assert reason_text({}, language="en") == "en"  # a page may render the reader's
