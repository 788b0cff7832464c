"""Nowcasting: the counts of the latest days corrected for reporting delay, with prediction
intervals, for many series at once.

The reporting triangle
----------------------
n[s, t, d] is the number of cases of series s with event (onset) on day t reported d days later
(d = 0 … D); day T−1 is *now*, so a cell is known only where t + d ≤ T−1 and is NaN elsewhere.
Cases reported more than D days late are counted in column D, as surveillance::nowcast does.
O[s, t] = Σ_d n[s, t, d] is what is known now about day t.

Delay distribution (chain ladder = Lawless 1994 reverse-time hazards)
--------------------------------------------------------------------
Within the window (rows t ≥ T−1−W), for each delay x = 1 … D over the rows already observed at
delay x (t ≤ T−1−x)::

    n_x = Σ_t n[t, x],    N_x = Σ_t Σ_{y≤x} n[t, y],    g_x = n_x / N_x  (0 when N_x = 0)

g_x is the reverse-time hazard P(delay = x | delay ≤ x); 1 − g_x is the inverse of the
chain-ladder development factor from x−1 to x. The delay CDF is F(d) = Π_{x=d+1}^{D} (1 − g_x)
and the point nowcast N̂_t = O_t / F(T−1−t) (NaN where F = 0: no case in the window was reported
faster than some delay x > T−1−t, so the row cannot be scaled up).

Prediction intervals
--------------------
Parameter uncertainty: the truncated likelihood factorises into independent binomials
n_x ~ Bin(N_x, g_x), so with the Dirichlet(κ, …, κ) prior on the D+1 delay probabilities of
surveillance's "bayes.trunc" (g_x ~ Beta(κ, xκ) a priori) the posterior is
g_x ~ Beta(κ + n_x, xκ + N_x − n_x), independent over x (a generalized Dirichlet). Each sample
draws the hazards, hence F. Not-yet-reported cases: N_t ~ Poisson(λ_t), O_t ~ Bin(N_t, F), so
U_t = N_t − O_t ~ Poisson(λ_t (1 − F)) independently of O_t. The prior on λ_t is
Gamma(a, a/m): mean m, the series' recent level (Σ O_t / Σ F over the last 7 days, a ratio
estimate), shape a = `prior_shape` (1: exponential, weak). The posterior is
λ_t ~ Gamma(a + O_t, a/m + F), and U_t given F is negative binomial; where the prior matters
(today's row, F small, few cases) it pulls towards the recent level, and a series with no
recent case (m = 0) gets U = 0. The median and the limits are quantiles of O_t + U_t over
the samples (inverse empirical CDF: whole counts).

References
----------
Lawless JF (1994). Adjustments for reporting delays and the prediction of occurred but not
reported events. Can J Stat 22(1):15-31. doi:10.2307/3315826
Höhle M, an der Heiden M (2014). Bayesian nowcasting during the STEC O104:H4 outbreak in
Germany, 2011. Biometrics 70(4):993-1002. doi:10.1111/biom.12194
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

Array = NDArray[np.float64]


class NowcastInputError(ValueError):
    """A triangle, case list or option the nowcast cannot use; the message says what is wrong."""


@dataclass(frozen=True)
class NowcastOptions:
    """Options of `nowcast`, validated on creation.

    window : rows whose event day lies at most `window` days before now estimate the delays
        (surveillance's `m`); None uses every row. Must be ≥ the maximum delay D.
    samples : Monte Carlo samples for the intervals (≥ 100).
    levels : central prediction-interval levels, each in (0, 1).
    prior_kappa : κ of the Dirichlet prior on the delay probabilities (surveillance's
        `gd.prior.kappa`, default 0.1).
    prior_shape : a of the Gamma(a, a/m) prior on each day's expected count, m the recent level
        (> 0; larger is stronger).
    level_days : the last days whose ratio estimate Σ O / Σ F is the prior mean m.
    pool : estimate one delay distribution from all series together (sparse series) instead of
        one per series.
    seed : seed of the numpy Generator (None: fresh entropy).
    block : series per sampling block (bounds memory at block × D × samples counts).
    """

    window: int | None = 28
    samples: int = 1000
    levels: tuple[float, ...] = (0.90, 0.95)
    prior_kappa: float = 0.1
    prior_shape: float = 1.0
    pool: bool = False
    seed: int | None = 1
    block: int = 256
    level_days: int = 7

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, rule: str) -> None:
            if not ok:
                raise NowcastInputError(f"{name} must be {rule}, got {getattr(self, name)!r}")

        need(self.window is None or self.window >= 1, "window", "≥ 1 or None")
        need(self.samples >= 100, "samples", "≥ 100")
        need(len(self.levels) > 0 and all(0 < lv < 1 for lv in self.levels), "levels",
             "one or more levels in (0, 1)")
        need(self.prior_kappa > 0, "prior_kappa", "> 0")
        need(self.prior_shape > 0, "prior_shape", "> 0")
        need(self.block >= 1, "block", "≥ 1")
        need(self.level_days >= 1, "level_days", "≥ 1")


@dataclass(frozen=True)
class DelayEstimate:
    """Reverse-time hazard counts and the delay CDF, per series (one row when pooled)."""

    n_x: Array        # (S', D+1): cases reported with delay x within the window (n_0 unused)
    N_x: Array        # (S', D+1): cases reported with delay ≤ x in the same rows
    hazard: Array     # (S', D+1): g_x = n_x / N_x, g_0 = 1
    cdf: Array        # (S', D+1): F(d) = Π_{x>d} (1 − g_x), F(D) = 1


@dataclass(frozen=True)
class Nowcast:
    """Per series and event day: observed, point nowcast, median and interval limits."""

    observed: Array               # (S, T)
    nowcast: Array                # (S, T) O / F, NaN where F = 0
    median: Array                 # (S, T)
    lower: dict[float, Array]     # level → (S, T)
    upper: dict[float, Array]
    delay_cdf: Array              # (S or 1, D+1): chain-ladder F
    posterior_delay_cdf: Array    # (S or 1, D+1): posterior mean of F (surveillance bayes.trunc)
    completeness: Array = field(repr=False)  # (S, T): F(now − t) used for each row


# ---------------------------------------------------------------------------------------------
# The triangle


def check_triangle(triangle: ArrayLike) -> Array:
    """Validate a reporting triangle and return it as float (S, T, D+1).

    A 2-d array (T, D+1) is one series. Known cells (t + d ≤ T−1) must be finite and ≥ 0;
    cells after now must be NaN (a count there is an error: it cannot have been observed yet).
    At least D+1 days are needed, so that the oldest row is complete and delay D identifiable.
    """
    tri = np.array(triangle, dtype=np.float64)
    if tri.ndim == 2:
        tri = tri[None]
    if tri.ndim != 3 or tri.shape[0] == 0:
        raise NowcastInputError(
            f"triangle must have shape (series, days, delays), got {np.shape(triangle)}")
    _, days, width = tri.shape
    max_delay = width - 1
    if max_delay < 1:
        raise NowcastInputError("triangle needs delay columns 0 … D with D ≥ 1")
    if days < max_delay + 1:
        raise NowcastInputError(
            f"the delay distribution is not identifiable: the triangle has {days} day(s), and "
            f"at least {max_delay + 1} are needed for delays up to {max_delay} (one complete row)")
    known = _known_mask(days, max_delay)
    bad = np.isnan(tri) & known
    if np.any(bad):
        s, t, d = (int(v) for v in np.argwhere(bad)[0])
        raise NowcastInputError(
            f"missing count in series {s}, day {t}, delay {d} ({int(bad.sum())} missing cells); "
            "cells up to now must hold a count (0 when none)")
    if np.any(np.isinf(tri)):
        raise NowcastInputError("triangle counts must be finite")
    if np.any(tri[:, known] < 0):
        s, t, d = (int(v) for v in np.argwhere((tri < 0) & known)[0])
        raise NowcastInputError(
            f"negative count {tri[s, t, d]:g} in series {s}, day {t}, delay {d}")
    after = ~np.isnan(tri) & ~known
    if np.any(after):
        s, t, d = (int(v) for v in np.argwhere(after)[0])
        raise NowcastInputError(
            f"observed cells after now: series {s}, day {t}, delay {d} would be reported "
            f"{t + d - days + 1} day(s) after now; {int(after.sum())} such cell(s) must be "
            "empty")
    return tri


def _known_mask(days: int, max_delay: int) -> NDArray[np.bool_]:
    t = np.arange(days)[:, None]
    d = np.arange(max_delay + 1)[None, :]
    return np.asarray(t + d <= days - 1)


def triangle_from_cases(event_day: ArrayLike, report_day: ArrayLike, *, now: int, days: int,
                        max_delay: int, series: ArrayLike | None = None,
                        n_series: int | None = None) -> Array:
    """Build the reporting triangle (S, days, D+1) from one entry per case.

    event_day, report_day : integer day numbers (e.g. date.toordinal() or simulation days).
    now : the last day of the triangle; cases reported after it are not yet known and are left
        out (as in surveillance::nowcast). Rows cover now − days + 1 … now; earlier events are
        left out. Delays above max_delay are counted at max_delay.
    series : integer series index 0 … n_series−1 of each case (default: one series).
    """
    event = _int_days(event_day, "event_day")
    report = _int_days(report_day, "report_day")
    if event.shape != report.shape:
        raise NowcastInputError(
            f"event_day and report_day differ in length: {event.size} and {report.size}")
    if max_delay < 1:
        raise NowcastInputError(f"max_delay must be ≥ 1, got {max_delay}")
    if days < 1:
        raise NowcastInputError(f"days must be ≥ 1, got {days}")
    if series is None:
        group = np.zeros(event.size, dtype=np.int64)
        n_groups = 1 if n_series is None else n_series
    else:
        group = _int_days(series, "series")
        if group.shape != event.shape:
            raise NowcastInputError("series must have one entry per case")
        n_groups = int(group.max(initial=-1)) + 1 if n_series is None else n_series
        if np.any(group < 0) or np.any(group >= n_groups):
            raise NowcastInputError(f"series indices must lie in 0 … {n_groups - 1}")
    if n_groups < 1:
        raise NowcastInputError("need at least one series")
    early = report < event
    if np.any(early):
        i = int(np.argmax(early))
        raise NowcastInputError(
            f"{int(early.sum())} case(s) reported before their event day (first: case {i}, "
            f"event {int(event[i])}, report {int(report[i])})")
    start = now - days + 1
    keep = (report <= now) & (event >= start)
    t = event[keep] - start
    d = np.minimum(report[keep] - event[keep], max_delay)
    flat = (group[keep] * days + t) * (max_delay + 1) + d
    counts = np.bincount(flat, minlength=n_groups * days * (max_delay + 1)).astype(np.float64)
    tri = counts.reshape(n_groups, days, max_delay + 1)
    tri[:, ~_known_mask(days, max_delay)] = np.nan
    return tri


def _int_days(values: ArrayLike, name: str) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise NowcastInputError(f"{name} must be a 1-d array")
    if arr.dtype.kind == "f":
        if np.any(~np.isfinite(arr)):
            raise NowcastInputError(f"{name} has missing values ({int((~np.isfinite(arr)).sum())})")
        if np.any(arr != np.round(arr)):
            raise NowcastInputError(f"{name} must hold whole day numbers")
    elif arr.dtype.kind not in "iu" and arr.size:
        raise NowcastInputError(f"{name} must hold integer day numbers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# The delay distribution


def _window_mask(days: int, max_delay: int, window: int | None) -> Array:
    """M[t, x] = 1 for the rows that estimate the hazard at delay x (rows T−1−W … T−1−x)."""
    if window is not None and window < max_delay:
        raise NowcastInputError(
            f"window must be ≥ the maximum delay ({max_delay}): delay {max_delay} is seen only in "
            f"rows at least {max_delay} days old; got window {window}")
    if window is not None and days - 1 < window:
        raise NowcastInputError(
            f"fewer days than the delay window: a window of {window} days needs {window + 1} "
            f"days of data, the triangle has {days}; pass a window of at most {days - 1}")
    now = days - 1
    low = 0 if window is None else now - window
    t = np.arange(days)[:, None]
    x = np.arange(max_delay + 1)[None, :]
    return np.asarray((t >= low) & (t <= now - x), dtype=np.float64)


def hazard_counts(tri: Array, window: int | None, *, pool: bool = False) -> tuple[Array, Array]:
    """n_x and N_x (S or 1, D+1) over the window, from a checked triangle."""
    _, days, width = tri.shape
    mask = _window_mask(days, width - 1, window)
    filled = np.nan_to_num(tri, nan=0.0)
    cumulative = np.cumsum(filled, axis=2)
    n_x = np.einsum("std,td->sd", filled, mask)
    big_n = np.einsum("std,td->sd", cumulative, mask)
    if pool:
        n_x, big_n = n_x.sum(axis=0, keepdims=True), big_n.sum(axis=0, keepdims=True)
    return n_x, big_n


def _cdf_from_survival(one_minus: Array) -> Array:
    """F(d) = Π_{x=d+1}^{D} (1 − g_x) from (…, D) factors for x = 1 … D; F(D) = 1."""
    rev = np.cumprod(one_minus[..., ::-1], axis=-1)[..., ::-1]
    ones = np.ones((*one_minus.shape[:-1], 1))
    return np.asarray(np.concatenate([rev, ones], axis=-1))


def delay_distribution(triangle: ArrayLike, *, window: int | None = 28,
                       pool: bool = False) -> DelayEstimate:
    """The chain-ladder (Lawless reverse-time hazard) estimate of the delay distribution.

    Equals surveillance::nowcast's `delayCDF(nc)$lawless` (reversed) with m = window.
    """
    tri = check_triangle(triangle)
    n_x, big_n = hazard_counts(tri, window, pool=pool)
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(big_n > 0, n_x / big_n, 0.0)
    hazard[:, 0] = 1.0
    return DelayEstimate(n_x=n_x, N_x=big_n, hazard=hazard,
                         cdf=_cdf_from_survival(1.0 - hazard[:, 1:]))


def _posterior_beta(n_x: Array, big_n: Array, kappa: float) -> tuple[Array, Array]:
    """Beta(a_x, b_x) posterior of g_x, x = 1 … D (surveillance bayes.trunc's alpha*, beta*)."""
    x = np.arange(1, n_x.shape[1], dtype=np.float64)
    a = kappa + n_x[:, 1:]
    b = kappa * x + big_n[:, 1:] - n_x[:, 1:]
    return a, b


def posterior_delay_cdf(triangle: ArrayLike, *, window: int | None = 28, kappa: float = 0.1,
                        pool: bool = False) -> Array:
    """Posterior mean of the delay CDF under the generalized-Dirichlet model (S or 1, D+1).

    E[F(d)] = Π_{x>d} b_x / (a_x + b_x): surveillance::nowcast's `delayCDF(nc)$bayes.trunc`
    with gd.prior.kappa = kappa and m = window.
    """
    tri = check_triangle(triangle)
    n_x, big_n = hazard_counts(tri, window, pool=pool)
    a, b = _posterior_beta(n_x, big_n, kappa)
    return _cdf_from_survival(b / (a + b))


def _row_cdf(cdf: Array, days: int) -> Array:
    """F(now − t) for every row t: (S', T)."""
    max_delay = cdf.shape[1] - 1
    lag = np.minimum(days - 1 - np.arange(days), max_delay)
    return np.asarray(cdf[:, lag])


def lawless_interval(triangle: ArrayLike, *, window: int | None = None,
                     alpha: float = 0.05) -> tuple[Array, Array, Array, Array]:
    """surveillance::nowcast(method = "lawless"): point, median, lower and upper limits.

    Reproduces R 1.20.3 as it computes: N̂ = O / F with the variance V = O (1 − F) / F² (in R the
    parameter-uncertainty term of Lawless's variance sits on a line of its own and is
    discarded), a normal distribution whose CDF is Φ(k) / (1 − Φ(O)) above O and 0 below, and
    limits taken as the smallest whole k with CDF > α/2, > 0.5 and > 1 − α/2. Where V = 0 the
    limits are N̂ itself. R's support ends at N.tInf.max (300); here it does not.
    """
    tri = check_triangle(triangle)
    est = delay_distribution(tri, window=window)
    observed = np.nansum(tri, axis=2)
    f = _row_cdf(est.cdf, tri.shape[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        point = observed / f
        sd = np.sqrt(observed * (1.0 - f) / f**2)
        below = special.ndtr((observed - point) / np.where(sd > 0, sd, 1.0))

    def limit(p: float) -> Array:
        with np.errstate(invalid="ignore", divide="ignore"):
            q = point + sd * special.ndtri(p * (1.0 - below))
            k = np.maximum(np.floor(q) + 1.0, observed)
        return np.asarray(np.where(sd > 0, k, point))

    return point, limit(0.5), limit(alpha / 2), limit(1 - alpha / 2)


# ---------------------------------------------------------------------------------------------
# The nowcast


def nowcast(triangle: ArrayLike, options: NowcastOptions | None = None) -> Nowcast:
    """Nowcast every series of a reporting triangle, with prediction intervals.

    Parameters
    ----------
    triangle : array_like, shape (S, T, D+1) or (T, D+1)
        n[s, t, d], NaN after now (day T−1); see the module docstring for the model.
    options : NowcastOptions

    Returns
    -------
    Nowcast
        observed O, the chain-ladder point O / F, and the median and limits of O + U over
        samples of the delay distribution and of the not-yet-reported cases U. Rows at least D
        days old are complete: every column equals O there. An all-zero series nowcasts 0 with
        limits 0 (its prior mean m is 0).
    """
    opt = options or NowcastOptions()
    tri = check_triangle(triangle)
    n_series, days, width = tri.shape
    max_delay = width - 1
    n_x, big_n = hazard_counts(tri, opt.window, pool=opt.pool)
    with np.errstate(invalid="ignore", divide="ignore"):
        hazard = np.where(big_n > 0, n_x / big_n, 0.0)
    hazard[:, 0] = 1.0
    cdf = _cdf_from_survival(1.0 - hazard[:, 1:])
    a, b = _posterior_beta(n_x, big_n, opt.prior_kappa)
    post_cdf = _cdf_from_survival(b / (a + b))

    observed = np.nansum(tri, axis=2)
    f_rows = np.broadcast_to(_row_cdf(cdf, days), (n_series, days))
    with np.errstate(invalid="ignore", divide="ignore"):
        point = np.where(f_rows > 0, observed / f_rows, np.nan)
    level = _recent_level(observed, f_rows, opt.level_days)

    median = observed.copy()
    lower = {lv: observed.copy() for lv in opt.levels}
    upper = {lv: observed.copy() for lv in opt.levels}
    recent = slice(days - max_delay, days)  # rows with now − t < D
    probs = sorted({0.5, *((1 - lv) / 2 for lv in opt.levels),
                    *((1 + lv) / 2 for lv in opt.levels)})
    # Inverse empirical CDF: the smallest sample with at least a share p at or below it.
    kth = [max(int(np.ceil(p * opt.samples - 1e-9)) - 1, 0) for p in probs]
    rng = np.random.default_rng(opt.seed)
    shared = None
    if opt.pool:
        shared = _sample_row_cdf(rng, a, b, opt.samples, max_delay)  # (1, D, samples)
    for start in range(0, n_series, opt.block):
        stop = min(start + opt.block, n_series)
        f_draw = shared if shared is not None else _sample_row_cdf(
            rng, a[start:stop], b[start:stop], opt.samples, max_delay)
        obs = observed[start:stop, recent, None]
        m = level[start:stop, None, None]
        with np.errstate(divide="ignore"):
            prior_rate = np.where(m > 0, opt.prior_shape / m, np.inf)
        shape = opt.prior_shape + obs
        rate = prior_rate + f_draw
        lam = rng.standard_gamma(np.broadcast_to(shape, (stop - start, max_delay, opt.samples)))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_unreported = np.where(np.isfinite(rate) & (rate > 0),
                                       lam * (1.0 - f_draw) / rate, 0.0)
        total = obs + rng.poisson(np.minimum(mean_unreported, 1e15))
        part = np.partition(total, kth, axis=2)
        picked = dict(zip(probs, (part[:, :, k] for k in kth), strict=True))
        median[start:stop, recent] = picked[0.5]
        for lv in opt.levels:
            lower[lv][start:stop, recent] = picked[(1 - lv) / 2]
            upper[lv][start:stop, recent] = picked[(1 + lv) / 2]
    return Nowcast(observed=observed, nowcast=point, median=median, lower=lower, upper=upper,
                   delay_cdf=cdf, posterior_delay_cdf=post_cdf, completeness=np.array(f_rows))


def _recent_level(observed: Array, f_rows: Array, k: int) -> Array:
    """m = Σ O_t / Σ F_t over the last k days: the ratio (chain-ladder) estimate of the
    recent daily level, stable because the older, nearly complete days weigh most."""
    obs = observed[:, -k:].sum(axis=1)
    weight = np.asarray(f_rows[:, -k:]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(weight > 0, obs / weight, 0.0))


def _sample_row_cdf(rng: np.random.Generator, a: Array, b: Array, samples: int,
                    max_delay: int) -> Array:
    """Draws of F(now − t) for the D recent rows (t = now−D+1 … now): (S', D, samples)."""
    keep = rng.beta(b[:, :, None], a[:, :, None], size=(a.shape[0], max_delay, samples))
    cdf = np.cumprod(keep[:, ::-1, :], axis=1)[:, ::-1, :]  # F(d), d = 0 … D−1
    return np.asarray(cdf[:, ::-1, :])  # row now−D+1+i has lag D−1−i


# ---------------------------------------------------------------------------------------------
# Synthetic outbreaks and the backtest


def nowcast_corrected(onset: Array, medians: Array) -> Array:
    """Onset counts whose last days (the nowcast's, aligned on the last day) are raised to the
    nowcast median where there is one: the cases of those days not reported yet would otherwise
    read as a fall, and R_t would dip at the end of every series. Never lowered; days without
    a (finite) median are left alone."""
    out = np.array(onset, dtype=np.float64, copy=True)
    tail = min(out.shape[1], medians.shape[1])
    if tail == 0:
        return out
    recent, median = out[:, -tail:], medians[:, -tail:]
    better = np.isfinite(median) & (median > recent)
    recent[better] = np.round(median[better])
    return out


@dataclass(frozen=True)
class CaseDays:
    """One entry per case: series index, event (onset) day and report day."""

    series: NDArray[np.int64]
    event_day: NDArray[np.int64]
    report_day: NDArray[np.int64]
    n_series: int


def cases_from_outbreak(outbreak: object) -> CaseDays:
    """Onset and report days of the symptomatic cases of a `shouwang.epi.outbreak.Outbreak`.

    Asymptomatic cases have no onset and are left out; the report day is the day of the report
    hour (the outbreak's onset-to-report delay: onset → diagnosis gamma, then hours to report).
    """
    cases = outbreak.cases  # type: ignore[attr-defined]
    onset = np.asarray(cases.onset_day, dtype=np.int64)
    keep = onset >= 0
    report = np.floor(np.asarray(cases.report_hours, dtype=np.float64) / 24.0).astype(np.int64)
    n_series = int(np.asarray(outbreak.infections).shape[0])  # type: ignore[attr-defined]
    return CaseDays(series=np.asarray(cases.region, dtype=np.int64)[keep],
                    event_day=onset[keep], report_day=np.maximum(report[keep], onset[keep]),
                    n_series=n_series)


def triangle_from_outbreak(outbreak: object, *, now: int, days: int,
                           max_delay: int = 14) -> Array:
    """The reporting triangle a surveillance system would hold on day `now` of an outbreak."""
    c = cases_from_outbreak(outbreak)
    return triangle_from_cases(c.event_day, c.report_day, now=now, days=days,
                               max_delay=max_delay, series=c.series, n_series=c.n_series)


@dataclass(frozen=True)
class Backtest:
    """Interval coverage and mean absolute errors over the rows not yet complete at each now."""

    coverage: dict[float, float]         # level → share of (series, day) cells inside
    mae_nowcast: float                   # |point − truth|, cells with a finite point
    mae_median: float
    mae_observed: float                  # the naive "what is reported so far"
    cells: int
    coverage_by_lag: dict[float, Array]  # level → (D,), lag now − t = 0 … D−1
    mae_by_lag: Array                    # (D,) of the point nowcast
    mae_median_by_lag: Array             # (D,)
    mae_observed_by_lag: Array           # (D,)


def backtest(cases: CaseDays, nows: Sequence[int], *, max_delay: int = 14,
             options: NowcastOptions | None = None, min_truth: float = 0.0) -> Backtest:
    """Nowcast at each day in `nows` and compare with the final counts by event day.

    The truth of day t is every case with event day t in `cases` (all reports, however late).
    Rows with now − t < max_delay, and of series whose truth over those rows exceeds
    `min_truth`, are scored. The triangle at each now spans window + 1 days (or 2·D + 1 when
    window is None).
    """
    opt = options or NowcastOptions()
    days = (opt.window if opt.window is not None else 2 * max_delay) + 1
    hits = {lv: np.zeros(max_delay) for lv in opt.levels}
    err_point, err_median, err_obs = np.zeros(max_delay), np.zeros(max_delay), np.zeros(max_delay)
    count, finite = np.zeros(max_delay), np.zeros(max_delay)
    for now in nows:
        tri = triangle_from_cases(cases.event_day, cases.report_day, now=now, days=days,
                                  max_delay=max_delay, series=cases.series,
                                  n_series=cases.n_series)
        result = nowcast(tri, opt)
        t_days = now - max_delay + 1 + np.arange(max_delay)
        truth = _final_counts(cases, t_days)  # (S, D)
        recent = slice(days - max_delay, days)
        scored = truth.sum(axis=1) > min_truth
        obs = result.observed[scored, recent]
        truth = truth[scored]
        for lv in opt.levels:
            inside = ((truth >= result.lower[lv][scored, recent])
                      & (truth <= result.upper[lv][scored, recent]))
            hits[lv] += inside.sum(axis=0)
        point = result.nowcast[scored, recent]
        ok = np.isfinite(point)
        err_point += np.where(ok, np.abs(point - truth), 0.0).sum(axis=0)
        finite += ok.sum(axis=0)
        err_median += np.abs(result.median[scored, recent] - truth).sum(axis=0)
        err_obs += np.abs(obs - truth).sum(axis=0)
        count += truth.shape[0]
    total = float(count.sum())
    if total == 0:
        raise NowcastInputError("backtest scored no cells: no series above min_truth")
    lag_order = slice(None, None, -1)  # columns run t = now−D+1 … now, i.e. lag D−1 … 0
    return Backtest(
        coverage={lv: float(h.sum() / total) for lv, h in hits.items()},
        mae_nowcast=float(err_point.sum() / max(finite.sum(), 1)),
        mae_median=float(err_median.sum() / total), mae_observed=float(err_obs.sum() / total),
        cells=int(total), coverage_by_lag={lv: (h / count)[lag_order] for lv, h in hits.items()},
        mae_by_lag=(err_point / np.maximum(finite, 1))[lag_order],
        mae_median_by_lag=(err_median / count)[lag_order],
        mae_observed_by_lag=(err_obs / count)[lag_order])


def _final_counts(cases: CaseDays, t_days: NDArray[np.int64]) -> Array:
    """Cases by series and event day for the given consecutive days: (S, len(t_days))."""
    first, n = int(t_days[0]), t_days.size
    keep = (cases.event_day >= first) & (cases.event_day < first + n)
    flat = cases.series[keep] * n + (cases.event_day[keep] - first)
    return np.bincount(flat, minlength=cases.n_series * n).reshape(cases.n_series, n).astype(
        np.float64)
