"""EpiEstim's discr_si and check_si_distr, against values written by R (reference/rt)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from shouwang.epi.serial_interval import (
    SerialIntervalError,
    check_si_distr,
    discr_si,
    si_moments,
)

REFERENCE = Path(__file__).parent / "reference" / "rt"


def _discr_rows() -> dict[tuple[float, float], np.ndarray]:
    by_param: dict[tuple[float, float], list[float]] = {}
    with (REFERENCE / "discr_si.csv").open() as handle:
        for row in csv.DictReader(handle):
            by_param.setdefault((float(row["mu"]), float(row["sigma"])), []).append(float(row["p"]))
    return {key: np.asarray(values) for key, values in by_param.items()}


@pytest.mark.parametrize(("mu", "sigma"), list(_discr_rows()))
def test_discr_si_matches_epiestim(mu: float, sigma: float) -> None:
    expected = _discr_rows()[(mu, sigma)]
    got = discr_si(np.arange(expected.size), mu, sigma)
    # Where R's value is above 1e-12 compare relatively; the far tail is rounding noise in both.
    big = expected > 1e-12
    np.testing.assert_allclose(got[big], expected[big], rtol=1e-6)
    np.testing.assert_allclose(got[~big], expected[~big], atol=1e-12)
    assert got[0] == 0.0


def test_discr_si_mean_is_mu() -> None:
    w = discr_si(np.arange(200), 6.8, 4.1)
    mean, sd = si_moments(w)
    assert w.sum() == pytest.approx(1.0, abs=1e-9)
    assert mean == pytest.approx(6.8, abs=1e-8)
    assert sd == pytest.approx(4.12, abs=0.01)  # discretisation adds 1/6 to the variance


@pytest.mark.parametrize(("mu", "sigma", "message"), [
    (1.0, 1.0, "mean must be > 1"),
    (0.5, 1.0, "mean must be > 1"),
    (2.6, 0.0, "sd must be > 0"),
    (2.6, -1.0, "sd must be > 0"),
    (float("nan"), 1.0, "mean must be > 1"),
])
def test_discr_si_guards(mu: float, sigma: float, message: str) -> None:
    with pytest.raises(SerialIntervalError, match=message):
        discr_si(np.arange(5), mu, sigma)


def test_discr_si_refuses_negative_days() -> None:
    with pytest.raises(SerialIntervalError, match="≥ 0"):
        discr_si([-1, 0, 1], 2.6, 1.5)


def test_check_si_distr_accepts_epiestim_data() -> None:
    w = check_si_distr([0, 0.233, 0.359, 0.198, 0.103, 0.053, 0.027, 0.014, 0.007, 0.003,
                        0.002, 0.001])
    assert w.dtype == np.float64 and w.size == 12


@pytest.mark.parametrize(("distr", "message"), [
    ([0.1, 0.5, 0.4], "must start with 0"),
    ([0, 1.2, -0.2], "must be ≥ 0"),
    ([0, 0.5, 0.4], "must sum to 1"),
    ([0, 0.6, 0.6], "must sum to 1"),
    ([], "non-empty"),
    ([[0, 1]], "non-empty"),
    ([0, float("nan"), 1], "missing"),
])
def test_check_si_distr_refuses(distr: list[float], message: str) -> None:
    with pytest.raises(SerialIntervalError, match=message):
        check_si_distr(distr)


def test_check_si_distr_tolerance_is_epiestims_unless_tightened() -> None:
    # EpiEstim accepts a distribution 0.01 away from 1 (rounded published values) as given.
    loose = [0, 0.3, 0.3, 0.395]
    assert check_si_distr(loose).sum() == pytest.approx(0.995)
    with pytest.raises(SerialIntervalError, match="within 1e-06"):
        check_si_distr(loose, sum_tolerance=1e-6)
