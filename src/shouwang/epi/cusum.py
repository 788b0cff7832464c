"""CUSUM for counts, exactly as R's ``surveillance::cusum`` / ``algo.cusum`` (1.20.3).

For each series, an in-control mean m is taken from the time steps before the evaluated range
(R: ``m = mean(observed[1:(range[1] - 1)])``), or given, or predicted by a Poisson GLM with one
harmonic fitted to those steps (``m = "glm"``: log μ_t = β₀ + β₁ cos(2πt/f) + β₂ sin(2πt/f)).
Each count x_t of the range is standardised (``trans``), and

    C_t = max(0, C_{t−1} + z_t − k),  C_0 = 0,   alarm_t = C_t ≥ h.

The upperbound is the smallest count that would raise the alarm at t given C_{t−1}; for the
default ``trans = "standard"`` (z = (x − m)/√m) it is ⌈√m (h + k − C_{t−1}) + m⌉. R's defaults:
k = 1.04, h = 2.26, trans = "standard", alpha = 0.1 (the negative-binomial dispersion of the
"pearsonNegBin" transform). As in R, an undefined or negative upperbound is reported as 0.

Transforms reproduced: "standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none",
each with R's upperbound formula, including R's quirks (the "anscombe2nd" upperbound uses
m^(1/3)/9 where its statistic uses m^(−1/3)/9; "none" reports h − C_t). Not reproduced:
"anscombeNegBin", which R evaluates with a tabulated hypergeometric function
(``hypgeom2F1special``); asking for it raises CountsError.

R computes the cusum of a series whose m is 0 as NaN (0/0 or x/0) and its alarm as NA; here such
steps have cusum NaN, alarm False, ``alarm_defined`` False, upperbound 0 (R's).

References
----------
Rossi G, Lampugnani L, Marchi M (1999). An approximate CUSUM procedure for surveillance of
health events. Stat Med 18(16):2111-2122.
Höhle M (2007). surveillance: an R package for the monitoring of infectious diseases.
Comput Stat 22:571-582. doi:10.1007/s00180-007-0074-8
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shouwang.epi.ears import CountsError, count_matrix, resolve_range
from shouwang.epi.farrington_glm import fit_dense

Transform = Literal["standard", "rossi", "anscombe", "anscombe2nd", "pearsonNegBin", "none"]
TRANSFORMS: tuple[Transform, ...] = ("standard", "rossi", "anscombe", "anscombe2nd",
                                     "pearsonNegBin", "none")


@dataclass(frozen=True)
class CusumResult:
    """Per evaluated time step: arrays shaped (series, len(t))."""

    trans: Transform
    t: NDArray[np.int64]               # 1-based time steps evaluated (R's control$range)
    observed: NDArray[np.float64]
    expected: NDArray[np.float64]      # the in-control mean m at each step
    cusum: NDArray[np.float64]         # C_t
    upperbound: NDArray[np.float64]
    alarm: NDArray[np.bool_]           # C_t ≥ h; False where undefined

    @property
    def alarm_defined(self) -> NDArray[np.bool_]:
        """False where R's alarm is NA (the cusum is NaN)."""
        return np.asarray(~np.isnan(self.cusum))


def _glm_mean(x: NDArray[np.float64], start: int, end: int, first_period: int,
              freq: int) -> NDArray[np.float64]:
    """R's m = "glm": Poisson GLM with one harmonic on steps 1 … start−1, predicted on the range."""
    def design(steps: NDArray[np.float64]) -> NDArray[np.float64]:
        t = first_period + steps - 1
        angle = 2 * np.pi / freq * t
        return np.column_stack([np.ones_like(t), np.cos(angle), np.sin(angle)])

    training = np.arange(1, start, dtype=np.float64)
    # As R, a fit that has not converged in 25 iterations (e.g. an all-zero training period,
    # whose μ drifts to 0) is used as it stands.
    fit = fit_dense(design(training), x[:, :start - 1])
    eta = fit.coef @ design(np.arange(start, end + 1, dtype=np.float64)).T
    return np.asarray(np.exp(eta), dtype=np.float64)


