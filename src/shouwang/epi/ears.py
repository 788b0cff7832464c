"""EARS C1, C2 and C3 aberration detection, exactly as R's ``surveillance::earsC`` (1.20.3).

For a series x and a time step t (1-based, as in R), with baseline n (default 7) and lag
ℓ = 0 for C1 and ℓ = 2 for C2 and C3, the reference values are the n counts
x[t−ℓ−n] … x[t−ℓ−1]; their mean is ``expected`` and their standard deviation (denominator
n − 1) is s, floored at ``min_sigma``: σ = max(s, minSigma). With z = Φ⁻¹(1 − α):

* C1, C2: upperbound = mean + z σ.
* C3: with the C2 statistic C2[u] = (x[u] − mean[u]) / σ[u],
  upperbound = max(0, x[t] + σ[t] (z − max(0, C2[t−2] − 1) − max(0, C2[t−1] − 1))),
  i.e. the largest count that keeps C3 = Σ_{u=t−2}^{t} max(0, C2[u] − 1) at most z
  (the C2 part of day t itself included).

alarm = observed > upperbound.

R's defaults, reproduced: baseline 7, minSigma 0, and α = 0.001 for C1 and C2 but 0.025 for C3
(earsC sets 0.025 when the control list names a method without an alpha). The range evaluated by
default starts at baseline + 1 (C1), baseline + 3 (C2) or baseline + 5 (C3) and runs to the end.

Undefined values follow R: when σ = 0 (a baseline of equal counts and minSigma = 0) the C2
statistic is ±Inf or NaN, so C3's upperbound is NaN; R's alarm is then NA. Here upperbound is
NaN, ``alarm`` is False and ``alarm_defined`` is False (the command line writes NA). C1 and C2
upper bounds are always defined (σ = 0 gives upperbound = mean).

References
----------
Hutwagner L, Thompson W, Seeman GM, Treadwell T (2003). The bioterrorism preparedness and
response Early Aberration Reporting System (EARS). J Urban Health 80(2 Suppl 1):i89-96.
doi:10.1007/PL00022319
Fricker RD, Hegler BL, Dunfee DA (2008). Comparing syndromic surveillance detection methods:
EARS' versus a CUSUM-based methodology. Stat Med 27(17):3407-3429. doi:10.1002/sim.3197
Salmon M, Schumacher D, Höhle M (2016). Monitoring count time series in R: aberration detection
in public health surveillance. J Stat Softw 70(10). doi:10.18637/jss.v070.i10
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray
from scipy import stats

EarsMethod = Literal["C1", "C2", "C3"]
METHODS: tuple[EarsMethod, ...] = ("C1", "C2", "C3")
_LAG = {"C1": 0, "C2": 2, "C3": 2}
# How many time steps the first evaluated step needs before it (R's maxLag).
_NEEDS = {"C1": 0, "C2": 2, "C3": 4}


class CountsError(ValueError):
    """Counts or options an aberration method cannot use; the message says which and why."""


def count_matrix(counts: ArrayLike, *, name: str = "counts") -> NDArray[np.float64]:
    """Counts as a float (series, time) matrix; a 1-D input is one series.

    Raises CountsError for missing (NaN), infinite or negative counts, naming the first series
    and (1-based) time step at fault.
    """
    x = np.array(counts, dtype=np.float64, copy=True)
    if x.ndim == 1:
        x = x[np.newaxis, :]
    if x.ndim != 2:
        raise CountsError(f"{name} must be 1-D (one series) or 2-D (series, time), "
                          f"got {x.ndim} dimensions")
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise CountsError(f"{name} is empty (shape {x.shape})")
    bad = ~np.isfinite(x)
    if bad.any():
        s, t = np.argwhere(bad)[0]
        kind = "missing" if np.isnan(x[s, t]) else "infinite"
        raise CountsError(f"{name}: {kind} count in series {s} at time step {t + 1}; "
                          "fill it (e.g. with 0) or drop the series")
    negative = x < 0
    if negative.any():
        s, t = np.argwhere(negative)[0]
        raise CountsError(f"{name}: negative count {x[s, t]:g} in series {s} at time step {t + 1}")
    return x


def resolve_range(n_times: int, default_start: int, range_start: int | None,
                  range_end: int | None, *, first_allowed: int) -> tuple[int, int]:
    """The 1-based inclusive range [start, end] of time steps to evaluate, checked."""
    if n_times < first_allowed:
        raise CountsError(
            f"too few time steps: the series has {n_times}, the method needs "
            f"{first_allowed - 1} time step(s) before the first one it evaluates")
    start = default_start if range_start is None else int(range_start)
    end = n_times if range_end is None else int(range_end)
    if end > n_times:
        raise CountsError(f"range end {end} is past the last time step ({n_times})")
    if start > end:
        raise CountsError(f"range start {start} is after range end {end}")
    if start < first_allowed:
        raise CountsError(
            f"range start {start} is too early: the method needs {first_allowed - 1} time "
            f"step(s) before the first one it evaluates (series has {n_times})")
    return start, end


@dataclass(frozen=True)
class EarsResult:
    """Per evaluated time step: arrays shaped (series, len(t))."""

    method: EarsMethod
    alpha: float
    t: NDArray[np.int64]               # 1-based time steps evaluated (R's control$range)
    observed: NDArray[np.float64]
    expected: NDArray[np.float64]      # mean of the baseline the step is compared with
    sigma: NDArray[np.float64]         # max(sd of that baseline, minSigma)
    upperbound: NDArray[np.float64]    # NaN where R's is NA/NaN
    alarm: NDArray[np.bool_]           # observed > upperbound; False where undefined

    @property
    def alarm_defined(self) -> NDArray[np.bool_]:
        """False where R's alarm is NA (upperbound NaN)."""
        return np.asarray(~np.isnan(self.upperbound))


