"""Short-term forecasts of incidence by projecting the renewal equation, and their backtest.

Model
-----
For series i, sample path s and the days after the last observed day T::

    R[i, s]     ~ Gamma(a_i, b_i)            the R_t posterior of the last window (Cori et al.
                                             2013, shouwang.epi.rt), drawn once per path and
                                             held for the whole horizon; or a given R
    Λ[i, s, t]  = Σ_{k≥1} w_k I[i, s, t − k]  observed days, then the path's own simulated days
    I[i, s, t]  ~ Poisson(R[i, s] Λ[i, s, t])
                  or NegBin(mean R Λ, size k)  (variance μ + μ²/k)

as the R package `projections` does (Jombart et al.), vectorised over series × samples: one
array draw per projected day. Observed imported cases count as infectious; no further
importations are projected. The forecast gives, per series and day, the mean, the median and
central prediction intervals (quantiles of the sample paths, R's default type 7).

The backtest replays forecasts from several origins of a known series and reports how often the
observed counts fell in each interval (coverage) and the mean absolute error of the median.

References
----------
Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). Am J Epidemiol 178(9):1505-1512.
doi:10.1093/aje/kwt133
Nouvellet P, Cori A, Garske T, et al. (2018). A simple approach to measure transmissibility and
forecast incidence. Epidemics 22:29-35. doi:10.1016/j.epidem.2017.02.012
Funk S, Camacho A, Kucharski AJ, et al. (2019). Assessing the performance of real-time
epidemic forecasts: a case study of Ebola in the Western Area region of Sierra Leone, 2014-15.
PLoS Comput Biol 15(2):e1006785. doi:10.1371/journal.pcbi.1006785 (coverage as calibration)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shouwang.epi.rt import PosteriorCVWarning, RtInputError, check_counts, estimate_r
from shouwang.epi.serial_interval import SI_SUM_TOLERANCE, check_si_distr, discr_si

DEFAULT_LEVELS: tuple[float, ...] = (0.5, 0.9, 0.95)
Model = Literal["poisson", "negbin"]
# Sample-path values simulated at once (8 bytes each): about 32 MB.
_BLOCK_VALUES = 4_000_000


class ForecastInputError(RtInputError):
    """Options or counts a forecast or backtest cannot use; the message says which."""


@dataclass(frozen=True)
class Forecast:
    """Projected daily incidence for days T+1 … T+horizon of every series.

    ``lower[i, l, h]`` and ``upper[i, l, h]`` bound the central interval of level ``levels[l]``.
    ``r_mean`` is the mean R used per series. ``samples`` is kept only when asked for.
    """

    horizon: int
    levels: tuple[float, ...]
    mean: NDArray[np.float64]      # (series, horizon)
    median: NDArray[np.float64]    # (series, horizon)
    lower: NDArray[np.float64]     # (series, levels, horizon)
    upper: NDArray[np.float64]     # (series, levels, horizon)
    r_mean: NDArray[np.float64]    # (series,)
    samples: NDArray[np.int64] | None = None  # (series, samples, horizon)


@dataclass(frozen=True)
class Backtest:
    """Calibration and error of forecasts replayed from past origins.

    ``coverage[l]`` is the share of (series, origin, day) points whose observed count lies in the
    central interval of level ``levels[l]``; ``coverage_by_day[l, h]`` the same for the (h+1)-th
    day ahead; ``mae`` the mean absolute error of the median, ``bias`` its mean signed error
    (positive: forecasts too high). ``forecasts`` counts the (series,
    origin) pairs scored, ``points`` the days.
    """

    horizon: int
    origins: tuple[int, ...]
    levels: tuple[float, ...]
    coverage: NDArray[np.float64]         # (levels,)
    coverage_by_day: NDArray[np.float64]  # (levels, horizon)
    mae: float
    mae_by_day: NDArray[np.float64]       # (horizon,)
    bias: float                           # mean of median − observed (> 0: too high)
    forecasts: int
    points: int


def forecast(
    incidence: ArrayLike,
    *,
    horizon: int = 14,
    mean_si: float | None = None,
    std_si: float | None = None,
    si_distr: ArrayLike | None = None,
    imported: ArrayLike | None = None,
    r: ArrayLike | None = None,
    window: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    samples: int = 1000,
    seed: int | np.random.Generator = 0,
    model: Model = "poisson",
    dispersion: float | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    keep_samples: bool = False,
    si_sum_tolerance: float = SI_SUM_TOLERANCE,
) -> Forecast:
    """Project every series ``horizon`` days ahead by the renewal equation.

    Parameters
    ----------
    incidence : array_like, shape (series, T) or (T,)
        Daily cases, ≥ 0, no missing values (the local cases when ``imported`` is given).
    horizon : int
        Days to project (≥ 1).
    mean_si, std_si, si_distr :
        The serial interval, as for shouwang.epi.rt.estimate_r (EpiEstim's discr_si for a
        mean and sd, or a distribution over days 0, 1, … starting with 0).
    imported : array_like, optional
        Imported cases per day: infectious, and out of the R_t numerator.
    r : float or array_like (series,), optional
        A fixed R per series. Default: drawn per path from the Gamma posterior of the last
        ``window``-day window (EpiEstim's estimate with prior ``mean_prior``, ``std_prior``).
    samples : int
        Sample paths per series (≥ 1).
    seed : int or numpy Generator
        The same seed gives the same forecast.
    model : "poisson" or "negbin"
        Daily draw. ``negbin`` needs ``dispersion`` (size k > 0; variance μ + μ²/k).
    levels : sequence of float
        Central prediction intervals to report, each in (0, 1).
    keep_samples : bool
        Return the sample paths as well (series × samples × horizon integers).
    """
    local = check_counts(incidence, "incidence")
    imp = None if imported is None else check_counts(imported, "imported")
    if imp is not None and imp.shape != local.shape:
        raise ForecastInputError(
            f"imported must have the shape of incidence {local.shape}, got {imp.shape}")
    total = local if imp is None else local + imp
    n_series, days = total.shape
    if int(horizon) != horizon or horizon < 1:
        raise ForecastInputError(f"horizon must be a whole number of days ≥ 1, got {horizon}")
    if int(samples) != samples or samples < 1:
        raise ForecastInputError(f"samples must be a whole number ≥ 1, got {samples}")
    levels_t = _check_levels(levels)
    if model not in ("poisson", "negbin"):
        raise ForecastInputError(f"model must be 'poisson' or 'negbin', got {model!r}")
    if model == "negbin" and (dispersion is None or not dispersion > 0):
        raise ForecastInputError(f"model 'negbin' needs dispersion > 0, got {dispersion}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    w = _serial_interval(days + horizon, mean_si, std_si, si_distr, si_sum_tolerance)
    if r is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PosteriorCVWarning)
            est = estimate_r(local, imported=imp, mean_si=mean_si, std_si=std_si,
                             si_distr=si_distr, t_start=[max(days - window + 1, 2)],
                             t_end=[days], mean_prior=mean_prior, std_prior=std_prior,
                             si_sum_tolerance=si_sum_tolerance)
        shape, scale = est.shape[:, 0], est.scale[:, 0]
        if np.any(np.isnan(shape)):
            raise ForecastInputError(
                f"the last window (days {est.t_start[0]}–{days}) ends before the mean serial "
                f"interval ({est.si_mean:.2f} days): no R estimate to project; give more days "
                "or a fixed r")
        r_paths = rng.gamma(shape[:, None], scale[:, None], (n_series, samples))
        r_mean = shape * scale
    else:
        r_arr = np.asarray(r, dtype=np.float64)
        if r_arr.ndim > 1 or (r_arr.ndim == 1 and r_arr.size != n_series):
            raise ForecastInputError(
                f"r must be one number or one per series ({n_series}), got shape {r_arr.shape}")
        if not np.all(np.isfinite(r_arr)) or np.any(r_arr < 0):
            raise ForecastInputError("r must be finite and ≥ 0")
        r_mean = np.broadcast_to(r_arr, (n_series,)).astype(np.float64)
        r_paths = np.broadcast_to(r_mean[:, None], (n_series, samples))

    probs = [0.5] + [q for lv in levels_t for q in ((1 - lv) / 2, (1 + lv) / 2)]
    mean = np.empty((n_series, horizon))
    quant = np.empty((len(probs), n_series, horizon))
    kept: list[NDArray[np.int64]] = []
    # Blocks of series bound the memory (samples × horizon integers per series) at any size.
    block = max(1, _BLOCK_VALUES // (samples * horizon))
    for lo in range(0, n_series, block):
        hi = min(lo + block, n_series)
        paths = _simulate(total[lo:hi], w, r_paths[lo:hi], horizon, rng, model, dispersion)
        mean[lo:hi] = paths.mean(axis=2).T
        quant[:, lo:hi] = np.moveaxis(np.quantile(paths, probs, axis=2), 1, 2)
        if keep_samples:
            kept.append(np.moveaxis(paths, 0, 2).astype(np.int64))
    return Forecast(
        horizon=int(horizon), levels=levels_t, mean=mean, median=quant[0],
        lower=np.moveaxis(quant[1::2], 0, 1), upper=np.moveaxis(quant[2::2], 0, 1),
        r_mean=np.asarray(r_mean, dtype=np.float64),
        samples=np.concatenate(kept) if keep_samples else None,
    )


def backtest(
    counts: ArrayLike,
    *,
    horizon: int,
    origins: Sequence[int],
    mean_si: float | None = None,
    std_si: float | None = None,
    si_distr: ArrayLike | None = None,
    imported: ArrayLike | None = None,
    window: int = 7,
    mean_prior: float = 5.0,
    std_prior: float = 5.0,
    samples: int = 500,
    seed: int = 0,
    model: Model = "poisson",
    dispersion: float | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    min_recent_cases: int = 1,
    si_sum_tolerance: float = SI_SUM_TOLERANCE,
    known: Callable[[int], NDArray[np.float64]] | None = None,
) -> Backtest:
    """Forecast from each origin with the days before it, and score against what followed.

    An origin o means "the first o days are known": the forecast covers days o+1 … o+horizon
    (EpiEstim day numbers) and is compared with ``counts`` there. Each origin needs
    window + 1 ≤ o and o + horizon ≤ T. Series with fewer than ``min_recent_cases`` cases in the
    last ``window`` days before an origin are left out for that origin (a silent series is
    trivially forecast as zero and would inflate the coverage); the choice uses only the days
    before the origin. With ``imported``, ``counts`` are the local cases: the forecasts (of local
    cases) see the imported ones before each origin and are scored against the local counts.

    ``known(o)``, when given, returns what the forecast from origin o sees instead of the first o
    days of ``counts`` (a (series, o) array): e.g. the counts as reported by then, or those
    raised by a nowcast (shouwang.epi.replay). ``counts`` stay the truth it is scored against.
    """
    observed = check_counts(counts, "counts")
    imp = None if imported is None else check_counts(imported, "imported")
    if imp is not None and imp.shape != observed.shape:
        raise ForecastInputError(
            f"imported must have the shape of counts {observed.shape}, got {imp.shape}")
    days = observed.shape[1]
    levels_t = _check_levels(levels)
    if int(horizon) != horizon or horizon < 1:
        raise ForecastInputError(f"horizon must be a whole number of days ≥ 1, got {horizon}")
    if len(origins) == 0:
        raise ForecastInputError("give at least one origin")
    for o in origins:
        if int(o) != o or o < window + 1 or o + horizon > days:
            raise ForecastInputError(
                f"origin {o} must leave {window + 1} known days before it and {horizon} after "
                f"it within the {days} days of counts")
    root = np.random.SeedSequence(seed)
    hits = np.zeros((len(levels_t), horizon))
    abs_err = np.zeros(horizon)
    signed_err = 0.0
    pairs = 0
    for o, child in zip(origins, root.spawn(len(origins)), strict=True):
        history = observed[:, :o] if known is None else check_counts(known(o), "known")
        if history.shape != (observed.shape[0], o):
            raise ForecastInputError(
                f"known({o}) must have shape {(observed.shape[0], o)}, got {history.shape}")
        recent = history[:, o - window:o].sum(axis=1)
        if imp is not None:
            recent = recent + imp[:, o - window:o].sum(axis=1)
        keep = recent >= min_recent_cases
        if not np.any(keep):
            continue
        fc = forecast(history[keep], horizon=horizon, mean_si=mean_si, std_si=std_si,
                      si_distr=si_distr, imported=None if imp is None else imp[keep, :o],
                      window=window, mean_prior=mean_prior, std_prior=std_prior,
                      samples=samples, seed=np.random.default_rng(child), model=model,
                      dispersion=dispersion, levels=levels_t, si_sum_tolerance=si_sum_tolerance)
        truth = observed[keep, o:o + horizon]
        inside = (fc.lower <= truth[:, None, :]) & (truth[:, None, :] <= fc.upper)
        hits += inside.sum(axis=0)
        abs_err += np.abs(fc.median - truth).sum(axis=0)
        signed_err += float((fc.median - truth).sum())
        pairs += int(keep.sum())
    if pairs == 0:
        raise ForecastInputError(
            f"no series has {min_recent_cases} case(s) in the {window} days before any origin")
    return Backtest(
        horizon=int(horizon), origins=tuple(int(o) for o in origins), levels=levels_t,
        coverage=hits.sum(axis=1) / (pairs * horizon), coverage_by_day=hits / pairs,
        mae=float(abs_err.sum() / (pairs * horizon)), mae_by_day=abs_err / pairs,
        bias=signed_err / (pairs * horizon),
        forecasts=pairs, points=pairs * horizon,
    )


def _serial_interval(length: int, mean_si: float | None, std_si: float | None,
                     si_distr: ArrayLike | None, tolerance: float) -> NDArray[np.float64]:
    """w_0 … w_{length−1}: EpiEstim's discr_si or the checked given distribution, zero-padded."""
    if si_distr is not None:
        if mean_si is not None or std_si is not None:
            raise ForecastInputError("give either si_distr or mean_si and std_si, not both")
        w = check_si_distr(si_distr, sum_tolerance=tolerance)
    elif mean_si is None or std_si is None:
        raise ForecastInputError("give mean_si and std_si, or si_distr")
    else:
        w = discr_si(np.arange(length), float(mean_si), float(std_si))
    out = np.zeros(max(length, w.size))
    out[: w.size] = w
    return out


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    out = tuple(float(lv) for lv in levels)
    if not out or any(not 0 < lv < 1 for lv in out):
        raise ForecastInputError(f"interval levels must be in (0, 1), got {list(levels)}")
    return out


def _simulate(history: NDArray[np.float64], w: NDArray[np.float64], r_paths: NDArray[np.float64],
              horizon: int, rng: np.random.Generator, model: Model,
              dispersion: float | None) -> NDArray[np.float64]:
    """Sample paths (horizon, series, samples) of the renewal equation after the history.

    Day-major so that each day's draws and each lag's update touch contiguous memory.
    """
    n_series, days = history.shape
    samples = r_paths.shape[1]
    # Infectiousness on each future day from the observed days alone: history @ W with
    # W[s, j] = w[days + j − s] (s the 0-based observed day, j the future day).
    lag = days + np.arange(horizon)[None, :] - np.arange(days)[:, None]
    from_history = history @ w[lag]  # (series, horizon)
    paths = np.zeros((horizon, n_series, samples), dtype=np.float64)
    lam = np.empty((n_series, samples), dtype=np.float64)
    for j in range(horizon):
        lam[:] = from_history[:, j:j + 1]
        for m in range(j):
            if w[j - m] != 0.0:
                lam += w[j - m] * paths[m]
        mu = r_paths * lam
        if model == "negbin":
            assert dispersion is not None
            mu = rng.gamma(dispersion, mu / dispersion)
        paths[j] = rng.poisson(mu)
    return paths
