"""The relapse-into-poverty monitoring rules (shouwang.epi.livelihood_rules), by hand.

There is no reference implementation; each test states the arithmetic it checks. Unless a test
says otherwise: 24 months (month 23 is evaluated), a 12-month window (months 12 … 23, needing 9
months with income), the drop compared with months 0 … 11, one member, income in wages only,
no spending, every guarantee secured, never registered poor, year 2022, the defaults of
`RELAPSE_MONITORING_DEFAULTS` (drop ≥ 30 %, rigid spending > 50 %, shock > 20,000 yuan or
> 50 % of the year's income in the last 3 months, elimination after 6 good months).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouwang.epi import livelihood_rules as lr
from shouwang.epi.livelihood_rules import (
    ALL_GUARANTEES,
    Elimination,
    Group,
    LivelihoodInputs,
    LivelihoodInputsError,
    Reason,
    RuleParamsError,
    Trigger,
)

M = 24
WATER = 1 << lr.GUARANTEES.index("water")


def household(monthly: float | list[float] = 1000.0, *, threshold: float = 6000.0,
              members: int = 1, lifted: int = 0, operating: float | list[float] = 0.0,
              transfers: float | list[float] = 0.0, spending: dict[tuple[str, int], float]
              | None = None, guarantees: dict[int, int] | None = None) -> dict[str, Any]:
    """One household's arrays (wages per month `monthly`)."""
    income = np.zeros((M, 4), np.float32)
    income[:, 0] = monthly
    income[:, 1] = operating
    income[:, 3] = transfers
    spend = np.zeros((M, 4), np.float32)
    for (kind, month), amount in (spending or {}).items():
        spend[month, lr.SPENDING_KINDS.index(kind)] = amount
    g = np.full(M, ALL_GUARANTEES, np.uint8)
    for month, mask in (guarantees or {}).items():
        g[month] = mask
    return {"income": income, "spending": spend, "members": members,
            "threshold": threshold, "guarantees": g, "lifted_year": lifted}


def inputs(*rows: dict[str, Any], year: int = 2022) -> LivelihoodInputs:
    return LivelihoodInputs(
        income=np.stack([r["income"] for r in rows]),
        spending=np.stack([r["spending"] for r in rows]),
        members=np.array([r["members"] for r in rows], np.uint8),
        threshold=np.array([r["threshold"] for r in rows], np.float32),
        guarantees=np.stack([r["guarantees"] for r in rows]),
        lifted_year=np.array([r["lifted_year"] for r in rows], np.int16), year=year)


def run(*rows: dict[str, Any], **params: Any) -> lr.LivelihoodResult:
    return lr.evaluate("relapse_monitoring", params, inputs(*rows))


def fired(result: lr.LivelihoodResult, i: int = 0) -> set[str]:
    return set(result.explain(i)["triggers"])


def months(before: float, after: float, change_at: int = 12) -> list[float]:
    return [before] * change_at + [after] * (M - change_at)


# --- income below the threshold ---------------------------------------------------------------


def test_income_below_threshold_and_exactly_at_it() -> None:
    # 500 yuan a month × 12 = 6,000 a year: below 6,001, not below 6,000 (exactly at).
    r = run(household(500, threshold=6001), household(500, threshold=6000))
    assert r.income_annual.tolist() == [6000.0, 6000.0]
    assert fired(r, 0) == {"income_below"}
    assert r.reason[0] == Reason.INCOME_BELOW and r.flagged[0]
    assert fired(r, 1) == set() and not r.flagged[1]
    assert r.reason[1] == Reason.NOT_FLAGGED
    assert r.threshold[0] == 6001


def test_operating_loss_counts_and_transfers_by_parameter() -> None:
    # Wages 600, operating −100 (a loss), transfers 200: 700 a month = 8,400 a year counted,
    # 500 × 12 = 6,000 without transfers: below 6,500 only then.
    h = household(600, operating=-100, transfers=200, threshold=6500)
    assert run(h).income_annual[0] == 8400
    r = run(h, count_transfers=False)
    assert r.income_annual[0] == 6000
    assert fired(r) == {"income_below"}


def test_threshold_per_month_uses_the_last_month() -> None:
    inp = inputs(household(500), household(500))
    thr = np.full((2, M), 5000, np.float32)
    thr[0, -1] = 6500  # the province's new threshold took effect in the last month
    inp = LivelihoodInputs(inp.income, inp.spending, inp.members, thr, inp.guarantees,
                           inp.lifted_year, inp.year)
    r = lr.evaluate("relapse_monitoring", {}, inp)
    assert r.triggers.tolist() == [Trigger.INCOME_BELOW, 0]


