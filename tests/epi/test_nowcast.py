"""Nowcasting: reference checks against surveillance::nowcast, coverage on simulated data, and
bad input. Fixtures: tests/epi/reference/nowcast/make_fixtures.R (R is not needed here)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from shouwang.epi.nowcast import (
    NowcastInputError,
    NowcastOptions,
    backtest,
    cases_from_outbreak,
    check_triangle,
    delay_distribution,
    lawless_interval,
    nowcast,
    posterior_delay_cdf,
    triangle_from_cases,
    triangle_from_outbreak,
)
from shouwang.epi.outbreak import OutbreakParams, simulate_outbreak

REF = Path(__file__).parent / "reference" / "nowcast"
# name → (now, D, m): the calls of make_fixtures.R ("example" is ?nowcast's own call).
CASES = {
    "example": ("2011-06-10", 15, None),
    "window20": ("2011-06-10", 15, 20),
    "early_d10": ("2011-06-02", 10, 14),
}


def _rows(name: str) -> list[dict[str, str]]:
    with (REF / name).open(newline="") as handle:
        return list(csv.DictReader(handle))


def _hus_triangle(now: str, max_delay: int) -> NDArray[np.float64]:
    rows = _rows("husO104Hosp.csv")
    event = np.array([date.fromisoformat(r["event_date"]).toordinal() for r in rows])
    report = np.array([date.fromisoformat(r["report_date"]).toordinal() for r in rows])
    day = date.fromisoformat(now).toordinal()
    return triangle_from_cases(event, report, now=day, days=day - int(event.min()) + 1,
                               max_delay=max_delay)


def _column(rows: list[dict[str, str]], name: str) -> NDArray[np.float64]:
    return np.array([float(r[name]) for r in rows])


# --- reference checks ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_triangle_from_cases_equals_surveillance(case: str) -> None:
    now, max_delay, _ = CASES[case]
    tri = _hus_triangle(now, max_delay)[0]
    rows = _rows(f"triangle_{case}.csv")
    expected = np.array([[float(r[f"d{d}"]) if r[f"d{d}"] else np.nan
                          for d in range(max_delay + 1)] for r in rows])
    np.testing.assert_array_equal(tri, expected)


@pytest.mark.parametrize("case", CASES)
def test_lawless_delay_cdf_and_point_nowcast_match_r(case: str) -> None:
    now, max_delay, window = CASES[case]
    tri = _hus_triangle(now, max_delay)
    rows = _rows(f"lawless_{case}.csv")
    days = tri.shape[1]
    lag = np.minimum(days - 1 - np.arange(days), max_delay)
    cdf = delay_distribution(tri, window=window).cdf[0]
    np.testing.assert_allclose(cdf[lag], _column(rows, "delay_cdf"), rtol=1e-6, atol=0)
    result = nowcast(tri, NowcastOptions(window=window, samples=200))
    np.testing.assert_allclose(result.nowcast[0], _column(rows, "nowcast"), rtol=1e-6, atol=0)
    np.testing.assert_array_equal(result.observed[0], _column(rows, "observed"))


@pytest.mark.parametrize("case", CASES)
def test_lawless_median_and_interval_equal_r(case: str) -> None:
    now, max_delay, window = CASES[case]
    rows = _rows(f"lawless_{case}.csv")
    point, median, lower, upper = lawless_interval(_hus_triangle(now, max_delay), window=window)
    np.testing.assert_allclose(point[0], _column(rows, "nowcast"), rtol=1e-6)
    np.testing.assert_array_equal(median[0], _column(rows, "median"))
    np.testing.assert_array_equal(lower[0], _column(rows, "lower_95"))
    np.testing.assert_array_equal(upper[0], _column(rows, "upper_95"))


@pytest.mark.parametrize("case", CASES)
def test_bayes_trunc_posterior_delay_cdf_matches_r(case: str) -> None:
    now, max_delay, window = CASES[case]
    expected = _column(_rows(f"bayes_trunc_{case}.csv"), "delay_cdf")
    got = posterior_delay_cdf(_hus_triangle(now, max_delay), window=window, kappa=0.1)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)
    result = nowcast(_hus_triangle(now, max_delay), NowcastOptions(window=window, samples=200))
    np.testing.assert_allclose(result.posterior_delay_cdf[0], expected, rtol=1e-6)


def test_seeded_snapshot_of_the_example() -> None:
    """Our own sampled output on ?nowcast's example, so that refactors cannot change it."""
    result = nowcast(_hus_triangle("2011-06-10", 15), NowcastOptions(window=None, seed=1))
    last = slice(-6, None)
    assert result.median[0, last].tolist() == SNAPSHOT["median"]
    assert result.lower[0.95][0, last].tolist() == SNAPSHOT["lower_95"]
    assert result.upper[0.95][0, last].tolist() == SNAPSHOT["upper_95"]


