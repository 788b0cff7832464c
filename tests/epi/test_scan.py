"""The space-time permutation scan against a slow, obviously correct implementation, a hand-worked
example, the exact permutation distribution of a tiny data set, and planted clusters.

No R package implements Kulldorff's space-time permutation scan (rsatscan drives SaTScan, which
is not installed; surveillance::stcd is Assunção & Correa's different method), see decision 0940.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.typing import NDArray

from shouwang.epi import scan
from shouwang.epi.scan import (
    Cylinders,
    ScanInputError,
    ScanOptions,
    nearest_neighbours,
    permuted_recent_counts,
    space_time_permutation_scan,
)

R_KM = 6371.0


# ---------------------------------------------------------------- the brute-force reference


def _km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance by the spherical law of cosines (a different formula on purpose)."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cos = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return R_KM * math.acos(max(-1.0, min(1.0, cos)))


def _order(i: int, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> list[int]:
    d = [_km(lon[i], lat[i], lon[j], lat[j]) for j in range(lon.size)]
    return sorted(range(lon.size), key=lambda j: (j != i, d[j], j))


def _brute_cylinders(counts: NDArray[np.int64], lon: NDArray[np.float64],
                     lat: NDArray[np.float64], k_max: int, d_max: int,
                     min_cases: int) -> dict[tuple[int, int, int], tuple[float, int, float]]:
    """{(centre, k, w): (llr, observed, expected)} for every high-rate cylinder, by loops."""
    n_loc, n_days = counts.shape
    total = int(counts.sum())
    out = {}
    for i in range(n_loc):
        order = _order(i, lon, lat)
        for k in range(1, min(k_max, n_loc) + 1):
            zone = order[:k]
            c_zone = sum(int(counts[j, t]) for j in zone for t in range(n_days))
            for w in range(1, min(d_max, n_days) + 1):
                days = range(n_days - w, n_days)
                c_window = sum(int(counts[j, t]) for j in range(n_loc) for t in days)
                c = sum(int(counts[j, t]) for j in zone for t in days)
                mu = c_zone * c_window / total
                if c > mu and c >= min_cases:
                    llr = c * math.log(c / mu)
                    if c < total:
                        llr += (total - c) * math.log((total - c) / (total - mu))
                    out[(i, k - 1, w - 1)] = (llr, c, mu)
    return out


def _brute_max(counts: NDArray[np.int64], lon: NDArray[np.float64], lat: NDArray[np.float64],
               k_max: int, d_max: int, min_cases: int) -> float:
    found = _brute_cylinders(counts, lon, lat, k_max, d_max, min_cases)
    return max((v[0] for v in found.values()), default=0.0)


def _brute_clusters(counts: NDArray[np.int64], lon: NDArray[np.float64],
                    lat: NDArray[np.float64], k_max: int, d_max: int,
                    min_cases: int) -> list[tuple[int, tuple[int, ...], int, int, float, float]]:
    """Best cylinder per centre (fewest locations, then shortest window on ties), ranked by LLR,
    kept when sharing no location with a kept one: (centre, members, window, observed, expected,
    llr)."""
    found = _brute_cylinders(counts, lon, lat, k_max, d_max, min_cases)
    best: dict[int, tuple[float, int, int]] = {}
    for (i, k, w), (llr, _, _) in sorted(found.items()):
        if i not in best or llr > best[i][0]:
            best[i] = (llr, k, w)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    used: set[int] = set()
    out = []
    for i, (llr, k, w) in ranked:
        members = tuple(_order(i, lon, lat)[: k + 1])
        if used & set(members):
            continue
        used |= set(members)
        _, c, mu = found[(i, k, w)]
        out.append((i, members, w, c, mu, llr))
    return out


def _brute_permute(rng: np.random.Generator, counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """One replicate the slow way: list every case, shuffle the day labels, count again."""
    loc, day = np.nonzero(counts)
    reps = counts[loc, day]
    case_loc, case_day = np.repeat(loc, reps), np.repeat(day, reps)
    case_day = rng.permutation(case_day)
    out = np.zeros_like(counts)
    np.add.at(out, (case_loc, case_day), 1)
    return out


def _random_map(n: int, seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    return rng.uniform(110.0, 114.0, n), rng.uniform(28.0, 31.0, n)


def _small_data(seed: int = 5) -> tuple[NDArray[np.int64], NDArray[np.float64],
                                        NDArray[np.float64]]:
    rng = np.random.default_rng(seed)
    lon, lat = _random_map(12, seed)
    counts = rng.poisson(0.8, (12, 10))
    counts[3, -3:] += 4
    counts[7, -2:] += 3
    return counts, lon, lat


# ---------------------------------------------------------------- a hand-worked example

# Three locations one degree apart on the equator (lon −1, 0, 1), three days.
HAND_COUNTS = np.array([[1, 0, 3],
                        [1, 1, 1],
                        [2, 1, 0]])
HAND_LON = np.array([-1.0, 0.0, 1.0])
HAND_LAT = np.zeros(3)


def test_hand_worked_example() -> None:
    # C = 10; location totals 4, 3, 3; day totals 4, 2, 4.
    # Centre 0: {0} on the last day: c = 3, μ = 4·4/10 = 1.6 → 3 ln(3/1.6) + 7 ln(7/8.4), the
    #   best of all cylinders ({0} × 2 days: c 3, μ 2.4; {0,1} × 1 day: c 4, μ 2.8 …).
    # Centre 1: 0 and 2 are equally near; the lower index (0) joins first, so its best is
    #   {1,0} × 1 day, 4 ln(4/2.8) + 6 ln(6/7.2) — which shares location 0: not reported.
    # Centre 2: no cylinder holds more than expected.
    result = space_time_permutation_scan(HAND_COUNTS, HAND_LON, HAND_LAT,
                                         ScanOptions(replicates=0))
    assert result.total_cases == 10 and result.max_locations == 3 and result.max_days == 3
    [cluster] = result.clusters
    assert (cluster.centre, cluster.locations) == (0, (0,))
    assert (cluster.start_day, cluster.end_day) == (2, 2)
    assert cluster.observed == 3 and cluster.expected == pytest.approx(1.6, rel=1e-12)
    assert cluster.ratio == pytest.approx(1.875, rel=1e-12)
    assert cluster.llr == pytest.approx(3 * math.log(3 / 1.6) + 7 * math.log(7 / 8.4), rel=1e-12)
    assert cluster.radius_km == 0.0 and math.isnan(cluster.p_value)

    cyl = Cylinders(HAND_COUNTS, HAND_LON, HAND_LAT, 3, 3, 2)
    llr, cases = cyl.llr(cyl.window_counts(HAND_COUNTS[:, ::-1]))
    assert list(cyl.neighbours[1]) == [1, 0, 2]  # the tie goes to the lower index
    assert cyl.distance_km[1, 1] == pytest.approx(R_KM * math.pi / 180, rel=1e-12)
    assert cases[1, 1, 0] == 4
    assert llr[1, 1, 0] == pytest.approx(4 * math.log(4 / 2.8) + 6 * math.log(6 / 7.2), rel=1e-12)
    assert llr[0, 1, 1] == pytest.approx(2 * math.log(2 / 1.8) + 8 * math.log(8 / 8.2), rel=1e-12)
    assert np.isneginf(llr[:, 2, :]).all()  # centre 2: nothing above expectation


def test_min_cases_lets_single_case_cylinders_count() -> None:
    counts = np.array([[0, 0, 1], [3, 3, 0], [2, 2, 1]])
    lon, lat = np.array([0.0, 5.0, 10.0]), np.zeros(3)
    strict = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=0))
    loose = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=0, min_cases=1))
    assert all(c.observed >= 2 for c in strict.clusters)
    assert loose.clusters[0].observed == 1 and loose.clusters[0].centre == 0


# ---------------------------------------------------------------- against the brute force


def test_every_cylinder_matches_brute_force() -> None:
    counts, lon, lat = _small_data()
    expect = _brute_cylinders(counts, lon, lat, 5, 4, 2)
    cyl = Cylinders(counts, lon, lat, 5, 4, 2)
    llr, cases = cyl.llr(cyl.window_counts(counts[:, ::-1][:, :4]))
    qualifying = {(int(i), int(k), int(w)) for k, i, w in np.argwhere(np.isfinite(llr))}
    assert qualifying == set(expect)
    for (i, k, w), (value, c, mu) in expect.items():
        assert llr[k, i, w] == pytest.approx(value, rel=1e-9, abs=1e-12)
        assert cases[k, i, w] == c
        assert cyl.expected[k, i, w] == pytest.approx(mu, rel=1e-12)


@pytest.mark.parametrize(("k_max", "d_max", "min_cases"), [(5, 4, 2), (12, 10, 1), (1, 1, 2)])
def test_clusters_match_brute_force(k_max: int, d_max: int, min_cases: int) -> None:
    counts, lon, lat = _small_data(seed=k_max + d_max)
    expect = _brute_clusters(counts, lon, lat, k_max, d_max, min_cases)
    got = space_time_permutation_scan(counts, lon, lat, ScanOptions(
        max_locations=k_max, max_days=d_max, min_cases=min_cases, replicates=0)).clusters
    assert len(got) == len(expect) > 0
    for cluster, (centre, members, w, c, mu, llr) in zip(got, expect, strict=True):
        assert (cluster.centre, cluster.locations) == (centre, members)
        assert (cluster.start_day, cluster.end_day) == (9 - w, 9)
        assert cluster.observed == c and cluster.expected == pytest.approx(mu, rel=1e-12)
        assert cluster.llr == pytest.approx(llr, rel=1e-9)
        assert cluster.radius_km == pytest.approx(
            _km(lon[centre], lat[centre], lon[members[-1]], lat[members[-1]]), rel=1e-9)


def test_replicate_maxima_match_brute_force_on_permuted_tables() -> None:
    counts, lon, lat = _small_data()
    rng = np.random.default_rng(0)
    tables = [_brute_permute(rng, counts) for _ in range(8)]
    cyl = Cylinders(counts, lon, lat, 5, 4, 2)
    recent = np.stack([t[:, ::-1][:, :4] for t in tables])
    got = cyl.max_llr(cyl.window_counts(recent))
    expect = [_brute_max(t, lon, lat, 5, 4, 2) for t in tables]
    np.testing.assert_allclose(got, expect, rtol=1e-9, atol=1e-12)


def test_p_values_rank_against_the_replicate_maxima() -> None:
    counts, lon, lat = _small_data()
    result = space_time_permutation_scan(counts, lon, lat,
                                         ScanOptions(max_locations=5, max_days=4, replicates=99))
    assert result.replicate_llr.shape == (99,)
    assert len(result.clusters) >= 2
    for cluster in result.clusters:
        exceed = int((result.replicate_llr >= cluster.llr).sum())
        assert cluster.p_value == pytest.approx((1 + exceed) / 100)
    p = [c.p_value for c in result.clusters]
    assert p == sorted(p)
    members = [set(c.locations) for c in result.clusters]
    for a, b in itertools.combinations(members, 2):
        assert not a & b
    strict = space_time_permutation_scan(counts, lon, lat, ScanOptions(
        max_locations=5, max_days=4, replicates=99, alpha=0.05))
    assert [c.p_value for c in strict.clusters] == [x for x in p if x <= 0.05]


def test_monte_carlo_p_value_agrees_with_the_exact_permutation_distribution() -> None:
    # Seven cases: every distinct sequence of day labels over the cases is equally likely under
    # the null (each stands for the same number of raw permutations), 210 of them.
    counts = np.array([[1, 0, 2], [0, 1, 1], [1, 1, 0]])
    lon, lat = np.array([0.0, 0.5, 3.0]), np.array([0.0, 0.2, 0.0])
    loc, day = np.nonzero(counts)
    case_loc = np.repeat(loc, counts[loc, day])
    case_day = np.repeat(day, counts[loc, day])
    observed = _brute_max(counts, lon, lat, 3, 3, 2)
    maxima = []
    for days in set(itertools.permutations(case_day)):
        table = np.zeros_like(counts)
        np.add.at(table, (case_loc, np.array(days)), 1)
        maxima.append(_brute_max(table, lon, lat, 3, 3, 2))
    assert len(maxima) == 210
    exact = float(np.mean(np.array(maxima) >= observed - 1e-12))
    n = 1999
    result = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=n, seed=4))
    assert result.clusters[0].llr == pytest.approx(observed, rel=1e-9)
    monte_carlo = float(np.mean(result.replicate_llr >= result.clusters[0].llr))
    assert 0.05 < exact < 0.95
    assert abs(monte_carlo - exact) < 4 * math.sqrt(exact * (1 - exact) / n)


# ---------------------------------------------------------------- the replicate sampler


@pytest.mark.parametrize("case_level", [True, False])
def test_permutation_keeps_both_marginals_and_the_expected_counts(
        case_level: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not case_level:
        monkeypatch.setattr(scan, "CASE_LEVEL_LIMIT", 0)  # day-by-day hypergeometric draws
    rng = np.random.default_rng(1)
    counts = rng.poisson(1.5, (6, 8))
    location_totals = counts.sum(axis=1)
    recent_totals = counts.sum(axis=0)[::-1][:3]
    draws = np.stack([permuted_recent_counts(rng, location_totals, recent_totals)
                      for _ in range(4000)])
    np.testing.assert_array_equal(draws.sum(axis=1), np.broadcast_to(recent_totals, (4000, 3)))
    assert (draws.sum(axis=2) <= location_totals).all()
    expected = np.outer(location_totals, recent_totals) / counts.sum()
    np.testing.assert_allclose(draws.mean(axis=0), expected, atol=0.05 * expected.max() + 0.02)


def test_same_seed_same_result_and_batching_does_not_matter(
        monkeypatch: pytest.MonkeyPatch) -> None:
    counts, lon, lat = _small_data()
    options = ScanOptions(max_locations=5, max_days=4, replicates=40, seed=9)
    a = space_time_permutation_scan(counts, lon, lat, options)
    monkeypatch.setattr(scan, "_BATCH_ELEMENTS", 1)  # one replicate per array operation
    b = space_time_permutation_scan(counts, lon, lat, options)
    np.testing.assert_array_equal(a.replicate_llr, b.replicate_llr)
    assert a.clusters == b.clusters
    c = space_time_permutation_scan(counts, lon, lat, ScanOptions(
        max_locations=5, max_days=4, replicates=40, seed=10))
    assert not np.array_equal(a.replicate_llr, c.replicate_llr)


# ---------------------------------------------------------------- planted clusters


def _planted(seed: int, strength: int) -> tuple[NDArray[np.int64], NDArray[np.float64],
                                                NDArray[np.float64], set[int]]:
    rng = np.random.default_rng(seed)
    lon, lat = _random_map(200, seed)
    counts = rng.poisson(rng.gamma(2.0, 0.5, 200)[:, None] * np.ones(28))
    nbr, _ = nearest_neighbours(lon, lat, 6)
    planted = set(int(i) for i in nbr[17])
    for i in planted:
        counts[i, -3:] += rng.poisson(strength, 3)
    return counts, lon, lat, planted


def test_planted_cluster_is_found() -> None:
    counts, lon, lat, planted = _planted(seed=2, strength=4)
    result = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=199))
    top = result.clusters[0]
    assert top.p_value == pytest.approx(1 / 200)
    assert len(planted & set(top.locations)) >= 4
    assert len(set(top.locations) - planted) <= 3
    assert top.end_day == 27 and 24 <= top.start_day <= 26
    assert top.ratio > 2


def test_no_planted_cluster_no_significant_finding() -> None:
    counts, lon, lat, _ = _planted(seed=2, strength=0)
    result = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=99))
    assert result.clusters[0].p_value > 0.05


# ---------------------------------------------------------------- neighbours


def test_nearest_neighbours_match_a_sort_and_put_the_centre_first() -> None:
    lon, lat = _random_map(30, 3)
    lon[5], lat[5] = lon[4], lat[4]  # a twin: each is its own nearest
    index, distance = nearest_neighbours(lon, lat, 7)
    for i in range(30):
        assert list(index[i]) == _order(i, lon, lat)[:7]
        for j, d in zip(index[i], distance[i], strict=True):
            # (the law of cosines is good to ~1e-4 km near zero, haversine much better)
            assert d == pytest.approx(_km(lon[i], lat[i], lon[j], lat[j]), rel=1e-9, abs=1e-3)
    assert list(index[5][:2]) == [5, 4] and distance[5][1] == 0.0


def test_boundary_ties_go_to_the_lower_index() -> None:
    # Centre 0 with four locations at the same distance (north, east, south, west).
    lon = np.array([0.0, 0.0, 1.0, 0.0, -1.0])
    lat = np.array([0.0, 1.0, 0.0, -1.0, 0.0])
    index, _ = nearest_neighbours(lon, lat, 3)
    assert list(index[0]) == [0, 1, 2]


# ---------------------------------------------------------------- bad input, clamping


def test_all_zero_counts_give_no_cluster() -> None:
    lon, lat = _random_map(5, 1)
    result = space_time_permutation_scan(np.zeros((5, 10)), lon, lat)
    assert result.clusters == [] and result.replicate_llr.size == 0 and result.total_cases == 0


def test_too_few_cases_for_a_cluster_give_none() -> None:
    lon, lat = _random_map(3, 1)
    counts = np.zeros((3, 5))
    counts[1, 4] = 1
    assert space_time_permutation_scan(counts, lon, lat).clusters == []


@pytest.mark.parametrize(("counts", "message"), [
    ([[1, -1], [0, 2]], "must be ≥ 0"),
    ([[1, np.nan], [0, 2]], "missing count at location 0, day 1"),
    ([[1, np.inf], [0, 2]], "must be ≥ 0"),
    ([[1, 0.5], [0, 2]], "not a whole number"),
    ([1, 2], "non-empty \\(locations, days\\) table"),
    ([["a", "b"], ["c", "d"]], "must be numbers"),
])
def test_bad_counts(counts: object, message: str) -> None:
    with pytest.raises(ScanInputError, match=message):
        space_time_permutation_scan(counts, [0.0, 1.0], [0.0, 0.0])  # type: ignore[arg-type]


@pytest.mark.parametrize(("lon", "lat", "message"), [
    ([0.0, np.nan], [0.0, 0.0], "coordinates missing for location 1"),
    ([0.0, 1.0], [np.nan, 0.0], "coordinates missing for location 0"),
    ([0.0, 1.0], [0.0, 95.0], "not degrees"),
    ([0.0, 200.0], [0.0, 0.0], "not degrees"),
    ([0.0], [0.0], "one value per location"),
])
def test_bad_coordinates(lon: list[float], lat: list[float], message: str) -> None:
    with pytest.raises(ScanInputError, match=message):
        space_time_permutation_scan([[1, 2], [3, 4]], lon, lat)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_locations": 0}, "max_locations"),
    ({"max_days": 0}, "max_days"),
    ({"replicates": -1}, "replicates"),
    ({"min_cases": 0}, "min_cases"),
    ({"alpha": 0.0}, "alpha"),
    ({"seed": -3}, "seed"),
])
def test_bad_options(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ScanInputError, match=message):
        ScanOptions(**kwargs)  # type: ignore[arg-type]


def test_sizes_beyond_the_data_are_clamped() -> None:
    counts, lon, lat = _small_data()
    big = space_time_permutation_scan(counts, lon, lat, ScanOptions(
        max_locations=500, max_days=90, replicates=20))
    exact = space_time_permutation_scan(counts, lon, lat, ScanOptions(
        max_locations=12, max_days=10, replicates=20))
    assert (big.max_locations, big.max_days) == (12, 10)
    assert big.clusters == exact.clusters
    np.testing.assert_array_equal(big.replicate_llr, exact.replicate_llr)


def test_end_day_ignores_later_days() -> None:
    counts, lon, lat = _small_data()
    cut = space_time_permutation_scan(counts, lon, lat, ScanOptions(replicates=9), end_day=6)
    sliced = space_time_permutation_scan(counts[:, :7], lon, lat, ScanOptions(replicates=9))
    assert cut.clusters == sliced.clusters and cut.clusters[0].end_day == 6
    with pytest.raises(ScanInputError, match="end_day"):
        space_time_permutation_scan(counts, lon, lat, end_day=10)