# --- missing months ----------------------------------------------------------------------------


def test_missing_months_annualise_over_the_months_present() -> None:
    # 3 of the window's 12 months missing: 9 × 600 = 5,400 × 12 / 9 = 7,200.
    h = household(600)
    h["income"][[13, 17, 20], 0] = np.nan
    r = run(h)
    assert r.income_months[0] == 9
    assert r.income_annual[0] == 7200


def test_too_few_months_is_no_income_figure() -> None:
    # 4 months missing leaves 8 < min_months 9: no income figure, no income trigger, and the
    # household is listed as lacking data rather than silently passed.
    h = household(100)
    h["income"][[13, 14, 15, 16], 0] = np.nan
    r = run(h)
    assert r.income_months[0] == 8
    assert np.isnan(r.income_annual[0])
    assert r.triggers[0] == 0 and not r.flagged[0]
    assert r.reason[0] == Reason.INSUFFICIENT_DATA
    assert r.explain(0)["income_annual"] is None
    # A missing component makes the month missing; NaN spending counts nothing.
    h = household(1000, spending={("medical", 20): np.nan})
    h["income"][22, 3] = np.nan
    r = run(h)
    assert (r.income_months[0], r.rigid_spending[0]) == (11, 0)


# --- a drop ------------------------------------------------------------------------------------


def test_drop_of_exactly_x_percent_fires() -> None:
    # Months 0–11 1,000 a month (12,000 a year), months 12–23 700 (8,400):
    # (12,000 − 8,400) / 12,000 = 30 % ≥ 30 %; with 701: 29.9 % does not.
    r = run(household(months(1000, 700)), household(months(1000, 701)))
    assert r.income_prior.tolist() == [12000, 12000]
    assert r.drop_pct[0] == pytest.approx(30.0)
    assert fired(r, 0) == {"income_drop"} and r.reason[0] == Reason.INCOME_DROP
    assert r.drop_pct[1] == pytest.approx(29.9)
    assert fired(r, 1) == set()


def test_drop_against_the_previous_window() -> None:
    # A 6-month window: months 18–23 at 600 against 12–17 at 1,000 = 40 % (a year before,
    # months 6–11, were 1,000 too; with change_at 18 the year-before window is 1,000 as well).
    h = household(months(1000, 600, change_at=18))
    r = run(h, window_months=6, min_months=6, drop_against="previous_window", drop_pct=40)
    assert r.income_prior[0] == 12000 and r.income_annual[0] == 7200
    assert fired(r) == {"income_drop"}
    # Against a year before (months 6–11) it is the same 40 %; a 6-month window on 24 months.
    r = run(h, window_months=6, min_months=6, drop_pct=40.5)
    assert fired(r) == set()


def test_no_prior_income_no_drop() -> None:
    h = household(months(0, 700))  # nothing earned a year before: no percentage to compare
    r = run(h, drop_pct=0)
    assert np.isnan(r.drop_pct[0])
    assert "income_drop" not in fired(r)


# --- rigid spending ----------------------------------------------------------------------------


def test_rigid_spending_above_y_percent_of_income() -> None:
    # 2 members × 1,000 a month × 12 = 24,000 of household income over the window; 50 % =
    # 12,000: 12,000 of medical spending (month 13) is not above, 12,001 is.
    at = household(1000, members=2, spending={("medical", 13): 12000})
    above = household(1000, members=2, spending={("medical", 13): 12001})
    r = run(at, above)
    assert r.spending_share_pct[0] == pytest.approx(50.0)
    assert r.household_income[0] == 24000
    assert fired(r, 0) == set()
    assert fired(r, 1) == {"rigid_spending"} and r.reason[1] == Reason.RIGID_SPENDING
    assert r.rigid_spending[1] == 12001
    # Spending before the window (month 11) does not count.
    assert run(household(1000, spending={("medical", 11): 50000}),
               shock_amount=None).triggers[0] == 0


def test_rigid_kinds_choose_the_spending_counted() -> None:
    h = household(1000, spending={("education", 13): 7000})  # 7,000 > 50 % of 12,000
    assert fired(run(h)) == {"rigid_spending"}
    assert fired(run(h, rigid_kinds=["medical", "disaster"])) == set()


