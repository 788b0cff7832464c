"""Kulldorff's prospective space-time permutation scan statistic.

Counts of cases per location and day, the locations' centroids, nothing else: no population. The
scan looks for a cylinder — a circle of the k nearest locations around a centre (k = 1 … K) times
a window of the last d days of the study (d = 1 … D) — holding more cases than the other
locations' and days' shares predict, and judges the best one against Monte Carlo replicates in
which the days of the cases are shuffled.

For a cylinder A with zone z and window w, with C cases in all, C_z cases in zone z over the
whole study period and C_w cases in window w over all locations, the expected count under the
permutation null is

    μ_A = C_z · C_w / C,

and a cylinder with c_A > μ_A cases (and at least `min_cases`) scores the log of the generalised
likelihood ratio

    LLR_A = c_A ln(c_A / μ_A) + (C − c_A) ln((C − c_A) / (C − μ_A)).

Fast form: with g(c) = c ln(c/C) + (C − c) ln(1 − c/C) tabulated once for c = 0 … max, and per
cylinder a_A = ln(μ_A / (C − μ_A)) and b_A = C ln(1 − μ_A / C) (both fixed by the marginals, so
the same for every replicate), LLR_A = g(c_A) − c_A a_A − b_A: one table look-up and two
multiply-adds per cylinder, no logarithm in the replicate loop.

Replicates keep both marginals: the day labels are shuffled across cases, so each location keeps
its total and each day its total. Only the last D days matter to a window, so a replicate draws
which cases (hence which locations) fall on each of those days: an ordered sample without
replacement of the case-location array, or sequential multivariate hypergeometric draws when the
cases are too many to list one by one. Each replicate has its own random stream (spawned from
the seed), so the result does not depend on how replicates are batched.

References
----------
Kulldorff M, Heffernan R, Hartman J, Assunção R, Mostashari F (2005). A space-time permutation
scan statistic for disease outbreak detection. PLoS Medicine 2(3):e59.
doi:10.1371/journal.pmed.0020059
Kulldorff M (2001). Prospective time periodic geographical disease surveillance using a scan
statistic. J R Stat Soc A 164(1):61-72. doi:10.1111/1467-985X.00186
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

from shouwang.epi.outbreak import haversine_km

__all__ = [
    "Cylinders",
    "ScanCluster",
    "ScanInputError",
    "ScanOptions",
    "ScanResult",
    "nearest_neighbours",
    "permuted_recent_counts",
    "space_time_permutation_scan",
]

# Above this many cases a replicate is drawn day by day as multivariate hypergeometric counts
# instead of sampling individual cases (which needs an array of one entry per case).
CASE_LEVEL_LIMIT = 20_000_000
# Elements (replicates × locations × days) evaluated per array operation in the replicate loop:
# large enough that numpy's per-call cost vanishes, small enough to stay in cache.
_BATCH_ELEMENTS = 1 << 18


class ScanInputError(ValueError):
    """Counts, coordinates or options the scan cannot use; the message says which and why."""


@dataclass(frozen=True)
class ScanOptions:
    """What to scan and how hard.

    max_locations : the largest circle, in locations including the centre (SaTScan's "maximum
        spatial cluster size" as a number of locations). Clamped to the number of locations.
    max_days : the longest window, in days ending on the study's last day. Clamped to the days
        available.
    replicates : Monte Carlo replicates (0: no p-values, reported as NaN).
    seed : seed of the replicates' random streams; same seed, same result.
    min_cases : a cylinder needs at least this many cases to count as a cluster (SaTScan's
        default restriction for high-rate clusters, 2).
    alpha : report only clusters whose p-value is ≤ alpha (1.0: every non-overlapping cluster).
    """

    max_locations: int = 30
    max_days: int = 14
    replicates: int = 999
    seed: int = 1
    min_cases: int = 2
    alpha: float = 1.0

    def __post_init__(self) -> None:
        def need(ok: bool | np.bool_, message: str) -> None:
            if not ok:
                raise ScanInputError(message)

        for name in ("max_locations", "max_days", "min_cases"):
            value = getattr(self, name)
            need(isinstance(value, int | np.integer) and value >= 1,
                 f"{name} must be an integer ≥ 1, got {value!r}")
        need(isinstance(self.replicates, int | np.integer) and self.replicates >= 0,
             f"replicates must be an integer ≥ 0, got {self.replicates!r}")
        need(isinstance(self.seed, int | np.integer) and self.seed >= 0,
             f"seed must be an integer ≥ 0, got {self.seed!r}")
        need(0 < self.alpha <= 1, f"alpha must be in (0, 1], got {self.alpha!r}")


@dataclass(frozen=True)
class ScanCluster:
    """One reported cluster. Days are column indices of the counts given to the scan."""

    centre: int
    locations: tuple[int, ...]  # nearest to the centre first; the centre is locations[0]
    radius_km: float            # distance from the centre to the farthest member
    start_day: int
    end_day: int
    observed: int
    expected: float
    ratio: float                # observed / expected
    llr: float
    p_value: float              # NaN when no replicates were run


@dataclass(frozen=True)
class ScanResult:
    """The most likely cluster first, then the secondary clusters by decreasing LLR.

    `clusters` is empty when no cylinder holds more cases than expected (all-zero counts, or
    too few cases for `min_cases`); then no replicates are run and `replicate_llr` is empty.
    """

    clusters: list[ScanCluster]
    replicate_llr: NDArray[np.float64]  # the largest LLR of each replicate
    total_cases: int
    max_locations: int                   # as used, after clamping
    max_days: int                        # as used, after clamping
    options: ScanOptions = field(default_factory=ScanOptions)


def nearest_neighbours(lon: NDArray[np.float64], lat: NDArray[np.float64],
                       k: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The k nearest locations of every location by great-circle distance, itself first.

    Returns (index, distance_km), both shaped (locations, k), nearest first. Equal distances
    are ordered by location index, so the circles are the same whatever the platform.
    """
    n = lon.size
    index = np.empty((n, k), dtype=np.int64)
    distance = np.empty((n, k), dtype=np.float64)
    block = max(1, (1 << 22) // max(n, 1))
    for start in range(0, n, block):
        stop = min(start + block, n)
        rows = np.arange(stop - start)
        d = haversine_km(lat[start:stop, None], lon[start:stop, None], lat[None, :], lon[None, :])
        d[rows, np.arange(start, stop)] = -1.0  # the centre comes first, even with a twin
        if k < n:
            part = np.argpartition(d, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(n), (stop - start, n)).copy()
        pd = np.take_along_axis(d, part, axis=1)
        # A tie at the boundary may have let argpartition pick the higher index: redo those rows.
        cut = pd.max(axis=1)
        ties = (d <= cut[:, None]).sum(axis=1) > k
        for r in np.flatnonzero(ties):
            part[r] = np.lexsort((np.arange(n), d[r]))[:k]
            pd[r] = d[r, part[r]]
        order = np.lexsort((part, pd), axis=1)
        index[start:stop] = np.take_along_axis(part, order, axis=1)
        distance[start:stop] = np.maximum(np.take_along_axis(pd, order, axis=1), 0.0)
    return index, distance


def permuted_recent_counts(rng: np.random.Generator, location_totals: NDArray[np.int64],
                           recent_day_totals: NDArray[np.int64]) -> NDArray[np.int64]:
    """One permutation replicate of the counts on the last days of the study.

    The days of all cases are shuffled (location totals and day totals kept); what comes back is
    the (locations, days) table of the last len(recent_day_totals) days, most recent day first.
    recent_day_totals[j] is the total on the j-th day before the end (j = 0: the last day).
    """
    n_loc, n_days = location_totals.size, recent_day_totals.size
    total = int(location_totals.sum())
    n_recent = int(recent_day_totals.sum())
    if total <= CASE_LEVEL_LIMIT:
        case_location = np.repeat(np.arange(n_loc), location_totals)
        picked = case_location[rng.choice(total, size=n_recent, replace=False, shuffle=True)]
        slot_day = np.repeat(np.arange(n_days), recent_day_totals)
        table = np.bincount(picked * n_days + slot_day, minlength=n_loc * n_days)
        return table.reshape(n_loc, n_days).astype(np.int64)
    remaining = location_totals.astype(np.int64).copy()
    out = np.empty((n_loc, n_days), dtype=np.int64)
    for j in range(n_days):
        draw = rng.multivariate_hypergeometric(remaining, int(recent_day_totals[j]),
                                               method="marginals")
        out[:, j] = draw
        remaining -= draw
    return out


class Cylinders:
    """Every cylinder of a scan with what the marginals fix: expected counts and LLR constants.

    Arrays are laid out (k, centre, window): k = circle size − 1, window = length − 1 in days.
    """

    def __init__(self, counts: NDArray[np.int64], lon: NDArray[np.float64],
                 lat: NDArray[np.float64], max_locations: int, max_days: int,
                 min_cases: int) -> None:
        n_loc, n_days = counts.shape
        self.k = min(max_locations, n_loc)
        self.d = min(max_days, n_days)
        self.location_totals = counts.sum(axis=1)
        day_totals = counts.sum(axis=0)
        self.total = int(day_totals.sum())
        total = self.total
        self.recent_day_totals = day_totals[::-1][: self.d].copy()
        self.neighbours, self.distance_km = nearest_neighbours(lon, lat, self.k)
        self.neighbours_k = np.ascontiguousarray(self.neighbours.T)            # (K, L)
        zone_totals = np.cumsum(self.location_totals[self.neighbours_k], axis=0)  # (K, L)
        window_totals = np.cumsum(self.recent_day_totals)                        # (D,)
        product = zone_totals[:, :, None] * window_totals[None, None, :]         # exact ints
        self.expected = product / total if total else np.zeros(product.shape)
        mu = self.expected
        usable = (product > 0) & (product < total * total)  # 0 < μ < C
        # The fewest cases a cylinder needs: c > μ ⇔ c·C > C_z·C_w, in integers.
        least = np.maximum(min_cases, product // max(total, 1) + 1)
        self.threshold = np.where(usable, least, total + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.a = np.where(usable, np.log(mu) - np.log(total - mu), 0.0)
            self.b = np.where(usable, total * np.log1p(-mu / max(total, 1)), 0.0)
        top = int(min(zone_totals.max(initial=0), window_totals.max(initial=0)))
        c = np.arange(top + 1, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(c < total, (total - c) * np.log1p(-c / max(total, 1)), 0.0)
        self.g = xlogy(c, c / max(total, 1)) + tail

    def window_counts(self, recent: NDArray[np.int64]) -> NDArray[np.int32]:
        """Counts per location in windows of 1 … D days from (…, locations, days) recent counts
        (most recent day first)."""
        return np.cumsum(recent, axis=-1, dtype=np.int32)

    def llr(self, windows: NDArray[np.int32]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """LLR and case count of every cylinder for one table of window counts (locations, D);
        -inf where the cylinder is not a high-rate cluster."""
        c = np.cumsum(windows[self.neighbours_k], axis=0, dtype=np.int64)  # (K, L, D)
        value = self.g[c] - c * self.a - self.b
        return np.where(c >= self.threshold, value, -np.inf), c

    def max_llr(self, windows: NDArray[np.int32]) -> NDArray[np.float64]:
        """The largest LLR over all high-rate cylinders for each of a batch of tables of window
        counts shaped (batch, locations, D); 0 where no cylinder qualifies."""
        batch = windows.shape[0]
        shape = windows.shape
        c = np.zeros(shape, dtype=np.int32)
        best = np.zeros(shape, dtype=np.float64)
        value = np.empty(shape, dtype=np.float64)
        scratch = np.empty(shape, dtype=np.float64)
        ok = np.empty(shape, dtype=bool)
        for k in range(self.k):
            c += windows[:, self.neighbours_k[k], :]
            np.greater_equal(c, self.threshold[k], out=ok)
            np.take(self.g, c, out=value)
            np.multiply(c, self.a[k], out=scratch)
            value -= scratch
            value -= self.b[k]
            np.maximum(best, value, out=best, where=ok)
        return np.asarray(best.reshape(batch, -1).max(axis=1))


def _validated(counts: ArrayLike, lon: ArrayLike, lat: ArrayLike,
               end_day: int | None) -> tuple[NDArray[np.int64], NDArray[np.float64],
                                              NDArray[np.float64]]:
    try:
        x = np.asarray(counts, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ScanInputError(f"counts must be numbers: {error}") from None
    if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
        raise ScanInputError(f"counts must be a non-empty (locations, days) table, got shape "
                             f"{x.shape}")
    if np.isnan(x).any():
        loc, day = np.argwhere(np.isnan(x))[0]
        raise ScanInputError(f"missing count at location {loc}, day {day}")
    if not np.isfinite(x).all() or (x < 0).any():
        loc, day = np.argwhere(~(np.isfinite(x) & (x >= 0)))[0]
        raise ScanInputError(f"count {x[loc, day]} at location {loc}, day {day} must be ≥ 0")
    if (x != np.round(x)).any():
        loc, day = np.argwhere(x != np.round(x))[0]
        raise ScanInputError(f"count {x[loc, day]} at location {loc}, day {day} is not a whole "
                             "number of cases")
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    for name, v in (("lon", lon_a), ("lat", lat_a)):
        if v.shape != (x.shape[0],):
            raise ScanInputError(f"{name} must hold one value per location ({x.shape[0]}), got "
                                 f"shape {v.shape}")
    missing = np.flatnonzero(np.isnan(lon_a) | np.isnan(lat_a))
    if missing.size:
        raise ScanInputError(f"coordinates missing for location {missing[0]}")
    bad = np.flatnonzero(~((np.abs(lat_a) <= 90) & (np.abs(lon_a) <= 180)))
    if bad.size:
        i = bad[0]
        raise ScanInputError(f"location {i}: lon {lon_a[i]}, lat {lat_a[i]} are not degrees "
                             "(lon in [-180, 180], lat in [-90, 90])")
    n_days = x.shape[1]
    end = n_days - 1 if end_day is None else int(end_day)
    if not 0 <= end < n_days:
        raise ScanInputError(f"end_day must be a day index in 0 … {n_days - 1}, got {end_day}")
    return x[:, : end + 1].astype(np.int64), lon_a, lat_a


def space_time_permutation_scan(counts: ArrayLike, lon: ArrayLike, lat: ArrayLike,
                                options: ScanOptions | None = None, *,
                                end_day: int | None = None) -> ScanResult:
    """Prospective space-time permutation scan (Kulldorff et al. 2005) over location centroids.

    Parameters
    ----------
    counts : (locations, days) whole numbers of cases, ≥ 0, no missing values.
    lon, lat : centroid of each location in degrees; distances are great-circle (R = 6371 km).
    options : ScanOptions (defaults: 30 locations, 14 days, 999 replicates, seed 1).
    end_day : the study's last day (column index); later columns are ignored. Default: the last.

    Returns
    -------
    ScanResult with the most likely cluster and the secondary clusters that share no location
    with a more likely one (SaTScan's default "no geographical overlap"): for every centre its
    best cylinder is kept, these are ranked by LLR and taken greedily. Each p-value is
    (1 + #{replicates whose largest LLR ≥ the cluster's}) / (replicates + 1), the secondary
    clusters judged against the same replicate maxima as the most likely one.

    Notes
    -----
    Ties: equal distances are ordered by location index; a centre's equal-LLR cylinders by the
    fewer locations, then the shorter window; equal-LLR centres by index. All-zero counts (or
    too few cases for `min_cases`) give no cluster and run no replicates. max_locations above
    the number of locations and max_days above the number of days are clamped to what exists.
    """
    opts = options or ScanOptions()
    table, lon_a, lat_a = _validated(counts, lon, lat, end_day)
    end = table.shape[1] - 1
    cyl = Cylinders(table, lon_a, lat_a, opts.max_locations, opts.max_days, opts.min_cases)
    empty = np.zeros(0, dtype=np.float64)
    if cyl.total == 0:
        return ScanResult([], empty, 0, cyl.k, cyl.d, opts)
    recent = table[:, ::-1][:, : cyl.d]
    llr, cases = cyl.llr(cyl.window_counts(recent))
    flat = llr.transpose(1, 0, 2).reshape(table.shape[0], -1)  # (centre, k·D + window)
    best_at = np.argmax(flat, axis=1)  # first maximum: fewest locations, then shortest window
    best = flat[np.arange(flat.shape[0]), best_at]
    candidates = np.flatnonzero(np.isfinite(best))
    if candidates.size == 0:
        return ScanResult([], empty, cyl.total, cyl.k, cyl.d, opts)
    candidates = candidates[np.argsort(-best[candidates], kind="stable")]

    replicate_llr = _replicate_maxima(cyl, opts)
    ranked = np.sort(replicate_llr)
    taken = np.zeros(table.shape[0], dtype=bool)
    clusters: list[ScanCluster] = []
    for centre in candidates:
        k, w = divmod(int(best_at[centre]), cyl.d)
        members = cyl.neighbours[centre, : k + 1]
        if taken[members].any():
            continue
        taken[members] = True
        value = float(best[centre])
        if opts.replicates:
            exceed = ranked.size - int(np.searchsorted(ranked, value, side="left"))
            p_value = (1 + exceed) / (opts.replicates + 1)
            if p_value > opts.alpha:
                break  # the rest rank lower, so their p-values are no smaller
        else:
            p_value = float("nan")
        observed = int(cases[k, centre, w])
        expected = float(cyl.expected[k, centre, w])
        clusters.append(ScanCluster(
            centre=int(centre), locations=tuple(int(m) for m in members),
            radius_km=float(cyl.distance_km[centre, k]), start_day=end - w, end_day=end,
            observed=observed, expected=expected, ratio=observed / expected,
            llr=max(value, 0.0), p_value=p_value))
    return ScanResult(clusters, replicate_llr, cyl.total, cyl.k, cyl.d, opts)


def _replicate_maxima(cyl: Cylinders, opts: ScanOptions) -> NDArray[np.float64]:
    """The largest LLR of each permutation replicate, replicates evaluated in batches."""
    n = opts.replicates
    out = np.zeros(n, dtype=np.float64)
    if n == 0:
        return out
    streams = np.random.SeedSequence(opts.seed).spawn(n)
    n_loc = cyl.location_totals.size
    batch = max(1, min(n, _BATCH_ELEMENTS // (n_loc * cyl.d)))
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        recent = np.stack([
            permuted_recent_counts(np.random.default_rng(s), cyl.location_totals,
                                   cyl.recent_day_totals)
            for s in streams[start:stop]])
        out[start:stop] = cyl.max_llr(cyl.window_counts(recent))
    return out
