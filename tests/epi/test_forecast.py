"""Renewal-equation forecasts: the analytic mean, interval order, determinism, zeros, backtest."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shouwang.epi.forecast import ForecastInputError, backtest, forecast
from shouwang.epi.outbreak import OutbreakParams, simulate_outbreak
from shouwang.epi.rt import RtInputError, estimate_r
from shouwang.epi.serial_interval import SerialIntervalError, discr_si


def _history(seed: int = 0, series: int = 3, days: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.poisson(rng.uniform(5, 40, (series, 1)), (series, days)).astype(float)


def _expected_paths(history: np.ndarray, w: np.ndarray, r: float, horizon: int) -> np.ndarray:
    """E[I] on the projected days with a fixed R: the renewal equation without noise."""
    x = np.concatenate([history, np.zeros((history.shape[0], horizon))], axis=1)
    days = history.shape[1]
    for t in range(days, days + horizon):
        x[:, t] = r * sum(w[k] * x[:, t - k] for k in range(1, min(t, w.size - 1) + 1))
    return x[:, days:]


def test_mean_with_fixed_r_matches_the_renewal_equation() -> None:
    history = _history()
    horizon, samples, r = 14, 4000, 1.25
    fc = forecast(history, mean_si=2.6, std_si=1.5, r=r, horizon=horizon, samples=samples,
                  seed=4, keep_samples=True)
    w = discr_si(np.arange(history.shape[1] + horizon), 2.6, 1.5)
    expected = _expected_paths(history, w, r, horizon)
    assert fc.samples is not None
    se = fc.samples.std(axis=1) / np.sqrt(samples)
    z = np.abs(fc.mean - expected) / se
    assert z.max() < 5, z.max()
    # Growth with R > 1: the last day's expectation is above the first's.
    assert np.all(expected[:, -1] > expected[:, 0])


def test_posterior_r_gives_the_posterior_mean_on_day_one() -> None:
    history = _history(seed=1)
    fc = forecast(history, mean_si=2.6, std_si=1.5, horizon=1, samples=20000, seed=2,
                  keep_samples=True)
    est = estimate_r(history, mean_si=2.6, std_si=1.5, t_start=[34], t_end=[40])
    np.testing.assert_allclose(fc.r_mean, est.mean[:, 0], rtol=1e-12)
    w = discr_si(np.arange(41), 2.6, 1.5)
    lam = np.array([sum(w[k] * h[40 - k] for k in range(1, 41)) for h in history])
    assert fc.samples is not None
    se = fc.samples[:, :, 0].std(axis=1) / np.sqrt(20000)
    assert np.all(np.abs(fc.mean[:, 0] - est.mean[:, 0] * lam) < 5 * se)


def test_intervals_are_nested_around_the_median() -> None:
    fc = forecast(_history(seed=2, series=5), mean_si=4.0, std_si=2.0, horizon=10,
                  samples=800, seed=0, levels=(0.5, 0.9, 0.95))
    assert fc.lower.shape == fc.upper.shape == (5, 3, 10)
    assert np.all(fc.lower[:, 2] <= fc.lower[:, 1])
    assert np.all(fc.lower[:, 1] <= fc.lower[:, 0])
    assert np.all(fc.lower[:, 0] <= fc.median)
    assert np.all(fc.median <= fc.upper[:, 0])
    assert np.all(fc.upper[:, 0] <= fc.upper[:, 1])
    assert np.all(fc.upper[:, 1] <= fc.upper[:, 2])
    assert np.any(fc.upper[:, 2] > fc.lower[:, 2])


def test_same_seed_same_forecast() -> None:
    history = _history(seed=3)
    a = forecast(history, mean_si=2.6, std_si=1.5, samples=300, seed=11)
    b = forecast(history, mean_si=2.6, std_si=1.5, samples=300, seed=11)
    c = forecast(history, mean_si=2.6, std_si=1.5, samples=300, seed=12)
    np.testing.assert_array_equal(a.upper, b.upper)
    np.testing.assert_array_equal(a.mean, b.mean)
    assert not np.array_equal(a.mean, c.mean)


def test_seeded_snapshot() -> None:
    # Recorded from this implementation: a change here changes every stored forecast.
    x = np.array([[1, 3, 2, 5, 4, 8, 7, 10, 12, 9, 14, 13, 18, 20, 17]], dtype=float)
    fc = forecast(x, mean_si=2.6, std_si=1.5, horizon=5, samples=200, seed=42)
    np.testing.assert_allclose(fc.median[0], [22.0, 24.0, 27.0, 30.0, 34.0])
    np.testing.assert_allclose(fc.upper[0, 2], [34.0, 37.0, 48.0, 54.025, 67.0])
    np.testing.assert_allclose(fc.mean[0], [23.02, 24.83, 28.065, 30.97, 36.23])


def test_samples_match_the_summaries() -> None:
    fc = forecast(_history(seed=4), mean_si=2.6, std_si=1.5, horizon=5, samples=201, seed=1,
                  keep_samples=True)
    assert fc.samples is not None and fc.samples.shape == (3, 201, 5)
    np.testing.assert_allclose(fc.median, np.median(fc.samples, axis=1))
    np.testing.assert_allclose(fc.upper[:, 1], np.quantile(fc.samples, 0.95, axis=1))


@pytest.mark.parametrize("model", ["poisson", "negbin"])
def test_zero_incidence_stays_zero(model: str) -> None:
    history = np.vstack([np.zeros(30), _history(series=1, days=30)[0]])
    fc = forecast(history, mean_si=2.6, std_si=1.5, horizon=14, samples=200, seed=0,
                  model=model, dispersion=0.5)  # type: ignore[arg-type]
    assert np.all(fc.upper[0] == 0) and np.all(fc.mean[0] == 0)
    assert np.all(fc.mean[1] > 0)


def test_negbin_has_its_variance() -> None:
    history = _history(seed=5, series=1)
    kwargs: dict[str, Any] = {"mean_si": 2.6, "std_si": 1.5, "r": 1.0, "horizon": 1,
                              "samples": 40000, "seed": 3, "keep_samples": True}
    nb = forecast(history, model="negbin", dispersion=2.0, **kwargs)
    pois = forecast(history, **kwargs)
    assert nb.samples is not None and pois.samples is not None
    mu = pois.samples[0, :, 0].mean()
    assert pois.samples[0, :, 0].var() == pytest.approx(mu, rel=0.05)
    assert nb.samples[0, :, 0].var() == pytest.approx(mu + mu**2 / 2.0, rel=0.08)


def test_imported_cases_infect_in_the_projection() -> None:
    local = _history(seed=6, series=2)
    imported = np.random.default_rng(1).poisson(3, local.shape).astype(float)
    with_imports = forecast(local, imported=imported, mean_si=2.6, std_si=1.5, r=1.1, seed=5)
    as_local = forecast(local + imported, mean_si=2.6, std_si=1.5, r=1.1, seed=5)
    np.testing.assert_array_equal(with_imports.mean, as_local.mean)


def test_non_parametric_si_and_per_series_r() -> None:
    history = _history(seed=7, series=2)
    si = [0, 0.233, 0.359, 0.198, 0.103, 0.053, 0.027, 0.014, 0.007, 0.003, 0.002, 0.001]
    fc = forecast(history, si_distr=si, r=[0.0, 2.0], horizon=7, samples=100, seed=0)
    assert np.all(fc.mean[0] == 0) and fc.mean[1, -1] > fc.mean[1, 0]
    np.testing.assert_array_equal(fc.r_mean, [0.0, 2.0])


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"horizon": 0}, ForecastInputError, "horizon must be"),
    ({"samples": 0}, ForecastInputError, "samples must be"),
    ({"levels": (0.5, 1.0)}, ForecastInputError, "levels must be in"),
    ({"model": "binomial"}, ForecastInputError, "model must be"),
    ({"model": "negbin"}, ForecastInputError, "needs dispersion"),
    ({"r": -1.0}, ForecastInputError, "r must be finite"),
    ({"r": [1.0, 2.0]}, ForecastInputError, "one per series"),
    ({"imported": np.zeros((2, 5))}, ForecastInputError, "imported must have the shape"),
    ({"incidence": -np.ones((3, 40))}, RtInputError, "negative count"),
    ({"incidence": np.full((3, 40), np.nan)}, RtInputError, "missing"),
    ({"mean_si": None, "std_si": None}, ForecastInputError, "give mean_si and std_si"),
    ({"si_distr": [0, 1.0]}, ForecastInputError, "not both"),
    ({"mean_si": 0.5}, SerialIntervalError, "mean must be > 1"),
    ({"mean_si": None, "std_si": None, "si_distr": np.eye(51)[50]}, ForecastInputError,
     "ends before the mean serial"),
])
def test_bad_input(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    args: dict[str, Any] = {"incidence": _history(), "mean_si": 2.6, "std_si": 1.5,
                            "samples": 10}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        forecast(**args)


def _grid(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.lognormal(np.log(4e5), 0.6, n), rng.uniform(29.0, 32.0, n),
            rng.uniform(110.0, 116.0, n))


def test_backtest_on_a_poisson_renewal_outbreak_is_calibrated() -> None:
    # Constant R and (nearly) Poisson offspring: the forecast's own model, so the intervals
    # must cover about their level.
    params = OutbreakParams(days=100, r0=1.3, r0_region_sd=0.0, dispersion_k=1e6,
                            intervention_day=None, initial_seeds=50, travel_rate=0.002)
    o = simulate_outbreak(*_grid(30), params, seed=3)
    si = np.concatenate([[0.0], o.generation_interval])
    result = backtest(o.infections, horizon=7, origins=list(range(30, 93, 4)), si_distr=si,
                      samples=400, seed=1)
    assert result.levels == (0.5, 0.9, 0.95)
    assert result.forecasts > 30 and result.points == result.forecasts * 7
    assert 0.4 <= result.coverage[0] <= 0.75
    assert 0.82 <= result.coverage[1] <= 0.99
    assert 0.88 <= result.coverage[2] <= 1.0
    assert np.all(np.diff(result.coverage) > 0)
    mean_count = o.infections[:, 30:].mean()
    assert 0 < result.mae < mean_count
    assert result.mae_by_day.shape == (7,) and result.coverage_by_day.shape == (3, 7)


def test_backtest_sees_overdispersion() -> None:
    # The demo outbreak's offspring are negative binomial (k = 0.5) and R falls after the
    # intervention: Poisson intervals are too narrow, wider negative-binomial ones cover more.
    o = simulate_outbreak(*_grid(30), OutbreakParams(days=100), seed=3)
    si = np.concatenate([[0.0], o.generation_interval])
    kwargs: dict[str, Any] = {"horizon": 7, "origins": list(range(40, 93, 4)), "si_distr": si,
                              "samples": 300, "seed": 1}
    pois = backtest(o.infections, **kwargs)
    nb = backtest(o.infections, model="negbin", dispersion=2.0, **kwargs)
    assert pois.coverage[2] < 0.9
    assert nb.coverage[2] > pois.coverage[2]


def test_backtest_with_imported_cases() -> None:
    local = _history(seed=8, series=2, days=60)
    no_imports = backtest(local, horizon=5, origins=[30, 40, 50], mean_si=2.6, std_si=1.5,
                          samples=100, seed=2)
    zero = backtest(local, imported=np.zeros_like(local), horizon=5, origins=[30, 40, 50],
                    mean_si=2.6, std_si=1.5, samples=100, seed=2)
    assert zero.mae == no_imports.mae
    np.testing.assert_array_equal(zero.coverage, no_imports.coverage)
    imported = np.full_like(local, 5.0)
    with_imports = backtest(local, imported=imported, horizon=5, origins=[30, 40, 50],
                            mean_si=2.6, std_si=1.5, samples=100, seed=2)
    assert with_imports.forecasts == no_imports.forecasts == 6
    assert with_imports.mae != no_imports.mae
    with pytest.raises(ForecastInputError, match="imported must have the shape"):
        backtest(local, imported=imported[:1], horizon=5, origins=[30], mean_si=2.6, std_si=1.5)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"origins": []}, "at least one origin"),
    ({"origins": [5]}, "origin 5 must leave 8 known days"),
    ({"origins": [35]}, "origin 35 must leave"),
    ({"horizon": 0}, "horizon must be"),
    ({"counts": np.zeros((2, 40))}, "no series has 1 case"),
])
def test_backtest_bad_input(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"counts": _history(), "horizon": 7, "origins": [20],
                            "mean_si": 2.6, "std_si": 1.5, "samples": 10}
    args.update(kwargs)
    with pytest.raises(ForecastInputError, match=message):
        backtest(**args)
