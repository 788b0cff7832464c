"""shouwang.epi.chains additions for the tracing app: every bad link as case indices
(link_problems) and the profile-likelihood interval of k (negbin_k_interval, checked against R:
reference/chains/k_intervals.R)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from shouwang.epi.chains import (
    ChainInputError,
    LinkProblem,
    check_links,
    link_problems,
    negbin_expected,
    negbin_fit,
    negbin_k_interval,
)

REFERENCE = Path(__file__).parent / "reference" / "chains"


def test_good_links_have_no_problems() -> None:
    assert link_problems([-1, 0, 0, 1], [0.0, 3.0, 4.0, 7.0]) == []


def test_self_link_named() -> None:
    assert link_problems([-1, 1, 0]) == [LinkProblem("self", (1,))]


def test_every_early_onset_named_with_its_infector() -> None:
    problems = link_problems([-1, 0, 0, 2], [10.0, 5.0, 12.0, 3.0])
    assert problems == [LinkProblem("onset", (1, 0)), LinkProblem("onset", (3, 2))]


def test_onset_rule_is_check_links_rule() -> None:
    parent, onset = [-1, 0], [10.0, 8.0]
    assert link_problems(parent, onset, max_onset_lead=2.0) == []
    check_links(parent, onset, max_onset_lead=2.0)
    assert link_problems(parent, onset, max_onset_lead=1.0) == [LinkProblem("onset", (1, 0))]
    with pytest.raises(ChainInputError):
        check_links(parent, onset, max_onset_lead=1.0)


def test_unknown_onsets_are_not_judged() -> None:
    assert link_problems([-1, 0], [np.nan, 1.0]) == []


def test_each_cycle_once_from_its_smallest_case() -> None:
    # 1 → 2 → 3 → 1 and 5 ↔ 6, with 4 hanging below the first cycle and 0 a sound root.
    parent = [-1, 3, 1, 2, 3, 6, 5]
    problems = link_problems(parent)
    assert problems == [LinkProblem("cycle", (1, 3, 2, 1)), LinkProblem("cycle", (5, 6, 5))]


def test_self_link_is_not_also_a_cycle() -> None:
    assert link_problems([0]) == [LinkProblem("self", (0,))]


def test_out_of_range_index_is_a_callers_bug() -> None:
    with pytest.raises(ChainInputError):
        link_problems([-1, 5])


def _intervals() -> list[dict[str, str]]:
    with (REFERENCE / "k_intervals.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _intervals(), ids=lambda r: r["sample"])
def test_k_interval_matches_r(row: dict[str, str]) -> None:
    with (REFERENCE / f"sample_{row['sample']}.csv").open(encoding="utf-8") as fh:
        x = np.array([int(r["offspring"]) for r in csv.DictReader(fh)])
    ci = negbin_k_interval(x)
    assert ci is not None and ci.level == 0.95
    assert ci.low == pytest.approx(float(row["low"]), rel=1e-6)
    assert ci.high == pytest.approx(float(row["high"]), rel=1e-6)
    assert ci.low < negbin_fit(x).k < ci.high


def test_k_interval_open_above_without_overdispersion() -> None:
    ci = negbin_k_interval([1, 1, 1, 2, 0, 1, 1, 0, 2, 1])
    assert ci is not None and math.isinf(ci.high) and 0 < ci.low < 10


def test_k_interval_narrows_with_more_data() -> None:
    rng = np.random.default_rng(5)
    small = rng.negative_binomial(0.5, 0.5 / 1.5, size=100)
    large = rng.negative_binomial(0.5, 0.5 / 1.5, size=5000)
    a, b = negbin_k_interval(small), negbin_k_interval(large)
    assert a is not None and b is not None
    assert b.high - b.low < a.high - a.low
    assert b.low < 0.5 < b.high


def test_k_interval_needs_counts_and_a_level() -> None:
    assert negbin_k_interval([]) is None
    assert negbin_k_interval([0, 0, 0]) is None
    with pytest.raises(ValueError, match="level"):
        negbin_k_interval([0, 1, 5], level=1.5)


def test_expected_counts_follow_the_fit() -> None:
    x = np.array([0] * 60 + [1] * 20 + [2] * 10 + [5] * 6 + [12] * 4)
    fit = negbin_fit(x)
    expected = negbin_expected(fit, 200)
    assert expected.sum() == pytest.approx(x.size, rel=1e-6)
    assert (np.arange(201) * expected).sum() == pytest.approx(x.sum(), rel=1e-4)
    p = fit.k / (fit.k + fit.r)
    assert expected[3] == pytest.approx(x.size * stats.nbinom.pmf(3, fit.k, p))


def test_expected_counts_poisson_when_not_overdispersed() -> None:
    fit = negbin_fit([1, 1, 1, 2, 0, 1, 1])
    expected = negbin_expected(fit, 3)
    assert expected.tolist() == pytest.approx((7 * stats.poisson.pmf(np.arange(4), 1.0)).tolist())
    with pytest.raises(ValueError):
        negbin_expected(fit, -1)