def test_spending_against_no_income_fires() -> None:
    r = run(household(months(1000, 0), spending={("disaster", 14): 10}), drop_pct=100)
    assert np.isinf(r.spending_share_pct[0])
    # Stored as JSON: no infinity; the household income (0) says why there is no share.
    assert (r.explain(0)["spending_share_pct"], r.explain(0)["household_income"]) == (None, 0)
    assert "rigid_spending" in fired(r)


# --- guarantees --------------------------------------------------------------------------------


def test_a_guarantee_lost_in_the_last_month() -> None:
    lost = household(1000, guarantees={23: ALL_GUARANTEES & ~WATER})
    restored = household(1000, guarantees={20: ALL_GUARANTEES & ~WATER})
    r = run(lost, restored)
    assert fired(r, 0) == {"guarantee_lost"} and r.reason[0] == Reason.GUARANTEE_LOST
    assert r.explain(0)["guarantees_missing"] == ["water"]
    assert fired(r, 1) == set()
    # Not required: not a trigger.
    r = run(lost, guarantees_required=["food_clothing", "education", "medical", "housing"])
    assert r.triggers[0] == 0


# --- target groups -----------------------------------------------------------------------------


def test_unstable_after_exit_within_n_years() -> None:
    # 450 × 12 = 5,400 < 6,000. Lifted 2019: 3 years ≤ 5 → unstable; lifted 2016: 6 > 5.
    r = run(household(450, lifted=2019), household(450, lifted=2016))
    assert r.groups[0] == Group.UNSTABLE_AFTER_EXIT and r.group[0] == Group.UNSTABLE_AFTER_EXIT
    assert r.years_since_exit.tolist() == [3, 6]
    assert r.groups[1] == 0 and fired(r, 1) == {"income_below"}
    # Exactly 5 years is within 5.
    assert run(household(450, lifted=2017)).groups[0] == Group.UNSTABLE_AFTER_EXIT


def test_group_multiples_flag_without_a_trigger() -> None:
    # 750 × 12 = 9,000: not below 6,000 (no trigger) and not below 1.5 × 6,000 = 9,000
    # (equal), but below 1.6 × 6,000 = 9,600 → in the group, flagged with it as the reason.
    lifted, never = household(750, lifted=2020), household(750)
    r = run(lifted, never, unstable_multiple=1.5, marginal_multiple=1.5)
    assert r.flagged.tolist() == [False, False]
    r = run(lifted, never, unstable_multiple=1.6, marginal_multiple=1.6)
    assert r.triggers.tolist() == [0, 0]
    assert r.group.tolist() == [Group.UNSTABLE_AFTER_EXIT, Group.MARGINAL]
    assert r.reason.tolist() == [Reason.UNSTABLE_AFTER_EXIT, Reason.MARGINAL]
    assert r.flagged.all()


def test_sudden_difficulty_by_amount() -> None:
    # 20,000 of medical spending in month 22 (within the last 3 months) is not above 20,000;
    # 20,001 is. The share part is off here (the income is 100,000 a year anyway).
    r = run(household(100_000 / 12, spending={("medical", 22): 20000}),
            household(100_000 / 12, spending={("medical", 22): 20001}), shock_share_pct=None)
    assert r.groups.tolist() == [0, Group.SUDDEN_DIFFICULTY]
    assert fired(r, 1) == {"spending_shock"} and r.reason[1] == Reason.SPENDING_SHOCK
    assert r.shock_spending[1] == 20001
    # Month 20 is outside the last 3 months (21–23).
    r = run(household(100_000 / 12, spending={("medical", 20): 30000}), shock_share_pct=None)
    assert r.groups[0] == 0


def test_a_month_with_some_spending_kinds_not_recorded_counts_the_recorded_ones() -> None:
    # Empty (NaN) kinds count 0: 20,001 of medical spending with the other three kinds not
    # recorded is a shock as it is with them recorded as 0 (a NaN kind hid the month's sum).
    partial = household(100_000 / 12, spending={("medical", 22): 20001})
    partial["spending"][:, 1:] = np.nan
    r = run(partial, shock_share_pct=None)
    assert fired(r) == {"spending_shock"} and r.shock_spending[0] == 20001
    assert r.rigid_spending[0] == 20001


