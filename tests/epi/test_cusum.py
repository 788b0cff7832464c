"""CUSUM against surveillance::cusum / algo.cusum 1.20.3 (tests/epi/reference/aberration)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shouwang.epi.cusum import TRANSFORMS, cusum
from shouwang.epi.ears import CountsError
from tests.epi.reference.aberration.fixtures import cases, read_input, read_output

RANGE_START = {"agona": 209, "newport": 105, "ha": 105, "edge": 21, "pois": 100}
OPTIONS: dict[str, dict[str, Any]] = {
    "cusum_agona_glm": {"m": "glm", "first_period": 1, "freq": 52},
    "cusum_agona_glm_rossi": {"m": "glm", "trans": "rossi"},
    "cusum_agona_m2_k05_h4": {"m": 2.0, "k": 0.5, "h": 4.0},
    # An all-zero training period: R's GLM does not converge and is used as it stands.
    "cusum_edge_glm": {"m": "glm"},
}


def _run(case: str) -> tuple[Any, dict[str, np.ndarray]]:
    _, data, variant, *_ = case.split("_")
    options = dict(OPTIONS.get(case, {}))
    if variant in TRANSFORMS:
        options["trans"] = variant
    _, counts = read_input(data)
    return cusum(counts, range_start=RANGE_START[data], **options), read_output(case)


def test_every_fixture_is_covered() -> None:
    assert len(cases("cusum")) == 14


@pytest.mark.parametrize("case", cases("cusum"))
def test_reproduces_cusum(case: str) -> None:
    result, ref = _run(case)
    np.testing.assert_array_equal(result.t, ref["t"][0])
    np.testing.assert_allclose(result.upperbound, ref["upperbound"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(result.cusum, ref["cusum"], rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(~result.alarm_defined, np.isnan(ref["alarm"]))
    defined = result.alarm_defined
    np.testing.assert_array_equal(result.alarm[defined], ref["alarm"][defined] == 1)


def test_fixtures_have_alarms() -> None:
    result, _ = _run("cusum_agona_standard")
    assert 5 < result.alarm.sum() < result.alarm.size


def test_default_is_mean_of_the_training_steps() -> None:
    x = np.array([[1.0, 2.0, 3.0, 10.0, 0.0]])
    result = cusum(x, range_start=4)
    assert result.expected[0, 0] == 2.0
    # z = (10 − 2)/√2 = 5.657 > k: C = 4.617 ≥ h → alarm; the upperbound was ⌈√2 (h+k) + 2⌉ = 7.
    assert result.alarm[0, 0] and result.upperbound[0, 0] == 7.0
    assert result.cusum[0, 1] == pytest.approx(max(0, 4.6168 + (0 - 2) / np.sqrt(2) - 1.04),
                                               abs=1e-3)


def test_all_zero_series_as_r() -> None:
    # R: m = 0, the standardised counts are 0/0 = NaN, cusum NaN, alarm NA, upperbound 0.
    result = cusum(np.zeros((1, 20)), range_start=10)
    assert np.isnan(result.cusum).all() and not result.alarm_defined.any()
    assert (result.upperbound == 0).all() and not result.alarm.any()


def test_vectorised_equals_one_series_at_a_time() -> None:
    x = np.random.default_rng(3).poisson(4, size=(4, 80))
    together = cusum(x, range_start=53, m="glm")
    for s in range(4):
        alone = cusum(x[s], range_start=53, m="glm")
        np.testing.assert_allclose(together.upperbound[s], alone.upperbound[0], rtol=1e-12)


@pytest.mark.parametrize(("counts", "options", "message"), [
    ([[1.0, np.nan, 2.0] * 5], {"range_start": 5}, "missing count"),
    ([[1.0, -2.0, 2.0] * 5], {"range_start": 5}, "negative count"),
    ([[1.0] * 10], {"range_start": 1}, "too early"),
    ([[1.0]], {"range_start": 2}, "too few time steps"),
    ([[1.0] * 10], {"range_start": 5, "range_end": 11}, "past the last"),
    ([[1.0] * 10], {"range_start": 5, "trans": "anscombeNegBin"}, "not reproduced"),
    ([[1.0] * 10], {"range_start": 5, "h": 0.0}, "h must be"),
    ([[1.0] * 10], {"range_start": 5, "m": -1.0}, "m must be ≥ 0"),
    ([[1.0] * 10], {"range_start": 5, "m": "median"}, "m must be a number"),
])
def test_bad_input(counts: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(CountsError, match=message):
        cusum(counts, **options)