def ears_c(counts: ArrayLike, *, method: EarsMethod = "C1", baseline: int = 7,
           min_sigma: float = 0.0, alpha: float | None = None, range_start: int | None = None,
           range_end: int | None = None) -> EarsResult:
    """EARS C1/C2/C3 for every series at once, as ``surveillance::earsC``.

    Parameters
    ----------
    counts : array (series, time) or (time,)
        Non-negative counts, one series per row, consecutive time steps.
    method : "C1", "C2" or "C3"
    baseline : int
        Number of reference time steps (≥ 3; R's default 7).
    min_sigma : float
        Floor for the baseline standard deviation (≥ 0; R's default 0).
    alpha : float, optional
        One-sided level; None gives R's default, 0.001 for C1/C2 and 0.025 for C3.
    range_start, range_end : int, optional
        1-based inclusive time steps to evaluate (R's ``control$range``, contiguous here); the
        default is R's: from baseline + 1/3/5 to the last step.
    """
    if method not in METHODS:
        raise CountsError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if int(baseline) != baseline or baseline < 3:
        raise CountsError(f"baseline must be an integer ≥ 3 (R: 'Minimum baseline to use is 3'), "
                          f"got {baseline}")
    baseline = int(baseline)
    if not min_sigma >= 0:
        raise CountsError(f"min_sigma must be ≥ 0, got {min_sigma}")
    if alpha is None:
        alpha = 0.025 if method == "C3" else 0.001
    if not 0 < alpha < 1:
        raise CountsError(f"alpha must be in (0, 1), got {alpha}")
    x = count_matrix(counts)
    n_times = x.shape[1]
    first = baseline + _NEEDS[method] + 1
    start, end = resolve_range(n_times, first, range_start, range_end, first_allowed=first)
    z = float(stats.norm.ppf(1 - alpha))
    lag = _LAG[method]

    # Baseline statistics for the 1-based steps u = lo … end: window index u − 1 − n − lag.
    lo = start - 2 if method == "C3" else start
    windows = sliding_window_view(x, baseline, axis=1)[:, lo - 1 - baseline - lag:
                                                       end - baseline - lag]
    mean = windows.mean(axis=-1)
    sd = windows.std(axis=-1, ddof=1)
    sigma = np.maximum(sd, min_sigma)
    observed = x[:, start - 1:end]
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "C3":
            c2 = (x[:, lo - 1:end] - mean) / sigma
            part = np.maximum(0.0, c2 - 1)
            upper = observed + sigma[:, 2:] * (z - (part[:, :-2] + part[:, 1:-1]))
            upper = np.maximum(0.0, upper)
            mean, sigma = mean[:, 2:], sigma[:, 2:]
        else:
            upper = mean + z * sigma
        alarm = observed > upper
    return EarsResult(method=method, alpha=float(alpha),
                      t=np.arange(start, end + 1, dtype=np.int64), observed=observed,
                      expected=mean, sigma=sigma, upperbound=upper, alarm=alarm)