def cusum(counts: ArrayLike, *, range_start: int, range_end: int | None = None,
          k: float = 1.04, h: float = 2.26, m: float | Literal["glm"] | None = None,
          trans: Transform = "standard", alpha: float = 0.1, first_period: int = 1,
          freq: int = 52) -> CusumResult:
    """CUSUM of every series at once, as ``surveillance::cusum``.

    Parameters
    ----------
    counts : array (series, time) or (time,)
        Non-negative counts.
    range_start, range_end : int
        1-based inclusive time steps to evaluate (R has no default range; the steps before
        range_start are the training period for m). range_end defaults to the last step.
    k, h : float
        Reference value and decision interval (R: 1.04, 2.26).
    m : float, "glm" or None
        In-control mean: None = mean of the training steps (R's default), a number, or "glm".
    trans : str
        Standardisation of the counts (R's default "standard").
    alpha : float
        Dispersion for "pearsonNegBin" (R's default 0.1).
    first_period, freq : int
        For m = "glm" only: the period of the first time step (R's ``start[2]``) and the number
        of periods a year (R's ``freq``).
    """
    if trans not in TRANSFORMS:
        extra = " (anscombeNegBin is not reproduced)" if str(trans) == "anscombeNegBin" else ""
        raise CountsError(f"trans must be one of {', '.join(TRANSFORMS)}, got {trans!r}{extra}")
    if not h > 0:
        raise CountsError(f"h must be > 0, got {h}")
    if not np.isfinite(k):
        raise CountsError(f"k must be a finite number, got {k}")
    x = count_matrix(counts)
    start, end = resolve_range(x.shape[1], range_start, range_start, range_end,
                               first_allowed=2)
    if isinstance(m, str):
        if m != "glm":
            raise CountsError(f"m must be a number, 'glm' or None, got {m!r}")
        if freq < 1:
            raise CountsError(f"freq must be ≥ 1, got {freq}")
        mean = _glm_mean(x, start, end, first_period, freq)
    elif m is None:
        mean = np.repeat(x[:, :start - 1].mean(axis=1, keepdims=True), end - start + 1, axis=1)
    else:
        if not (np.isfinite(m) and m >= 0):
            raise CountsError(f"m must be ≥ 0, got {m}")
        mean = np.full((x.shape[0], end - start + 1), float(m))
    obs = x[:, start - 1:end]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = _standardise(obs, mean, trans, alpha)
        c = np.zeros((x.shape[0], end - start + 2))
        for j in range(end - start + 1):   # a recursion in time, vectorised over series
            c[:, j + 1] = np.maximum(0.0, c[:, j] + (z[:, j] - k))
        previous, current = c[:, :-1], c[:, 1:]
        alarm = current >= h
        upper = _upperbound(mean, previous, current, h, k, trans, alpha)
    upper = np.where(np.isnan(upper) | (upper < 0), 0.0, upper)
    return CusumResult(trans=trans, t=np.arange(start, end + 1, dtype=np.int64), observed=obs,
                       expected=mean, cusum=current, upperbound=upper, alarm=alarm)


def _standardise(x: NDArray[np.float64], m: NDArray[np.float64], trans: Transform,
                 alpha: float) -> NDArray[np.float64]:
    if trans == "rossi":
        return np.asarray((x - 3 * m + 2 * np.sqrt(x * m)) / (2 * np.sqrt(m)), dtype=np.float64)
    if trans == "standard":
        return (x - m) / np.sqrt(m)
    if trans == "anscombe":
        return 3 / 2 * (x ** (2 / 3) - m ** (2 / 3)) / m ** (1 / 6)
    if trans == "anscombe2nd":
        return (x ** (2 / 3) - (m ** (2 / 3) - m ** (-1 / 3) / 9)) / (2 / 3 * m ** (1 / 6))
    if trans == "pearsonNegBin":
        return (x - m) / np.sqrt(m + alpha * m**2)
    return np.asarray(x, dtype=np.float64)


def _upperbound(m: NDArray[np.float64], ctm1: NDArray[np.float64], ct: NDArray[np.float64],
                h: float, k: float, trans: Transform, alpha: float) -> NDArray[np.float64]:
    """R's upperbound formulas, term for term (the order of operations kept)."""
    if trans == "rossi":
        return (2 * h * m ** (1 / 2) + 2 * k * m ** (1 / 2) - 2 * ctm1 * m ** (1 / 2) + 5 * m
                - 2 * (4 * m**2 + 2 * m ** (3 / 2) * h + 2 * m ** (3 / 2) * k
                       - 2 * m ** (3 / 2) * ctm1) ** (1 / 2))
    if trans == "standard":
        return np.ceil(np.sqrt(m) * (h + k - ctm1) + m)
    if trans == "anscombe":
        inner = 2 / 3 * m ** (1 / 6) * (h + k - ctm1) + m ** (2 / 3)
        return np.where(inner < 0, 0.0, inner ** (3 / 2))
    if trans == "anscombe2nd":
        inner = 2 / 3 * m ** (1 / 6) * (h + k - ctm1) + (m ** (2 / 3) - m ** (1 / 3) / 9)
        return np.where(inner < 0, 0.0, inner ** (3 / 2))
    if trans == "pearsonNegBin":
        return np.sqrt(m + alpha * m**2) * (h + k - ctm1) + m
    return h - ct
