"""Transmission chains (shouwang.epi.chains): roots, generations, offspring, k, bad links."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from shouwang.epi.chains import ChainInputError, analyse_chains, check_links, negbin_fit

REFERENCE = Path(__file__).parent / "reference" / "chains"


def _fits() -> list[dict[str, str]]:
    with (REFERENCE / "fits.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("row", _fits(), ids=lambda r: r["sample"])
def test_k_matches_r(row: dict[str, str]) -> None:
    with (REFERENCE / f"sample_{row['sample']}.csv").open(encoding="utf-8") as fh:
        x = np.array([int(r["offspring"]) for r in csv.DictReader(fh)])
    fit = negbin_fit(x)
    assert fit.n == int(row["n"])
    # The exact profile maximum, as R's optimize finds it …
    assert fit.r == pytest.approx(float(row["profile_mu"]), rel=1e-12)
    assert fit.k == pytest.approx(float(row["profile_k"]), rel=1e-6)
    assert fit.loglik == pytest.approx(float(row["profile_loglik"]), rel=1e-9)
    # … and MASS::fitdistr, whose optim stops a little short of it.
    assert fit.k == pytest.approx(float(row["fitdistr_size"]), rel=5e-3)
    assert fit.loglik >= float(row["fitdistr_loglik"]) - 1e-9


def test_poisson_like_counts_have_no_finite_k() -> None:
    fit = negbin_fit([1, 1, 1, 2, 0, 1, 1])
    assert fit.k == float("inf") and fit.r == pytest.approx(1.0)
    assert negbin_fit([0, 0, 0]).k == float("inf")


def test_two_chains_with_generations_offspring_and_sizes() -> None:
    #        0            6
    #      /   \          |
    #     1     2         7
    #    / \
    #   3   4
    #       |
    #       5
    infector = [-1, 0, 0, 1, 1, 4, -1, 6]
    c = analyse_chains(infector)
    np.testing.assert_array_equal(c.roots, [0, 6])
    np.testing.assert_array_equal(c.root, [0, 0, 0, 0, 0, 0, 6, 6])
    np.testing.assert_array_equal(c.generation, [0, 1, 1, 2, 2, 3, 0, 1])
    np.testing.assert_array_equal(c.offspring, [2, 2, 0, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(c.chain_size, [6, 6, 6, 6, 6, 6, 2, 2])
    assert c.fit.r == pytest.approx(6 / 8)
    assert c.superspreading_threshold == 3   # qpois(0.99, 0.75)
    assert c.components is None


def test_a_long_chain_needs_many_jumps() -> None:
    n = 100_000
    infector = np.arange(-1, n - 1)   # 0 ← 1 ← 2 ← … one chain, depth n − 1
    c = analyse_chains(infector)
    assert c.generation[-1] == n - 1 and np.all(c.root == 0)
    assert c.chain_size[0] == n


def test_contact_edges_join_chains_into_components() -> None:
    infector = [-1, 0, -1, 2, -1]
    c = analyse_chains(infector, contacts=([1, 4], [3, 4]))
    # 0-1 and 2-3 are chains; the contact 1–3 joins them; 4 touches only itself.
    assert c.components is not None
    assert c.components[0] == c.components[1] == c.components[2] == c.components[3]
    assert c.components[4] != c.components[0]
    np.testing.assert_array_equal(c.roots, [0, 2, 4])   # chains are unchanged


@pytest.mark.parametrize(("infector", "onset", "message"), [
    ([-1, 0, 3, 2], None, r"infector links form a cycle: 2 → 3 → 2"),
    ([-1, 1], None, "case 1 is its own infector"),
    ([-1, 5], None, "case 1: infector 5 is not a case"),
    ([-1, -2], None, "case 1: infector -2 is not a case"),
    ([0.5, -1], None, "infector indices must be whole numbers"),
    ([-1, 0, 1], [10, 12, 9], "case 2: onset 9 precedes its infector 1's onset 12"),
])
def test_bad_links_are_errors(infector: list[float], onset: list[float] | None,
                              message: str) -> None:
    with pytest.raises(ChainInputError, match=message):
        analyse_chains(np.array(infector), onset=onset)


def test_an_onset_lead_can_be_allowed_and_missing_onsets_are_not_judged() -> None:
    check_links([-1, 0], [10, 8], max_onset_lead=3)      # asymptomatic spread before onset
    check_links([-1, 0], [10, np.nan])
    with pytest.raises(ChainInputError, match="precedes"):
        check_links([-1, 0], [10, 6], max_onset_lead=3)


def test_contact_edges_must_name_cases() -> None:
    with pytest.raises(ChainInputError, match="pairs of case indices"):
        analyse_chains([-1, 0], contacts=([0], [2]))


def test_the_offspring_fit_can_stop_before_the_last_cases() -> None:
    # 0 → 1, 2; 1 → 3; 2 → 4: the last two (onsets 20, 21) cannot have infected anyone yet.
    infector = [-1, 0, 0, 1, 2]
    onset = [0.0, 5.0, 6.0, 20.0, 21.0]
    everyone = analyse_chains(infector, onset=onset)
    early = analyse_chains(infector, onset=onset, offspring_until=10)
    assert everyone.fit.n == 5 and everyone.fit.r == pytest.approx(4 / 5)
    assert early.fit.n == 3 and early.fit.r == pytest.approx(4 / 3)   # 2, 1, 1 infectees
    np.testing.assert_array_equal(early.offspring, everyone.offspring)
    with pytest.raises(ChainInputError, match="needs the onsets"):
        analyse_chains(infector, offspring_until=10)
    with pytest.raises(ChainInputError, match="no case has an onset on or before -1"):
        analyse_chains(infector, onset=onset, offspring_until=-1)