def test_sudden_difficulty_by_share_of_income() -> None:
    # One member, 1,000 a month: 12,000 a year; 50 % = 6,000. 6,000 + 1 over months 21–23.
    at = household(1000, spending={("disaster", 21): 3000, ("medical", 23): 3000})
    above = household(1000, spending={("disaster", 21): 3000, ("medical", 23): 3001})
    r = run(at, above, shock_amount=None, spending_share_pct=100)
    assert r.shock_spending.tolist() == [6000, 6001]
    assert r.groups.tolist() == [0, Group.SUDDEN_DIFFICULTY]


# --- elimination -------------------------------------------------------------------------------


def test_elimination_refused_before_the_period_and_allowed_after() -> None:
    # Month basis: 400 × 12 = 4,800 < 6,000 until month 17, then 1,000 × 12 = 12,000.
    six = household(months(400, 1000, change_at=18))   # good months 18–23: 6
    five = household(months(400, 1000, change_at=19))  # good months 19–23: 5
    r = run(six, five, elimination_income="month")
    assert r.good_months.tolist() == [6, 5]
    assert r.eligible.tolist() == [True, False]
    assert r.eligible_from.tolist() == [23, 24]  # five: one more good month needed
    assert r.elimination_reason.tolist() == [Elimination.ELIGIBLE, Elimination.TOO_SHORT]
    assert r.explain(1)["elimination"] == {"eligible": False, "reason": "too_short",
                                           "good_months": 5, "eligible_from_month": 24}
    # Exactly at the threshold is not below it: 500 × 12 = 6,000 counts as a good month.
    r = run(household(months(400, 500, change_at=18)), elimination_income="month")
    assert r.eligible[0] and r.good_months[0] == 6


def test_elimination_needs_the_guarantees() -> None:
    broken = household(1000, guarantees={20: ALL_GUARANTEES & ~WATER})
    now = household(1000, guarantees={23: ALL_GUARANTEES & ~WATER})
    r = run(broken, now)
    assert r.good_months.tolist() == [3, 0]      # months 21–23 after the gap
    assert r.eligible_from.tolist() == [26, 29]
    assert r.elimination_reason.tolist() == [Elimination.TOO_SHORT,
                                             Elimination.GUARANTEE_MISSING]


def test_elimination_window_basis() -> None:
    # Window basis (default): month t's 12-month window annualised. 1,000 a month throughout:
    # every month good from month 8 on (9 months of data from month 8); months 0–7 lack data,
    # so the run is months 8–23 = 16 and the 6th good month was month 13.
    r = run(household(1000), household(400))
    assert r.good_months[0] == 16 and r.eligible_from[0] == 13 and r.eligible[0]
    assert r.elimination_reason[1] == Elimination.INCOME_BELOW
    h = household(1000)
    h["income"][19:, 0] = np.nan  # months 19–23 missing: month 23's window has 7 months
    assert run(h).elimination_reason[0] == Elimination.NO_DATA


# --- bad input ---------------------------------------------------------------------------------


def test_negative_wages_and_spending_refused_operating_loss_accepted() -> None:
    h = household(1000)
    h["income"][5, 0] = -1
    with pytest.raises(LivelihoodInputsError) as raised:
        inputs(h)
    assert set(raised.value.errors) == {"income.wages"}
    assert "household 0, month 5" in raised.value.errors["income.wages"]
    h = household(1000, spending={("medical", 3): -5, ("education", 4): -1})
    with pytest.raises(LivelihoodInputsError) as raised:
        inputs(h)
    assert set(raised.value.errors) == {"spending.medical", "spending.education"}
    assert run(household(1000, operating=-50)).income_annual[0] == 950 * 12


def test_bad_shapes_and_values_name_the_field() -> None:
    h = household(1000, members=0, threshold=0)
    with pytest.raises(LivelihoodInputsError) as raised:
        inputs(h)
    assert set(raised.value.errors) == {"members", "threshold"}
    inp = inputs(household(1000))
    with pytest.raises(LivelihoodInputsError) as raised:
        LivelihoodInputs(inp.income, inp.spending[:, :3], inp.members, inp.threshold,
                         inp.guarantees, inp.lifted_year, 2022)
    assert set(raised.value.errors) == {"spending"}
    with pytest.raises(LivelihoodInputsError) as raised:
        LivelihoodInputs(inp.income, inp.spending, inp.members, inp.threshold,
                         np.full((1, M), 32, np.uint8), inp.lifted_year, 2022)
    assert set(raised.value.errors) == {"guarantees"}
    with pytest.raises(LivelihoodInputsError) as raised:
        LivelihoodInputs(inp.income[:, :0], inp.spending[:, :0], inp.members, inp.threshold,
                         inp.guarantees[:, :0], inp.lifted_year, 2022)
    assert set(raised.value.errors) == {"income"}


