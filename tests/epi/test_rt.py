"""R_t by Cori et al. (2013): EpiEstim's estimate_R reproduced on its shipped data, and guards.

The reference values were written by tests/epi/reference/rt/make_fixtures.R (EpiEstim 2.2-4);
these tests read the CSVs and never run R.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shouwang.epi.rt import (
    QUANTILE_LEVELS,
    R_COLUMNS,
    PosteriorCVWarning,
    RtInputError,
    estimate_r,
    total_infectiousness,
)
from shouwang.epi.serial_interval import SerialIntervalError, discr_si

REFERENCE = Path(__file__).parent / "reference" / "rt"
RTOL = 1e-6


def _read(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open() as handle:
        rows = list(csv.reader(handle))
    values = [[np.nan if cell == "NA" else float(cell) for cell in row] for row in rows[1:]]
    return rows[0], np.asarray(values, dtype=np.float64)


def _cases() -> list[dict[str, str]]:
    with (REFERENCE / "cases.csv").open() as handle:
        return list(csv.DictReader(handle))


def reference_case(case: dict[str, str]) -> tuple[dict[str, Any], np.ndarray]:
    """estimate_r's arguments for a fixture case, and R's table."""
    name = case["case"]
    header, incidence = _read(REFERENCE / f"{name}_incidence.csv")
    r_header, table = _read(REFERENCE / f"{name}_R.csv")
    assert tuple(r_header) == R_COLUMNS
    kwargs: dict[str, Any] = {"incidence": incidence[:, 1], "mean_prior": float(case["mean_prior"]),
                              "std_prior": float(case["std_prior"]),
                              "cv_posterior": float(case["cv_posterior"])}
    if header == ["t", "local", "imported"]:
        kwargs["imported"] = incidence[:, 2]
    if case["method"] == "parametric_si":
        kwargs.update(mean_si=float(case["mean_si"]), std_si=float(case["std_si"]))
    else:
        kwargs["si_distr"] = _read(REFERENCE / f"{name}_si.csv")[1][:, 1]
    if case["windows"] != "default":
        kwargs.update(t_start=table[:, 0], t_end=table[:, 1])
    return kwargs, table


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["case"])
def test_matches_epiestim(case: dict[str, str]) -> None:
    kwargs, expected = reference_case(case)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = estimate_r(**kwargs)
    got = est.table(0)
    assert est.method == case["method"]
    assert got.shape == expected.shape
    # NA exactly where R has NA (windows ending before the mean serial interval).
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=RTOL, equal_nan=True)
    assert est.si_mean == pytest.approx(float(case["si_mean"]), rel=RTOL)
    assert est.si_std == pytest.approx(float(case["si_std"]), rel=RTOL)
    warned = case["cv_warning"] == "TRUE"
    assert bool(est.cv_warning[0]) is warned
    assert any(issubclass(w.category, PosteriorCVWarning) for w in caught) is warned


@pytest.mark.filterwarnings("ignore::shouwang.epi.rt.PosteriorCVWarning")
def test_parametric_si_distr_matches_epiestim() -> None:
    case = next(c for c in _cases() if c["case"] == "sars2003_parametric")
    kwargs, _ = reference_case(case)
    est = estimate_r(**kwargs)
    expected = _read(REFERENCE / "sars2003_parametric_si.csv")[1][:, 1]
    assert est.si_distr.size == expected.size  # discr_si(0:(T-1)) padded to T + 1, as in R
    big = expected > 1e-12
    np.testing.assert_allclose(est.si_distr[big], expected[big], rtol=RTOL)


def test_all_series_at_once_equal_one_by_one() -> None:
    cases = {c["case"]: c for c in _cases()}
    names = ["flu2009_parametric", "zero_start_parametric"]
    rng = np.random.default_rng(3)
    series = [reference_case(cases[n])[0]["incidence"] for n in names]
    days = min(s.size for s in series)
    stack = np.vstack([s[:days] for s in series] + [rng.poisson(4, days)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosteriorCVWarning)
        together = estimate_r(stack, mean_si=2.6, std_si=1.5)
        for i in range(stack.shape[0]):
            alone = estimate_r(stack[i], mean_si=2.6, std_si=1.5)
            np.testing.assert_allclose(together.table(i), alone.table(0), rtol=1e-12)
    assert together.mean.shape == (3, days - 7)
    assert together.quantiles.shape == (3, days - 7, len(QUANTILE_LEVELS))


def test_all_zero_series_returns_the_prior() -> None:
    with pytest.warns(PosteriorCVWarning):
        est = estimate_r(np.zeros((2, 30)), mean_si=2.6, std_si=1.5, mean_prior=4, std_prior=2)
    np.testing.assert_allclose(est.mean[:, 1:], 4.0)
    np.testing.assert_allclose(est.std[:, 1:], 2.0)
    assert np.all(np.isnan(est.mean[:, 0]) == (est.t_end[0] <= est.si_mean))
    assert est.cv_warning.tolist() == [True, True]


def test_imported_cases_infect_but_are_not_infected_locally() -> None:
    rng = np.random.default_rng(5)
    local = rng.poisson(6, 40).astype(float)
    imported = rng.poisson(2, 40).astype(float)
    with_imports = estimate_r(local, imported=imported, mean_si=3.0, std_si=1.5)
    all_local = estimate_r(local + imported, mean_si=3.0, std_si=1.5)
    # Same infectiousness (scale), fewer locally infected cases (shape) in each window.
    np.testing.assert_allclose(with_imports.scale, all_local.scale, rtol=1e-12)
    sums = np.array([imported[s - 1:e].sum() for s, e in zip(with_imports.t_start,
                                                             with_imports.t_end, strict=True)])
    np.testing.assert_allclose(all_local.shape - with_imports.shape, sums[None, :], rtol=1e-12)


def test_window_option_and_custom_windows() -> None:
    x = np.random.default_rng(1).poisson(10, 50).astype(float)
    weekly = estimate_r(x, mean_si=2.6, std_si=1.5)
    assert weekly.t_start[0] == 2 and weekly.t_end[0] == 8 and weekly.t_end[-1] == 50
    fortnight = estimate_r(x, mean_si=2.6, std_si=1.5, window=14)
    assert fortnight.t_start.tolist() == list(range(2, 38))
    assert (fortnight.t_end - fortnight.t_start).tolist() == [13] * 36
    custom = estimate_r(x, mean_si=2.6, std_si=1.5, t_start=[2, 9, 16], t_end=[8, 15, 50])
    np.testing.assert_allclose(custom.mean[0, :2], weekly.mean[0, [0, 7]], rtol=1e-12)


def test_long_series_lag_loop_equals_matrix() -> None:
    rng = np.random.default_rng(2)
    x = rng.poisson(20, (3, 2100)).astype(float)
    w = discr_si(np.arange(60), 8.4, 3.8)
    long = total_infectiousness(x, w)  # past the matrix size: lag by lag
    short = total_infectiousness(x[:, :400], w)  # one matrix product
    np.testing.assert_allclose(long[:, :400], short, rtol=1e-12)
    direct = np.array([sum(w[k] * x[0, t - k] for k in range(1, min(t, 59) + 1))
                       for t in range(400)])
    np.testing.assert_allclose(short[0], direct, rtol=1e-12)


def test_non_integer_counts_use_the_exact_quantiles() -> None:
    from scipy import stats

    x = np.array([1.5, 2.25, 3.0, 4.75, 6.5, 7.0, 8.125, 9.0, 10.5, 12.0])
    est = estimate_r(x, mean_si=2.6, std_si=1.5)
    q = stats.gamma.ppf(QUANTILE_LEVELS, a=est.shape[0, -1], scale=est.scale[0, -1])
    np.testing.assert_allclose(est.quantiles[0, -1], q, rtol=1e-10)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"incidence": [1, 2, -1, 4, 5, 6, 7, 8, 9]}, "negative count -1.0 in series 0, day 3"),
    ({"incidence": [1, 2, np.nan, 4, 5, 6, 7, 8, 9]}, "missing or non-finite count"),
    ({"incidence": [1, 2, np.inf, 4, 5, 6, 7, 8, 9]}, "missing or non-finite count"),
    ({"incidence": [1, 2, 3, 4, 5, 6, 7]}, "fewer than one 7-day window"),
    ({"incidence": [1] * 20, "window": 0}, "window must be"),
    ({"incidence": np.ones((2, 3, 4))}, "shaped \\(series, days\\)"),
    ({"incidence": np.ones((0, 9))}, "empty"),
    ({"incidence": [1] * 9, "imported": [1] * 8}, "imported must have the shape"),
    ({"incidence": [1] * 9, "imported": [0, -1] + [0] * 7}, "imported: negative"),
    ({"incidence": [1] * 9, "t_start": [1], "t_end": [5]}, "between 2 and"),
    ({"incidence": [1] * 9, "t_start": [2], "t_end": [10]}, "between 2 and"),
    ({"incidence": [1] * 9, "t_start": [5], "t_end": [4]}, "≤ t_end"),
    ({"incidence": [1] * 9, "t_start": [2, 3], "t_end": [5]}, "same length"),
    ({"incidence": [1] * 9, "t_start": [2.5], "t_end": [5]}, "whole day numbers"),
    ({"incidence": [1] * 9, "t_start": [2]}, "both t_start and t_end"),
    ({"incidence": [1] * 9, "mean_prior": 0}, "mean_prior must be > 0"),
    ({"incidence": [1] * 9, "std_prior": -1}, "std_prior must be > 0"),
    ({"incidence": [1] * 9, "cv_posterior": 0}, "cv_posterior must be > 0"),
])
def test_bad_input_is_a_clear_error(kwargs: dict[str, Any], message: str) -> None:
    kwargs.setdefault("mean_si", 2.6)
    kwargs.setdefault("std_si", 1.5)
    with pytest.raises(RtInputError, match=message):
        estimate_r(**kwargs)


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"si_distr": [0, 0.5, 0.4]}, SerialIntervalError, "must sum to 1"),
    ({"si_distr": [0.2, 0.5, 0.3]}, SerialIntervalError, "must start with 0"),
    ({"si_distr": [0, 1.0], "mean_si": 2.0}, RtInputError, "not both"),
    ({}, RtInputError, "give mean_si and std_si"),
    ({"mean_si": 1.0, "std_si": 1.0}, SerialIntervalError, "mean must be > 1"),
    ({"mean_si": 3.0, "std_si": 0.0}, SerialIntervalError, "sd must be > 0"),
])
def test_bad_serial_interval(kwargs: dict[str, Any], error: type[Exception],
                             message: str) -> None:
    with pytest.raises(error, match=message):
        estimate_r(np.arange(1, 12), **kwargs)