SNAPSHOT: dict[str, list[float]] = {
    "median": [11.0, 21.0, 12.0, 10.0, 6.0, 8.0],
    "lower_95": [5.0, 11.0, 3.0, 1.0, 0.0, 0.0],
    "upper_95": [23.0, 38.0, 32.0, 33.0, 32.0, 43.0],
}


# --- the model ----------------------------------------------------------------------------------

def _simulated(rng: np.random.Generator, n_series: int, days: int, level: float,
               growth: float, probs: NDArray[np.float64]) -> tuple[NDArray[np.float64],
                                                                    NDArray[np.float64]]:
    """A triangle with a known delay distribution `probs`, and the true counts."""
    t = np.arange(days)
    mean = level * np.exp(growth * (t - days))[None, :] * rng.uniform(0.5, 2.0, (n_series, 1))
    truth = rng.poisson(mean)
    cells = rng.multinomial(truth, probs).astype(np.float64)  # (S, T, D+1)
    cells[:, t[:, None] + np.arange(probs.size)[None, :] > days - 1] = np.nan
    return cells, truth.astype(np.float64)


def _delay_probs(max_delay: int) -> NDArray[np.float64]:
    x = np.arange(max_delay + 1)
    p = np.exp(-0.5 * ((x - 4) / 2.5) ** 2)
    return p / p.sum()


@pytest.mark.parametrize(("level", "growth"), [(20.0, 0.05), (2.0, 0.0), (150.0, -0.03)])
def test_intervals_cover_about_nominally_with_a_known_delay(level: float, growth: float) -> None:
    rng = np.random.default_rng(11)
    probs = _delay_probs(10)
    tri, truth = _simulated(rng, 200, 40, level, growth, probs)
    result = nowcast(tri, NowcastOptions(window=28, samples=500, pool=True, seed=3))
    recent = slice(-10, None)
    for lv, low, high in ((0.90, 0.85, 0.99), (0.95, 0.91, 0.995)):
        inside = ((truth[:, recent] >= result.lower[lv][:, recent])
                  & (truth[:, recent] <= result.upper[lv][:, recent]))
        assert low <= inside.mean() <= high, (lv, inside.mean())
    # The pooled chain-ladder CDF recovers the true one.
    np.testing.assert_allclose(result.delay_cdf[0], np.cumsum(probs), atol=0.02)


def test_backtest_on_the_synthetic_outbreak() -> None:
    rng = np.random.default_rng(0)
    n = 30
    params = OutbreakParams(days=90, diagnosis_delay_early=3.0, diagnosis_delay_late=3.0,
                            initial_seeds=10, intervention_day=50)
    outbreak = simulate_outbreak(rng.uniform(2e4, 6e4, n), 30 + rng.uniform(-1, 1, n),
                                 114 + rng.uniform(-1, 1, n), params, seed=2)
    cases = cases_from_outbreak(outbreak)
    result = backtest(cases, list(range(40, 76, 5)), max_delay=14,
                      options=NowcastOptions(samples=400, seed=1))
    assert result.cells > 1000
    assert 0.85 <= result.coverage[0.90] <= 0.99
    assert 0.90 <= result.coverage[0.95] <= 0.995
    assert result.mae_nowcast < 0.5 * result.mae_observed
    assert result.coverage_by_lag[0.95].shape == (14,) and result.mae_by_lag.shape == (14,)
    # The outbreak's triangle agrees with building it from the same case days.
    tri = triangle_from_outbreak(outbreak, now=60, days=29, max_delay=14)
    again = triangle_from_cases(cases.event_day, cases.report_day, now=60, days=29,
                                max_delay=14, series=cases.series, n_series=n)
    np.testing.assert_array_equal(tri, again)
    assert tri.shape == (n, 29, 15) and np.nansum(tri) > 0


def test_vectorised_over_series_equals_one_at_a_time() -> None:
    rng = np.random.default_rng(4)
    tri, _ = _simulated(rng, 5, 30, 15.0, 0.0, _delay_probs(7))
    together = nowcast(tri, NowcastOptions(window=20, samples=200))
    for s in range(5):
        alone = nowcast(tri[s], NowcastOptions(window=20, samples=200))
        np.testing.assert_array_equal(alone.nowcast[0], together.nowcast[s])
        np.testing.assert_array_equal(alone.delay_cdf[0], together.delay_cdf[s])
    pooled = nowcast(tri, NowcastOptions(window=20, samples=200, pool=True))
    total = delay_distribution(tri.sum(axis=0), window=20).cdf
    np.testing.assert_allclose(pooled.delay_cdf, total)