def test_params_errors_name_each_field() -> None:
    with pytest.raises(RuleParamsError) as raised:
        lr.validate_params("relapse_monitoring", {
            "window_months": 0, "drop_pct": 120, "rigid_kinds": ["medical", "gambling"],
            "elimination_income": "year", "shock_amount": -1, "count_transfers": "yes",
            "bogus": 1})
    assert set(raised.value.errors) == {"window_months", "drop_pct", "rigid_kinds",
                                        "elimination_income", "shock_amount",
                                        "count_transfers", "bogus"}
    assert raised.value.errors["bogus"] == "unknown parameter"
    with pytest.raises(RuleParamsError) as raised:
        lr.validate_params("relapse_monitoring", {"window_months": 6, "min_months": 7})
    assert set(raised.value.errors) == {"min_months"}
    with pytest.raises(RuleParamsError) as raised:
        lr.evaluate("nope", {}, inputs(household()))
    assert set(raised.value.errors) == {"kind"}
    p = lr.validate_params("relapse_monitoring", {"shock_amount": None})
    assert p["shock_amount"] is None and p["window_months"] == 12


def test_explain_carries_rule_numbers_and_reason() -> None:
    r = run(household(months(1000, 450), lifted=2019,
                      guarantees={23: ALL_GUARANTEES & ~WATER}))
    e = r.explain(0)
    assert e["reason"] == "income_below"
    assert e["triggers"] == ["income_below", "income_drop", "guarantee_lost"]
    assert e["groups"] == ["unstable_after_exit"]
    assert (e["income_annual"], e["threshold"], e["income_prior"], e["drop_pct"]) == (
        5400.0, 6000.0, 12000.0, 55.0)
    assert r.params["drop_pct"] == 30.0


# --- chunks ------------------------------------------------------------------------------------


@st.composite
def random_inputs(draw: st.DrawFn) -> LivelihoodInputs:
    n = draw(st.integers(1, 40))
    m = draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    income = rng.normal(600, 400, (n, m, 4)).astype(np.float32)
    income[:, :, 0] = np.abs(income[:, :, 0])
    income[rng.random((n, m)) < 0.1] = np.nan
    spending = rng.exponential(500, (n, m, 4)).astype(np.float32)
    spending[rng.random((n, m, 4)) < 0.05] = np.nan
    thr = rng.uniform(3000, 9000, (n, m) if draw(st.booleans()) else n).astype(np.float32)
    return LivelihoodInputs(
        income=income, spending=spending, members=rng.integers(1, 8, n),
        threshold=thr, guarantees=rng.choice(np.array([31, 31, 31, 15, 30], np.uint8), (n, m)),
        lifted_year=np.where(rng.random(n) < 0.5, rng.integers(2014, 2023, n), 0), year=2022)


@settings(max_examples=60, deadline=None)
@given(random_inputs(), st.integers(1, 17), st.sampled_from(["window", "month"]))
def test_chunked_equals_whole(inp: LivelihoodInputs, chunk: int, basis: str) -> None:
    params = {"window_months": 6, "min_months": 4, "elimination_income": basis}
    whole = lr.relapse_monitoring(inp, params, chunk=inp.households)
    parts = lr.relapse_monitoring(inp, params, chunk=chunk)
    for name, a in vars(whole).items():
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, getattr(parts, name), err_msg=name)


def test_registry_adds_a_kind_once() -> None:
    assert "relapse_monitoring" in lr.rule_kinds()
    with pytest.raises(ValueError, match="registered twice"):
        lr.register_rule_kind("relapse_monitoring", lambda i, p: lr.relapse_monitoring(i, p),
                              lr.relapse_monitoring_params)


def test_window_income_series() -> None:
    # Month 11: months 0–11 at 1,000 → 12,000; month 17: months 6–11 at 1,000 and 12–17 at
    # 400 → (6,000 + 2,400) × 12 / 12 = 8,400; month 7: 8 months < 9 → NaN.
    h = household(months(1000, 400))
    series = lr.window_income(inputs(h), {})
    assert np.isnan(series[0, 7]) and series[0, 8] == 12000
    assert (series[0, 11], series[0, 17], series[0, 23]) == (12000, 8400, 4800)
    assert series[0, -1] == run(h).income_annual[0]
