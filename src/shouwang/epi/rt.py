"""The time-varying reproduction number R_t by Cori et al. (2013), exactly as EpiEstim's estimate_R.

Methods "parametric_si" (a gamma serial interval given by mean and sd, discretised as EpiEstim's
``discr_si``) and "non_parametric_si" (a distribution given day by day), for every series at once.

Model
-----
For series i and day t (days numbered 1 … T as in EpiEstim), with I = local + imported cases
and w_k the probability of a k-day serial interval (w_0 = 0), the total infectiousness is::

    Λ[i, t] = Σ_{k=1}^{t−1} w_k I[i, t−k]

and over a window [t_start, t_end] the posterior of R under a Gamma(shape a₀, scale b₀) prior
(a₀ = (mean_prior / std_prior)², b₀ = std_prior² / mean_prior) is Gamma(a, b) with::

    a = a₀ + Σ_{t=t_start}^{t_end} local[i, t]
    b = 1 / (1/b₀ + Σ_{t=t_start}^{t_end} Λ[i, t])

Imported cases infect (they are in Λ) but were not infected locally (they are not in a). With no
imported column every case is local, except that EpiEstim counts day 1 as imported; this changes
nothing since no window starts before day 2. Windows whose t_end is not above the mean of the
serial-interval distribution give no estimate (NaN, R's NA), as in EpiEstim. A series without
any case gets the prior back (mean 5, sd 5 with the defaults), as in EpiEstim.

EpiEstim warns "You're estimating R too early in the epidemic to get the desired posterior CV"
when the first window holds fewer than ⌈1/cv_posterior² − a₀⌉ cases; here the same test is
returned per series (``cv_warning``) and a single PosteriorCVWarning counts the series.

Differences from EpiEstim (decision 0900): missing counts are an error (EpiEstim silently reads NA
as 0), and a serial-interval mean ≤ 1 or sd ≤ 0 is refused before any work.

References
----------
Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). A new framework and software to estimate
time-varying reproduction numbers during epidemics. Am J Epidemiol 178(9):1505-1512.
doi:10.1093/aje/kwt133
Thompson RN, Stockwin JE, van Gaalen RD, et al. (2019). Improved inference of time-varying
reproduction numbers during infectious disease outbreaks. Epidemics 29:100356.
doi:10.1016/j.epidem.2019.100356 (local and imported cases)
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from shouwang.epi.serial_interval import (
    SI_SUM_TOLERANCE,
    check_si_distr,
    discr_si,
    si_moments,
)

QUANTILE_LEVELS: tuple[float, ...] = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)
# The columns of estimate_R()$R, in R's order.
R_COLUMNS: tuple[str, ...] = (
    "t_start", "t_end", "Mean(R)", "Std(R)", "Quantile.0.025(R)", "Quantile.0.05(R)",
    "Quantile.0.25(R)", "Median(R)", "Quantile.0.75(R)", "Quantile.0.95(R)", "Quantile.0.975(R)",
)
# Above this many days Λ is computed lag by lag instead of through a days × days matrix.
_MATRIX_MAX_DAYS = 2048


class RtInputError(ValueError):
    """Counts, windows or options that estimate_r cannot use; the message says which."""


class PosteriorCVWarning(UserWarning):
    """Some series have too few cases in their first window for the wanted posterior CV."""


@dataclass(frozen=True)
class RtEstimate:
    """R_t posteriors for every series and window.

    Arrays shaped (series, windows) hold NaN where EpiEstim gives NA (t_end ≤ mean SI).
    ``t_start`` and ``t_end`` are EpiEstim's day numbers (1 = the first day of the counts).
    ``quantiles[i, j, q]`` is the posterior quantile at QUANTILE_LEVELS[q].
    """

    method: str                      # "parametric_si" or "non_parametric_si"
    t_start: NDArray[np.int64]       # (windows,)
    t_end: NDArray[np.int64]         # (windows,)
    shape: NDArray[np.float64]       # posterior gamma shape a
    scale: NDArray[np.float64]       # posterior gamma scale b
    mean: NDArray[np.float64]
    std: NDArray[np.float64]
    quantiles: NDArray[np.float64]   # (series, windows, len(QUANTILE_LEVELS))
    si_distr: NDArray[np.float64]    # the distribution used, days 0 … (≥ T)
    si_mean: float                   # SI.Moments$Mean
    si_std: float                    # SI.Moments$Std
    cv_warning: NDArray[np.bool_]    # (series,)

    @property
    def median(self) -> NDArray[np.float64]:
        return np.asarray(self.quantiles[:, :, QUANTILE_LEVELS.index(0.5)])

    def quantile(self, level: float) -> NDArray[np.float64]:
        """The posterior quantile at one of QUANTILE_LEVELS, shaped (series, windows)."""
        if level not in QUANTILE_LEVELS:
            raise ValueError(f"level must be one of {QUANTILE_LEVELS}, got {level}")
        return np.asarray(self.quantiles[:, :, QUANTILE_LEVELS.index(level)])

    def table(self, series: int) -> NDArray[np.float64]:
        """One series as estimate_R()$R: windows × R_COLUMNS (t_start, t_end as floats)."""
        return np.column_stack([self.t_start, self.t_end, self.mean[series], self.std[series],
                                self.quantiles[series]])


def estimate_r(
    incidence: ArrayLike,
    *,
    imported: ArrayLike | None = None,
    mean_si: float | None = None,
    std_si: float | None = None,
    si_distr: ArrayLike | None = None,
    t_start: ArrayLike | None = None,
    t_end: ArrayLike | None = None,
    window: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    cv_posterior: float = 0.3,
    si_sum_tolerance: float = SI_SUM_TOLERANCE,
) -> RtEstimate:
    """EpiEstim's estimate_R for every series at once.

    Parameters
    ----------
    incidence : array_like, shape (series, T) or (T,)
        Daily cases, ≥ 0, no missing values. When ``imported`` is given, the local cases only.
    imported : array_like, same shape, optional
        Daily imported cases (infectious, but not counted as infected by the series' own cases).
    mean_si, std_si : float
        Method "parametric_si": mean (> 1) and sd (> 0) of the serial interval in days.
    si_distr : array_like
        Method "non_parametric_si": P(serial interval = k days) for k = 0, 1, …; first element
        0, all ≥ 0, summing to 1 within ``si_sum_tolerance`` (EpiEstim's 0.01); used as given.
    t_start, t_end : array_like of int, optional
        Window bounds as EpiEstim's day numbers (2 ≤ t_start ≤ t_end ≤ T). Default: sliding
        windows of ``window`` days, t_start = 2 … T − window + 1 (EpiEstim's weekly windows for
        the default 7).
    mean_prior, std_prior : float
        The Gamma prior on R (both > 0; EpiEstim's defaults 5 and 5).
    cv_posterior : float
        The wanted coefficient of variation of the posterior (> 0; EpiEstim's 0.3), only used
        for the too-early flag ``cv_warning``.

    Returns
    -------
    RtEstimate
        Arrays shaped (series, windows); a 1-d ``incidence`` gives one series.

    Raises
    ------
    RtInputError
        Negative, missing or non-finite counts, too few days for one window, bad windows or
        options. SerialIntervalError (also a ValueError) for a bad serial interval.
    """
    local = check_counts(incidence, "incidence")
    if imported is None:
        imp = np.zeros_like(local)
    else:
        imp = check_counts(imported, "imported")
        if imp.shape != local.shape:
            raise RtInputError(
                f"imported must have the shape of incidence {local.shape}, got {imp.shape}")
    n_series, days = local.shape
    _check_options(mean_prior, std_prior, cv_posterior)
    starts, ends = _windows(days, t_start, t_end, window)

    if si_distr is not None:
        if mean_si is not None or std_si is not None:
            raise RtInputError("give either si_distr (non_parametric_si) or mean_si and std_si "
                               "(parametric_si), not both")
        method = "non_parametric_si"
        w = check_si_distr(si_distr, sum_tolerance=si_sum_tolerance)
    else:
        if mean_si is None or std_si is None:
            raise RtInputError("give mean_si and std_si (parametric_si) or si_distr "
                               "(non_parametric_si)")
        method = "parametric_si"
        w = discr_si(np.arange(days), float(mean_si), float(std_si))
    if w.size < days + 1:
        w = np.concatenate([w, np.zeros(days + 1 - w.size)])
    si_mean, si_std = si_moments(w)

    total = local + imp
    lam = total_infectiousness(total, w)
    a_prior = (mean_prior / std_prior) ** 2
    b_prior = std_prior**2 / mean_prior

    local_sum = _window_sums(local, starts, ends)
    lam_sum = _window_sums(lam, starts, ends)
    estimable = ends > si_mean  # (windows,)
    shape = np.where(estimable, a_prior + local_sum, np.nan)
    scale = np.where(estimable, 1.0 / (1.0 / b_prior + lam_sum), np.nan)

    min_cases = math.ceil(1.0 / cv_posterior**2 - a_prior)
    first = total[:, starts[0] - 1:ends[0]].sum(axis=1)
    cv_warning = np.asarray(first < min_cases)
    if np.any(cv_warning):
        warnings.warn(
            f"{int(cv_warning.sum())} of {n_series} series: estimating R too early in the "
            f"epidemic to get the desired posterior CV ({cv_posterior}); fewer than {min_cases} "
            f"cases in the first window", PosteriorCVWarning, stacklevel=2)

    return RtEstimate(
        method=method, t_start=starts, t_end=ends, shape=shape, scale=scale,
        mean=shape * scale, std=np.sqrt(shape) * scale,
        quantiles=gamma_quantiles(shape, scale, QUANTILE_LEVELS),
        si_distr=w, si_mean=si_mean, si_std=si_std, cv_warning=cv_warning,
    )


def total_infectiousness(incidence: NDArray[np.float64],
                         si_distr: NDArray[np.float64]) -> NDArray[np.float64]:
    """Λ[i, t] = Σ_{k=1}^{t} w_k I[i, t−k] (0-based t here; Λ[:, 0] = 0), shaped like incidence.

    EpiEstim's overall_infectivity without its loop (and with Λ_1 = 0 rather than NA; no window
    reads it). w_0 is ignored: it is 0 for every distribution EpiEstim accepts.
    """
    _, days = incidence.shape
    w = np.zeros(days, dtype=np.float64)
    n = min(days, si_distr.size)
    w[:n] = si_distr[:n]
    w[0] = 0.0
    nonzero = np.flatnonzero(w)
    if nonzero.size == 0:
        return np.zeros_like(incidence)
    span = int(nonzero[-1])
    if days <= _MATRIX_MAX_DAYS and span > 8:
        # Toeplitz matrix M[s, t] = w[t − s] (t > s): Λ = I @ M in one BLAS call.
        lag = np.arange(days)[None, :] - np.arange(days)[:, None]
        matrix = np.where(lag > 0, w[np.clip(lag, 0, days - 1)], 0.0)
        return np.asarray(incidence @ matrix)
    lam = np.zeros_like(incidence)
    for k in range(1, span + 1):
        if w[k] != 0.0:
            lam[:, k:] += w[k] * incidence[:, : days - k]
    return lam


def gamma_quantiles(shape: NDArray[np.float64], scale: NDArray[np.float64],
                    levels: tuple[float, ...]) -> NDArray[np.float64]:
    """Quantiles of Gamma(shape, scale) at each level, shaped shape.shape + (len(levels),).

    The inverse incomplete gamma is costly (≈ 0.6 µs a call), but shapes repeat: with integer
    counts a − a₀ is an integer, so it is evaluated once per distinct shape (a table indexed by
    a − min a, or np.unique for other counts) and scaled by b.
    NaN where the shape or scale is NaN.
    """
    ok = np.isfinite(shape) & np.isfinite(scale)
    if not np.any(ok):
        return np.full((*shape.shape, len(levels)), np.nan)
    # NaN cells take any valid shape and come out NaN through their NaN scale: no masking.
    a = np.where(ok, shape, shape[ok].min()).reshape(-1)
    b = np.where(ok, scale, np.nan).reshape(-1)
    probs = np.asarray(levels, dtype=np.float64)[None, :]
    offset = float(a.min())
    steps = a - offset
    index = np.rint(steps).astype(np.int64)
    if np.array_equal(index, steps) and int(index.max()) <= 4 * a.size:
        # Shapes on an integer grid (integer counts): a table indexed directly, no sort. It holds
        # the very shape values (scattered), so the result is identical to the general path.
        grid = np.ones(int(index.max()) + 1)
        grid[index] = a
    else:
        grid, inverse = np.unique(a, return_inverse=True)
        index = inverse.reshape(-1)
    table = special.gammaincinv(grid[:, None], probs)
    return np.asarray((table[index] * b[:, None]).reshape(*shape.shape, len(levels)))


def check_counts(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Counts as a float (series, days) array: finite, ≥ 0, no missing value (else RtInputError)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise RtInputError(f"{name} must be numbers: {error}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise RtInputError(f"{name} must be shaped (series, days), got {arr.ndim} dimensions")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise RtInputError(f"{name} is empty (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if np.any(bad):
        i, t = (int(x[0]) for x in np.nonzero(bad))
        raise RtInputError(
            f"{name}: missing or non-finite count in series {i}, day {t + 1} "
            "(EpiEstim would read a missing count as 0; fill it explicitly)")
    if np.any(arr < 0):
        i, t = (int(x[0]) for x in np.nonzero(arr < 0))
        raise RtInputError(f"{name}: negative count {arr[i, t]} in series {i}, day {t + 1}")
    return arr


def _check_options(mean_prior: float, std_prior: float, cv_posterior: float) -> None:
    if not (math.isfinite(mean_prior) and mean_prior > 0):
        raise RtInputError(f"mean_prior must be > 0, got {mean_prior}")
    if not (math.isfinite(std_prior) and std_prior > 0):
        raise RtInputError(f"std_prior must be > 0, got {std_prior}")
    if not (math.isfinite(cv_posterior) and cv_posterior > 0):
        raise RtInputError(f"cv_posterior must be > 0, got {cv_posterior}")


def _windows(days: int, t_start: ArrayLike | None, t_end: ArrayLike | None,
             window: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """EpiEstim's windows: default sliding ones, or checked as its check_times does."""
    if t_start is None and t_end is None:
        if int(window) != window or window < 1:
            raise RtInputError(f"window must be a whole number of days ≥ 1, got {window}")
        if days < window + 1:
            raise RtInputError(
                f"{days} day(s) of counts is fewer than one {window}-day window after the "
                f"first day (need at least {window + 1})")
        starts = np.arange(2, days - window + 2, dtype=np.int64)
        return starts, starts + window - 1
    if t_start is None or t_end is None:
        raise RtInputError("give both t_start and t_end, or neither")
    s = np.atleast_1d(np.asarray(t_start, dtype=np.float64))
    e = np.atleast_1d(np.asarray(t_end, dtype=np.float64))
    if s.ndim != 1 or e.ndim != 1 or s.size != e.size or s.size == 0:
        raise RtInputError("t_start and t_end must be non-empty lists of the same length")
    for name, v in (("t_start", s), ("t_end", e)):
        if np.any(~np.isfinite(v)) or np.any(v % 1 != 0) or np.any(v < 2) or np.any(v > days):
            raise RtInputError(
                f"{name} must hold whole day numbers between 2 and the number of days ({days})")
    if np.any(s > e):
        raise RtInputError("t_start[i] must be ≤ t_end[i] for every window")
    return s.astype(np.int64), e.astype(np.int64)


def _window_sums(values: NDArray[np.float64], starts: NDArray[np.int64],
                 ends: NDArray[np.int64]) -> NDArray[np.float64]:
    """Σ values[:, t−1] for t = start … end (EpiEstim day numbers), by cumulative sums."""
    cumulative = np.zeros((values.shape[0], values.shape[1] + 1), dtype=np.float64)
    np.cumsum(values, axis=1, out=cumulative[:, 1:])
    return np.asarray(cumulative[:, ends] - cumulative[:, starts - 1])
