"""shouwang.epi.infector.plausible_exposure_day: one day for an exposure known as a span."""

from __future__ import annotations

import numpy as np
import pytest

from shouwang.epi.infector import (
    EXPOSURE_NOT_INFECTIOUS,
    EXPOSURE_TOO_LATE,
    FITS,
    InfectorInputError,
    plausible_exposure_day,
    rank_infectors,
)


def test_day_nearest_source_onset_inside_span() -> None:
    # Source ill on day 10, case on day 15; shared days 5 … 20: the source's onset day itself.
    day = plausible_exposure_day([5], [20], source_onset=[10], case_onset=[15])
    assert day.tolist() == [10.0]


def test_span_before_infectiousness_gives_its_end() -> None:
    # Shared days 1 … 4, the source infectious from day 8: no day possible; the end (4) is the
    # nearest and the ranking rules the pair out as outside the infectious period.
    day = plausible_exposure_day([1], [4], source_onset=[10], case_onset=[15])
    assert day.tolist() == [4.0]
    r = rank_infectors([0], [1], onset=[15.0, 10.0], exposure_day=day, mean_si=4.7, std_si=2.9)
    assert r.reason == [EXPOSURE_NOT_INFECTIOUS]


def test_span_after_case_onset_gives_its_start() -> None:
    day = plausible_exposure_day([16], [18], source_onset=[10], case_onset=[15])
    assert day.tolist() == [16.0]
    r = rank_infectors([0], [1], onset=[15.0, 10.0], exposure_day=day, mean_si=4.7, std_si=2.9)
    assert r.reason == [EXPOSURE_TOO_LATE]


def test_clipped_to_the_window() -> None:
    # Span 12 … 14, source ill on day 10 (infectious to 20), case on 16: day 12.
    day = plausible_exposure_day([12], [14], source_onset=[10], case_onset=[16])
    assert day.tolist() == [12.0]
    r = rank_infectors([0], [1], onset=[16.0, 10.0], exposure_day=day, mean_si=4.7, std_si=2.9)
    assert r.reason == [FITS]


def test_unknown_values_give_nan_and_bad_spans_an_error() -> None:
    day = plausible_exposure_day([1, 1], [3, 3], source_onset=[np.nan, 2],
                                 case_onset=[5, np.nan])
    assert np.isnan(day).all()
    with pytest.raises(InfectorInputError, match="ends before"):
        plausible_exposure_day([5], [3], source_onset=[1], case_onset=[9])
    with pytest.raises(InfectorInputError):
        plausible_exposure_day([5, 1], [6], source_onset=[1], case_onset=[9])
