"""Delay distributions: discretised generation intervals and moment-parameterised draws.

Everything is parameterised by mean and standard deviation (what papers report), converted here
to the shape and scale numpy wants.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats


def gamma_shape_scale(mean: float, sd: float) -> tuple[float, float]:
    """Shape and scale of the gamma distribution with this mean and standard deviation.

    shape = (mean / sd)², scale = sd² / mean.
    """
    if not mean > 0:
        raise ValueError(f"mean must be > 0, got {mean}")
    if not sd > 0:
        raise ValueError(f"sd must be > 0, got {sd}")
    return (mean / sd) ** 2, sd**2 / mean


def lognormal_mu_sigma(mean: float, sd: float) -> tuple[float, float]:
    """Log-scale μ and σ of the lognormal distribution with this mean and standard deviation.

    σ² = ln(1 + sd²/mean²), μ = ln(mean) − σ²/2.
    """
    if not mean > 0:
        raise ValueError(f"mean must be > 0, got {mean}")
    if not sd > 0:
        raise ValueError(f"sd must be > 0, got {sd}")
    sigma2 = float(np.log1p((sd / mean) ** 2))
    return float(np.log(mean)) - sigma2 / 2, float(np.sqrt(sigma2))


def discretised_gamma(mean: float, sd: float, *, max_days: int = 21) -> NDArray[np.float64]:
    """Daily weights w_1 … w_S of a gamma-distributed interval, for a renewal equation.

    w_s = F(s + ½) − F(s − ½) for s = 1 … S, with the mass below 1½ days put on s = 1 and the
    whole renormalised to sum to one, so that no infection causes another on its own day.
    Index 0 of the returned array is w_1.

    Parameters
    ----------
    mean, sd : float
        Mean and standard deviation of the continuous interval, in days (both > 0).
    max_days : int
        S, the longest interval kept (≥ 1).

    References
    ----------
    Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). A new framework and software to estimate
    time-varying reproduction numbers during epidemics. Am J Epidemiol 178(9):1505-1512.
    doi:10.1093/aje/kwt133
    """
    if not mean > 0:
        raise ValueError(f"generation interval mean must be > 0, got {mean}")
    if not sd > 0:
        raise ValueError(f"generation interval sd must be > 0, got {sd}")
    if max_days < 1:
        raise ValueError(f"max_days must be ≥ 1, got {max_days}")
    shape, scale = gamma_shape_scale(mean, sd)
    edges = np.arange(max_days + 1, dtype=np.float64) + 0.5
    edges[0] = 0.0
    cdf = stats.gamma.cdf(edges, a=shape, scale=scale)
    w = np.diff(cdf)
    total = float(w.sum())
    if total <= 0:
        raise ValueError("generation interval has no mass within max_days")
    return np.asarray(w / total, dtype=np.float64)


def euler_lotka_growth_rate(reproduction_number: float, weights: NDArray[np.float64]) -> float:
    """The exponential growth rate r of a renewal process with constant R and interval w.

    Solves the Euler–Lotka equation 1 = R Σ_s w_s e^{−r s} (s = 1 … S) for r; r > 0 when R > 1,
    r = 0 when R = 1, r < 0 when R < 1.

    References
    ----------
    Wallinga J, Lipsitch M (2007). How generation intervals shape the relationship between
    growth rates and reproductive numbers. Proc R Soc B 274:599-604. doi:10.1098/rspb.2006.3754
    """
    if not reproduction_number > 0:
        raise ValueError(f"reproduction_number must be > 0, got {reproduction_number}")
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0 or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be a non-empty, non-negative 1-d array")
    w = w / w.sum()
    s = np.arange(1, w.size + 1, dtype=np.float64)

    def balance(r: float) -> float:
        return float(reproduction_number * np.sum(w * np.exp(-r * s)) - 1.0)

    # balance is decreasing in r; widen the bracket until it changes sign.
    lo, hi = -1.0, 1.0
    while balance(lo) < 0:
        lo *= 2
    while balance(hi) > 0:
        hi *= 2
    return float(optimize.brentq(balance, lo, hi, xtol=1e-12))
