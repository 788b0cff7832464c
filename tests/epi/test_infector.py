"""Candidate infectors ranked by serial-interval likelihood and exposure timing
(shouwang.epi.infector)."""

from __future__ import annotations

import numpy as np
import pytest

from shouwang.epi.infector import (
    EXPOSURE_NOT_INFECTIOUS,
    EXPOSURE_TOO_LATE,
    FITS,
    NO_ONSET,
    OUTSIDE_SERIAL_INTERVAL,
    SOURCE_LATER,
    InfectorInputError,
    rank_infectors,
)
from shouwang.epi.serial_interval import discr_si

W = discr_si(np.arange(61), 4.7, 2.9)   # COVID-19 (Nishiura et al. 2020), EpiEstim's discr_si


def test_the_wallinga_teunis_probabilities_of_one_case() -> None:
    # Person 0 fell ill on day 20; candidates 1, 2, 3 on days 15, 17 and 12.
    onset = [20.0, 15.0, 17.0, 12.0]
    r = rank_infectors([0, 0, 0], [1, 2, 3], onset=onset, mean_si=4.7, std_si=2.9)
    want = np.array([W[5], W[3], W[8]])
    np.testing.assert_allclose(r.likelihood, want, rtol=1e-12)
    np.testing.assert_allclose(r.probability, want / want.sum(), rtol=1e-12)
    assert r.probability.sum() == pytest.approx(1.0)
    # Three days apart is the likeliest (the serial interval's mode; its mean is 4.7 days),
    # then five, then eight.
    assert list(r.rank) == [2, 1, 3] and r.reason == [FITS] * 3


def test_ranks_are_per_case_and_ties_share_the_better_rank() -> None:
    onset = [20.0, 15.0, 15.0, 17.0, 30.0, 25.0]
    r = rank_infectors([0, 0, 0, 4], [1, 2, 3, 5], onset=onset, mean_si=4.7, std_si=2.9)
    assert list(r.rank) == [2, 2, 1, 1]
    assert r.probability[3] == pytest.approx(1.0)          # the only candidate of person 4
    assert r.probability[0] == pytest.approx(r.probability[1])


def test_timing_rules_out_pairs_and_says_why() -> None:
    # Person 0 ill on day 20. 1: ill after 0. 2: onset unknown. 3: met 0 on day 19, a day before
    # 0's onset (too late to incubate). 4: met 0 on day 2, long before 4 was infectious.
    # 5: met on day 14, 5 ill on day 15: infectious, a fit. 6: ill 80 days before.
    onset = [20.0, 22.0, np.nan, 16.0, 15.0, 15.0, -60.0]
    r = rank_infectors([0] * 6, [1, 2, 3, 4, 5, 6], onset=onset,
                       exposure_day=[np.nan, np.nan, 19.5, 2.0, 14.0, np.nan],
                       mean_si=4.7, std_si=2.9)
    assert r.reason == [SOURCE_LATER, NO_ONSET, EXPOSURE_TOO_LATE, EXPOSURE_NOT_INFECTIOUS, FITS,
                        OUTSIDE_SERIAL_INTERVAL]
    assert list(r.likelihood[[0, 2, 3, 5]]) == [0.0, 0.0, 0.0, 0.0]
    assert np.isnan(r.likelihood[1]) and np.isnan(r.probability[1])
    assert r.probability[4] == pytest.approx(1.0) and r.rank[4] == 1


def test_a_case_with_no_fitting_candidate_has_no_probabilities() -> None:
    r = rank_infectors([0], [1], onset=[10.0, 12.0], mean_si=4.7, std_si=2.9)
    assert r.reason == [SOURCE_LATER] and np.isnan(r.probability[0])


def test_a_given_serial_interval_distribution() -> None:
    si = [0.0, 0.5, 0.3, 0.2]
    r = rank_infectors([0, 0], [1, 2], onset=[10.0, 9.0, 7.0], si_distr=si)
    np.testing.assert_allclose(r.probability, [0.5 / 0.7, 0.2 / 0.7])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"case": [0], "candidate": [0]}, "cannot infect themself"),
    ({"case": [0], "candidate": [9]}, r"person indices must lie in 0 … 1"),
    ({"case": [0, 1], "candidate": [1]}, "equally long"),
    ({"mean_si": None, "std_si": None}, "give the serial interval"),
    ({"si_distr": [0.0, 1.0]}, "either si_distr or mean_si"),
    ({"exposure_day": [1.0, 2.0]}, "one value per pair"),
])
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"case": [0], "candidate": [1], "onset": [5.0, 1.0],
                               "mean_si": 4.7, "std_si": 2.9}
    args.update(kwargs)
    with pytest.raises(InfectorInputError, match=message):
        rank_infectors(**args)  # type: ignore[arg-type]
