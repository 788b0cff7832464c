"""The prospective replay of the nightly nowcast + forecast (shouwang.epi.replay)."""

from __future__ import annotations

import numpy as np
import pytest

from shouwang.epi.forecast import ForecastInputError, backtest
from shouwang.epi.nowcast import CaseDays, NowcastOptions, cases_from_outbreak
from shouwang.epi.outbreak import OutbreakParams, simulate_outbreak
from shouwang.epi.replay import corrected_onsets, onset_counts, replay

ORIGINS = list(range(40, 80, 5))


@pytest.fixture(scope="module")
def delayed_cases() -> CaseDays:
    # A steadily growing, near-Poisson outbreak in 20 regions, onset → report ≈ 4 days.
    rng = np.random.default_rng(7)
    grid = (rng.lognormal(np.log(4e5), 0.6, 20), rng.uniform(29, 32, 20),
            rng.uniform(110, 116, 20))
    params = OutbreakParams(days=100, r0=1.4, r0_region_sd=0.0, dispersion_k=1e6,
                            intervention_day=None, initial_seeds=50, travel_rate=0.002,
                            diagnosis_delay_early=4.0, diagnosis_delay_late=4.0)
    return cases_from_outbreak(simulate_outbreak(*grid, params, seed=3))


def test_onset_counts_as_known_on_a_night() -> None:
    cases = CaseDays(series=np.array([0, 0, 1, 1]), event_day=np.array([0, 2, 2, 3]),
                     report_day=np.array([1, 5, 2, 3]), n_series=2)
    np.testing.assert_array_equal(onset_counts(cases, days=4), [[1, 0, 1, 0], [0, 0, 1, 1]])
    # On night 3 the case with onset on day 2 reported on day 5 is not known yet.
    np.testing.assert_array_equal(onset_counts(cases, days=4, night=3),
                                  [[1, 0, 0, 0], [0, 0, 1, 1]])


def test_corrected_onsets_raise_the_last_days_and_never_lower(delayed_cases: CaseDays) -> None:
    opts = NowcastOptions(window=28, levels=(0.95,), pool=True, seed=1)
    night = 70
    known = onset_counts(delayed_cases, days=night + 1, night=night)
    final = onset_counts(delayed_cases, days=night + 1)
    corrected = corrected_onsets(delayed_cases, night=night, max_delay=14, options=opts)
    assert corrected.shape == known.shape
    assert np.all(corrected >= known)
    # Days long past are complete and untouched; the last week is raised towards the truth.
    np.testing.assert_array_equal(corrected[:, :40], known[:, :40])
    last = slice(night - 6, night + 1)
    assert known[:, last].sum() < 0.8 * final[:, last].sum()
    assert abs(corrected[:, last].sum() - final[:, last].sum()) < \
        0.25 * (final[:, last].sum() - known[:, last].sum())


def test_without_reporting_delay_all_three_inputs_are_the_final_counts(
        delayed_cases: CaseDays) -> None:
    c = delayed_cases
    instant = CaseDays(series=c.series, event_day=c.event_day, report_day=c.event_day,
                      n_series=c.n_series)
    result = replay(instant, ORIGINS, horizon=7, mean_si=5.2, std_si=2.8, samples=200, seed=1)
    for other in (result.platform, result.reported):
        np.testing.assert_array_equal(other.coverage, result.final.coverage)
        assert other.mae == result.final.mae
        assert other.forecasts == result.final.forecasts
    # The final input is exactly the ordinary backtest.
    plain = backtest(onset_counts(instant, days=int(instant.event_day.max()) + 1), horizon=7,
                     origins=ORIGINS, mean_si=5.2, std_si=2.8, samples=200, seed=1)
    np.testing.assert_array_equal(plain.coverage, result.final.coverage)


def test_the_nowcast_correction_repairs_forecasts_from_incomplete_counts(
        delayed_cases: CaseDays) -> None:
    steps: list[tuple[int, int, str]] = []
    result = replay(delayed_cases, ORIGINS, horizon=7, mean_si=5.2, std_si=2.8, samples=300,
                    seed=1, progress=lambda done, total, stage: steps.append((done, total, stage)))
    assert [done for done, _total, _stage in steps] == list(range(1, len(ORIGINS) + 5))
    assert steps[-1][:2] == (len(ORIGINS) + 4, len(ORIGINS) + 4)
    # Forecasting from what has been reported by the night reads the reporting delay as a
    # fall: far too low, intervals that miss. The platform's nowcast-corrected input is much
    # closer to forecasting from the final counts.
    assert result.reported.mae > 3 * result.platform.mae
    assert result.reported.bias < -0.5 * result.reported.mae   # too low, not just noisy
    assert abs(result.platform.bias) < abs(result.reported.bias) / 3
    assert result.platform.mae < 4 * result.final.mae
    assert result.reported.coverage[2] < 0.75
    assert result.platform.coverage[2] > result.reported.coverage[2] + 0.1
    assert 0.85 <= result.nowcast.coverage[0.95] <= 1.0
    assert result.nowcast.mae_median < result.nowcast.mae_observed / 2


def test_known_input_must_have_the_origin_shape() -> None:
    counts = np.ones((2, 30))
    with pytest.raises(ForecastInputError, match=r"known\(20\) must have shape \(2, 20\)"):
        backtest(counts, horizon=5, origins=[20], mean_si=3.0, std_si=1.0, samples=100,
                 known=lambda o: np.ones((2, o - 1)))


def test_no_onsets_is_an_error() -> None:
    empty = CaseDays(series=np.zeros(0, dtype=np.int64), event_day=np.zeros(0, dtype=np.int64),
                     report_day=np.zeros(0, dtype=np.int64), n_series=1)
    with pytest.raises(ForecastInputError, match="no case has an onset day"):
        replay(empty, [10], horizon=7, mean_si=5.0, std_si=2.0)
