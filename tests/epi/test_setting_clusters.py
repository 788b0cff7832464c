"""Clusters of cases in one small setting (shouwang.epi.setting_clusters)."""

from __future__ import annotations

import numpy as np
import pytest

from shouwang.epi.setting_clusters import ClusterInputError, setting_clusters


def test_two_or_more_cases_within_14_days_in_one_setting() -> None:
    # Setting 7 (a household): cases 1, 2 ten days apart, then case 3 thirty days later.
    # Setting 9 (a workplace): cases 2 and 4 on the same day. Setting 5: case 6 alone.
    case = [1, 2, 3, 2, 4, 6]
    setting = [7, 7, 7, 9, 9, 5]
    day = [100, 110, 140, 108, 108, 100]
    got = setting_clusters(case, setting, day)
    assert list(got.setting) == [7, 9]
    assert list(got.first_day) == [100, 108] and list(got.last_day) == [110, 108]
    assert list(got.cases) == [2, 2]
    # Case 2 belongs to both clusters (home and work); case 3 came too late; 6 is alone.
    assert list(got.label) == [0, 0, -1, 1, 1, -1]


def test_a_chain_of_cases_ten_days_apart_stays_one_cluster() -> None:
    got = setting_clusters([1, 2, 3, 4], [1, 1, 1, 1], [0, 10, 20, 30])
    assert list(got.cases) == [4] and list(got.label) == [0, 0, 0, 0]
    assert (got.first_day[0], got.last_day[0]) == (0, 30)


def test_the_same_case_twice_is_one_case() -> None:
    # A case reported twice against its household (two exposure records) is still one case.
    got = setting_clusters([1, 1], [3, 3], [50, 52])
    assert got.setting.size == 0 and list(got.label) == [-1, -1]


def test_the_window_and_the_minimum_are_options() -> None:
    assert setting_clusters([1, 2], [1, 1], [0, 15]).setting.size == 0
    assert setting_clusters([1, 2], [1, 1], [0, 15], window_days=21).setting.size == 1
    assert setting_clusters([1, 2], [1, 1], [0, 1], min_cases=3).setting.size == 0


def test_a_million_links_in_one_pass() -> None:
    rng = np.random.default_rng(3)
    n = 1_000_000
    got = setting_clusters(np.arange(n), rng.integers(0, 300_000, n), rng.integers(0, 365, n))
    assert got.setting.size > 0
    in_cluster = got.label >= 0
    assert np.bincount(got.label[in_cluster]).min() >= 2


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    (([1], [1, 2], [0]), {}, "equally long"),
    (([1], [1], [0.5]), {}, "whole day numbers"),
    (([1], [1], [0]), {"window_days": -1}, "window_days must be ≥ 0"),
])
def test_bad_input(args: tuple[list[float], ...], kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ClusterInputError, match=message):
        setting_clusters(*args, **kwargs)
