"""EARS C1/C2/C3 against surveillance::earsC 1.20.3 (fixtures in tests/epi/reference/aberration)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from shouwang.epi.ears import CountsError, count_matrix, ears_c
from tests.epi.reference.aberration.fixtures import cases, read_input, read_output

# Options of each fixture beyond the method (see make_fixtures.R).
OPTIONS: dict[str, dict[str, Any]] = {
    "ears_simdaily_C3_alpha0.001": {"alpha": 0.001},
    "ears_newport_C2_b10_sigma0.5": {"baseline": 10, "min_sigma": 0.5, "alpha": 0.01},
    "ears_newport_C3_b5_sigma1": {"baseline": 5, "min_sigma": 1.0},
    "ears_newport_C1_range": {"range_start": 100, "range_end": 200},
}


def _run(case: str) -> tuple[Any, dict[str, np.ndarray]]:
    _, data, method, *_ = case.split("_")
    options = dict(OPTIONS.get(case, {}))
    if data == "simdaily":
        options.setdefault("range_start", 20)  # the ?earsC example's range 20:208
    _, counts = read_input(data)
    return ears_c(counts, method=method, **options), read_output(case)


def test_every_fixture_is_covered() -> None:
    assert len(cases("ears")) == 16


@pytest.mark.parametrize("case", cases("ears"))
def test_reproduces_earsC(case: str) -> None:
    result, ref = _run(case)
    np.testing.assert_array_equal(result.t, ref["t"][0])
    np.testing.assert_array_equal(result.observed, ref["observed"])
    np.testing.assert_allclose(result.expected, ref["expected"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(result.upperbound, ref["upperbound"], rtol=1e-6, atol=1e-12)
    # Alarms exactly, NA included (R's NA where the upperbound is NaN).
    np.testing.assert_array_equal(~result.alarm_defined, np.isnan(ref["alarm"]))
    defined = result.alarm_defined
    np.testing.assert_array_equal(result.alarm[defined], ref["alarm"][defined] == 1)


def test_fixtures_exercise_alarms_and_na() -> None:
    # The reference cases are worth something only if they contain alarms and undefined steps.
    c1, _ = _run("ears_newport_C1")
    c3, _ = _run("ears_ha_C3")
    assert c1.alarm.sum() > 5
    assert (~c3.alarm_defined).sum() > 100


def test_c3_default_alpha_is_r_s_0_025() -> None:
    x = np.random.default_rng(1).poisson(5, size=(3, 60))
    assert ears_c(x, method="C3").alpha == 0.025
    assert ears_c(x, method="C2").alpha == 0.001
    np.testing.assert_array_equal(ears_c(x, method="C3").upperbound,
                                  ears_c(x, method="C3", alpha=0.025).upperbound)


def test_vectorised_equals_one_series_at_a_time() -> None:
    x = np.random.default_rng(2).poisson(3, size=(5, 40))
    for method in ("C1", "C2", "C3"):
        together = ears_c(x, method=method)
        for s in range(5):
            alone = ears_c(x[s], method=method)
            np.testing.assert_array_equal(together.upperbound[s], alone.upperbound[0])


def test_all_zero_series_as_r() -> None:
    # R: C1/C2 upperbound 0 and no alarm; C3 upperbound NaN (C2 = 0/0) and alarm NA.
    zeros = np.zeros((1, 30))
    for method in ("C1", "C2"):
        result = ears_c(zeros, method=method)
        assert (result.upperbound == 0).all() and not result.alarm.any()
    c3 = ears_c(zeros, method="C3")
    assert np.isnan(c3.upperbound).all() and not c3.alarm_defined.any() and not c3.alarm.any()


def test_a_spike_after_a_flat_baseline_alarms_in_c1() -> None:
    x = np.array([[2.0] * 7 + [3.0]])
    result = ears_c(x, method="C1")
    assert result.upperbound[0, 0] == 2.0 and result.alarm[0, 0]


@pytest.mark.parametrize(("counts", "options", "message"), [
    ([[1.0, np.nan, 2.0] * 5], {}, "missing count in series 0 at time step 2"),
    ([[1.0, -1.0, 2.0] * 5], {}, "negative count"),
    ([[1.0, np.inf, 2.0] * 5], {}, "infinite count"),
    ([[1.0] * 7], {}, "has 7, the method needs 7 time step"),
    ([[1.0] * 11], {"method": "C3"}, "has 11, the method needs 11 time step"),
    ([[1.0] * 20], {"range_start": 5}, "range start 5 is too early"),
    ([[1.0] * 20], {"range_end": 21}, "past the last time step"),
    ([[1.0] * 20], {"baseline": 2}, "baseline must be an integer ≥ 3"),
    ([[1.0] * 20], {"min_sigma": -1.0}, "min_sigma"),
    ([[1.0] * 20], {"alpha": 1.5}, "alpha"),
    ([[1.0] * 20], {"method": "C4"}, "method must be one of"),
    ([], {}, "empty"),
])
def test_bad_input(counts: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(CountsError, match=message):
        ears_c(counts, **options)


def test_count_matrix_rejects_3d() -> None:
    with pytest.raises(CountsError, match="1-D"):
        count_matrix(np.zeros((2, 2, 2)))