def test_limits_are_ordered_complete_rows_exact_and_seeded() -> None:
    rng = np.random.default_rng(5)
    tri, _ = _simulated(rng, 20, 30, 10.0, 0.02, _delay_probs(7))
    opt = NowcastOptions(window=20, samples=300, seed=9)
    a, b = nowcast(tri, opt), nowcast(tri, opt)
    np.testing.assert_array_equal(a.upper[0.95], b.upper[0.95])
    assert np.all(a.lower[0.95] <= a.lower[0.90])
    assert np.all(a.lower[0.90] <= a.median) and np.all(a.median <= a.upper[0.90])
    assert np.all(a.upper[0.90] <= a.upper[0.95])
    assert np.all(a.lower[0.95] >= a.observed)
    old = slice(0, 30 - 7)
    for arr in (a.nowcast, a.median, a.lower[0.95], a.upper[0.95]):
        np.testing.assert_array_equal(arr[:, old], a.observed[:, old])


# --- bad input ----------------------------------------------------------------------------------

def _small() -> NDArray[np.float64]:
    rng = np.random.default_rng(6)
    tri, _ = _simulated(rng, 2, 20, 10.0, 0.0, _delay_probs(5))
    return tri


def test_negative_count_is_an_error() -> None:
    tri = _small()
    tri[1, 3, 2] = -1
    with pytest.raises(NowcastInputError, match=r"negative count -1 in series 1, day 3, delay 2"):
        nowcast(tri)


def test_missing_count_is_an_error() -> None:
    tri = _small()
    tri[0, 4, 1] = np.nan
    with pytest.raises(NowcastInputError, match=r"missing count in series 0, day 4, delay 1"):
        nowcast(tri, NowcastOptions(window=14))


def test_observed_cells_after_now_are_an_error() -> None:
    tri = _small()
    tri[0, 19, 3] = 2.0
    with pytest.raises(NowcastInputError, match=r"observed cells after now.*day 19, delay 3"):
        check_triangle(tri)


def test_all_zero_series_nowcasts_zero() -> None:
    tri = _small()
    known = ~np.isnan(tri)
    tri[1][known[1]] = 0.0
    result = nowcast(tri, NowcastOptions(window=14, samples=200))
    for arr in (result.nowcast, result.median, result.lower[0.95], result.upper[0.95]):
        assert np.all(arr[1] == 0)
    assert np.all(result.delay_cdf[1] == 1.0)  # no information: no correction
    assert np.any(result.nowcast[0] > result.observed[0])


def test_fewer_days_than_the_window_is_an_error() -> None:
    with pytest.raises(NowcastInputError,
                       match=r"fewer days than the delay window: a window of 28 days needs 29 "
                             r"days of data, the triangle has 20; pass a window of at most 19"):
        nowcast(_small(), NowcastOptions(window=28))


def test_window_shorter_than_the_delay_is_an_error() -> None:
    with pytest.raises(NowcastInputError, match=r"window must be ≥ the maximum delay \(5\)"):
        nowcast(_small(), NowcastOptions(window=4))


def test_no_complete_row_says_how_many_days_are_needed() -> None:
    tri = _small()[:, -5:, :]  # 5 days for delays up to 5
    with pytest.raises(NowcastInputError, match=r"not identifiable.*5 day\(s\).*at least 6"):
        nowcast(tri, NowcastOptions(window=None))


def test_bad_case_lists_and_options() -> None:
    with pytest.raises(NowcastInputError, match="reported before their event day"):
        triangle_from_cases([5, 6], [5, 4], now=10, days=8, max_delay=3)
    with pytest.raises(NowcastInputError, match="missing values"):
        triangle_from_cases([5.0, np.nan], [5, 6], now=10, days=8, max_delay=3)
    with pytest.raises(NowcastInputError, match="samples must be ≥ 100"):
        NowcastOptions(samples=10)
    with pytest.raises(NowcastInputError, match="levels"):
        NowcastOptions(levels=(0.95, 1.2))


def test_triangle_from_cases_lumps_long_delays_and_drops_later_reports() -> None:
    tri = triangle_from_cases([0, 0, 1, 2, 3], [0, 9, 2, 3, 12], now=4, days=5, max_delay=2,
                              series=[0, 1, 1, 0, 0])
    assert tri.shape == (2, 5, 3)
    assert tri[0, 0, 0] == 1 and tri[1, 0, 2] == 0  # reported on day 9 > now: not yet known
    assert tri[1, 1, 1] == 1 and tri[0, 2, 1] == 1
    assert np.nansum(tri) == 3 and np.isnan(tri[0, 4, 1])
    lumped = triangle_from_cases([0], [9], now=9, days=10, max_delay=2)
    assert lumped[0, 0, 2] == 1
