"""Farrington flexible against surveillance::farringtonFlexible 1.20.3
(fixtures in tests/epi/reference/aberration, made by make_fixtures.R)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shouwang.epi.ears import CountsError
from shouwang.epi.farrington import (
    FarringtonControl,
    farrington_design,
    farrington_flexible,
    reference_weeks_back,
)
from shouwang.epi.farrington_glm import Response, fit_dense, fit_levels
from tests.epi.reference.aberration.fixtures import cases, read_dates, read_input, read_output

# The control list of each fixture (make_fixtures.R), in this module's names.
CONTROLS: dict[str, dict[str, Any]] = {
    "agona_example1": {"no_periods": 1, "b": 4, "w": 3, "weights_threshold": 1,
                       "past_weeks_not_included": 3, "p_threshold_trend": 0.05, "alpha": 0.1},
    "agona_example2": {"no_periods": 10, "b": 4, "w": 3, "weights_threshold": 2.58,
                       "past_weeks_not_included": 26, "p_threshold_trend": 1, "alpha": 0.1},
    "agona_default": {},
    "agona_nbPlugin": {"no_periods": 10, "b": 4, "past_weeks_not_included": 26,
                       "threshold_method": "nbPlugin"},
    "agona_muan": {"no_periods": 10, "b": 4, "past_weeks_not_included": 26,
                   "threshold_method": "muan"},
    "agona_sqrt_noreweight": {"powertrans": "1/2", "reweight": False},
    "agona_none_notrend": {"powertrans": "none", "trend": False, "b": 3, "w": 2},
    "newport_default": {},
    "newport_noufaily": {"b": 3, "no_periods": 10, "past_weeks_not_included": 26,
                         "threshold_method": "nbPlugin"},
    "newport_b3_limit": {"b": 3, "limit54": (0, 4), "alpha": 0.01},
    "ha_default": {"limit54": (1, 4)},
    # Dated weeks (R's epochAsDate = TRUE): reference weeks by calendar year.
    "newportdated_default": {},
    "newportdated_noufaily": {"no_periods": 10, "past_weeks_not_included": 26,
                              "threshold_method": "nbPlugin"},
    "agonadated_example1": {"no_periods": 1, "b": 4, "w": 3, "weights_threshold": 1,
                            "past_weeks_not_included": 3, "p_threshold_trend": 0.05,
                            "alpha": 0.1},
}
RANGES = {"agona_example1": (282, 312), "agona_example2": (282, 312),
          "agonadated_example1": (282, 312)}


def _run(case: str) -> tuple[Any, dict[str, np.ndarray]]:
    data = case.split("_")[0]
    _, counts = read_input(data)
    start, end = RANGES.get(case, (None, None))
    dates = read_dates(data) if data.endswith("dated") else None
    result = farrington_flexible(counts, FarringtonControl(**CONTROLS[case]),
                                 range_start=start, range_end=end, dates=dates)
    return result, read_output(f"farrington_{case}")


def test_every_fixture_is_covered() -> None:
    assert sorted(f"farrington_{c}" for c in CONTROLS) == cases("farrington")


@pytest.mark.parametrize("case", sorted(CONTROLS))
def test_reproduces_farrington_flexible(case: str) -> None:
    result, ref = _run(case)
    np.testing.assert_array_equal(result.t, ref["t"][0])
    np.testing.assert_array_equal(result.observed, ref["observed"])
    for mine, name in [(result.expected, "expected"), (result.upperbound, "upperbound"),
                       (result.phi, "phi"), (result.mu0, "mu0"), (result.pvalue, "pvalue"),
                       (result.trend_coef, "trendVector")]:
        np.testing.assert_allclose(mine, ref[name], rtol=1e-6, atol=1e-12, err_msg=name)
    # The score is (y − fit)/(U − fit): where y equals the fit it is 0 ± rounding.
    np.testing.assert_allclose(result.score, ref["score"], rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(~result.alarm_defined, np.isnan(ref["alarm"]))
    np.testing.assert_array_equal(result.alarm, ref["alarm"] == 1)
    np.testing.assert_array_equal(np.where(result.fitted, result.trend, np.nan), ref["trend"])


def test_fixtures_exercise_alarms_trend_and_limit54() -> None:
    result, _ = _run("newport_default")
    assert result.alarm.sum() > 20
    assert 0 < result.trend.sum() < result.trend.size
    assert np.isnan(result.upperbound).sum() > 50  # limit54 blanks quiet weeks


def test_design_matches_r_blocks() -> None:
    # noPeriods = 10, b = 4, w = 3, pastWeeksNotIncluded = 26: R's seasgroups counts.
    control = FarringtonControl(no_periods=10, b=4, past_weeks_not_included=26)
    offsets, design, target = farrington_design(control)
    assert offsets.size == 185 and offsets.min() == -211 and offsets.max() == -27
    np.testing.assert_array_equal(np.bincount(design.level),
                                  [20, 20, 20, 20, 17, 15, 15, 15, 15, 28])
    assert target == 9
    offsets, design, _ = farrington_design(FarringtonControl())
    assert design.n_levels == 1
    np.testing.assert_array_equal(np.sort(offsets), np.sort(np.concatenate(
        [np.arange(-52 * i - 3, -52 * i + 4) for i in range(1, 6)])))


def test_dated_reference_weeks_follow_the_calendar() -> None:
    # stsNewport, weekly Mondays from 2001-01-01: five years back from week 264 (2006-01-16)
    # is 261 weeks (the nearest Monday to 2001-01-16), R's referencetimepoints.
    dates = read_dates("newportdated")
    back = reference_weeks_back(FarringtonControl(), np.array([264, 300]), dates)
    assert back[0].tolist() == [52, 104, 157, 209, 261]
    assert reference_weeks_back(FarringtonControl(), np.array([264]), None)[0].tolist() == [
        52, 104, 156, 208, 260]
    # The default range then starts where week 264's oldest window touches week 0: R drops
    # the missing row, and so do we (the fixture newportdated_default covers it).
    offsets, _, _ = farrington_design(FarringtonControl(), back[0], first_offset=1 - 264)
    assert offsets.size == 34 and offsets.min() == -263


def test_leap_day_goes_to_first_of_march() -> None:
    from datetime import date, timedelta

    dates = [date(2004, 2, 29) - timedelta(weeks=300 - i) for i in range(1, 301)]
    assert dates[-1] == date(2004, 2, 29)
    back = reference_weeks_back(FarringtonControl(b=1), np.array([300]), dates)
    # seq(as.Date("2004-02-29"), by = "-1 year") gives 2003-03-01 (a Saturday); the nearest
    # Sunday is 2003-03-02, 52 weeks back.
    assert back[0].tolist() == [52]


@pytest.mark.parametrize("trend", [True, False])
def test_closed_form_levels_equal_a_dense_glm(trend: bool) -> None:
    # The cell-means solver against plain IRLS on R's treatment-coded design matrix.
    control = FarringtonControl(no_periods=10, b=3, past_weeks_not_included=26)
    _, design, target = farrington_design(control)
    y = np.random.default_rng(7).negative_binomial(2, 0.4, size=(50, design.level.size))
    y = y.astype(np.float64)
    columns = [np.ones(design.level.size)]
    columns += [(design.level == j).astype(float) for j in range(1, design.n_levels)]
    if trend:
        columns.append(design.time)
    dense = fit_dense(np.column_stack(columns), y)
    fast = fit_levels(design, Response(y), trend=trend, target_level=target)
    x0 = np.zeros(len(columns))
    x0[0] = 1.0
    x0[target] = 1.0   # target is the last level (noPeriods), time 0
    np.testing.assert_array_equal(fast.converged, dense.converged)
    np.testing.assert_allclose(fast.eta0, dense.coef @ x0, rtol=1e-9)
    if trend:
        np.testing.assert_allclose(fast.slope, dense.coef[:, -1], rtol=1e-7, atol=1e-12)


def test_vectorised_equals_one_series_at_a_time() -> None:
    _, counts = read_input("ha")
    together = farrington_flexible(counts[:4], FarringtonControl(limit54=(1, 4)))
    for s in range(4):
        alone = farrington_flexible(counts[s], FarringtonControl(limit54=(1, 4)))
        np.testing.assert_allclose(together.upperbound[s], alone.upperbound[0], rtol=1e-12)
        np.testing.assert_array_equal(together.alarm[s], alone.alarm[0])


def test_all_zero_series() -> None:
    # R fits (μ → ε within 25 iterations), but limit54 leaves no upperbound and no alarm.
    result = farrington_flexible(np.zeros(300))
    assert result.fitted.all() and np.isnan(result.upperbound).all()
    assert not result.alarm.any() and np.isnan(result.expected).all()
    # farringtonFlexible(sts(matrix(0, 300, 1), frequency = 52))@control: phi 1 and score
    # -2.339585e-09 every week (R 1.20.3); the IRLS stops where R's stops even here.
    np.testing.assert_array_equal(result.phi, 1.0)
    np.testing.assert_allclose(result.score, -2.339585e-09, rtol=1e-6)


def test_an_outbreak_week_alarms() -> None:
    x = np.random.default_rng(5).poisson(10, size=300).astype(float)
    x[-1] = 60
    result = farrington_flexible(x, range_start=300)
    assert result.alarm[0, 0] and result.upperbound[0, 0] < 60


def test_dates_must_be_weekly() -> None:
    from datetime import date, timedelta

    days = [date(2020, 1, 1) + timedelta(days=i) for i in range(300)]
    with pytest.raises(CountsError, match="7 days apart"):
        farrington_flexible(np.ones(300), dates=days)
    with pytest.raises(CountsError, match="weekly series only"):
        farrington_flexible(np.ones(300), FarringtonControl(freq=12, w=1, b=1), dates=days)


@pytest.mark.parametrize(("counts", "options", "range_start", "message"), [
    (np.r_[np.ones(299), np.nan], {}, None, "missing count"),
    (np.r_[np.ones(299), -1.0], {}, None, "negative count"),
    (np.ones(263), {}, None, "has 263 weeks; .* first week evaluated is 264"),
    (np.ones(300), {}, 100, "range start 100 is too early"),
    (np.ones(300), {"b": 0}, None, "b \\(years back\\)"),
    (np.ones(300), {"w": -1}, None, "w \\(half-window\\)"),
    (np.ones(300), {"alpha": 0.0}, None, "alpha"),
    (np.ones(300), {"limit54": (5, 0)}, None, "limit54"),
    (np.ones(300), {"no_periods": 50}, None, "too big"),
    (np.ones(300), {"threshold_method": "exact"}, None, "threshold_method"),
    (np.ones(300), {"powertrans": "1/3"}, None, "powertrans"),
    (np.ones(300), {"past_weeks_not_included": -2}, None, "past_weeks_not_included"),
    (np.ones(300), {}, 262, "range start 262 is too early"),
])
def test_bad_input(counts: Any, options: dict[str, Any], range_start: int | None,
                   message: str) -> None:
    with pytest.raises(CountsError, match=message):
        farrington_flexible(counts, FarringtonControl(**options), range_start=range_start)
