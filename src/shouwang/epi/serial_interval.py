"""Serial-interval distributions as EpiEstim uses them: discretised gamma and checked user input.

A serial-interval distribution here is an array ``w`` indexed by days: ``w[k]`` is the probability
that the serial interval is k days, starting at k = 0. EpiEstim requires ``w[0] = 0`` (a case
cannot infect another on its own day) and the same convention is kept so that a distribution can
be passed between R and Python unchanged.

References
----------
Cori A, Ferguson NM, Fraser C, Cauchemez S (2013). A new framework and software to estimate
time-varying reproduction numbers during epidemics. Am J Epidemiol 178(9):1505-1512.
doi:10.1093/aje/kwt133 (Web Appendix 11: the discretisation of a shifted gamma)
EpiEstim 2.2-4, R functions ``discr_si`` and ``check_si_distr``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

# EpiEstim's check_si_distr refuses a distribution whose sum is more than 0.01 away from 1.
SI_SUM_TOLERANCE = 0.01


class SerialIntervalError(ValueError):
    """A serial-interval distribution or its parameters cannot be used."""


def discr_si(k: ArrayLike, mu: float, sigma: float) -> NDArray[np.float64]:
    """EpiEstim's ``discr_si``: P(serial interval = k days) for a gamma shifted by one day.

    The serial interval minus one day is gamma distributed with mean ``mu − 1`` and standard
    deviation ``sigma`` (shape a = ((mu − 1)/sigma)², scale b = sigma²/(mu − 1)); its
    discretisation by linear interpolation between days (Cori et al. 2013, Web Appendix 11) is::

        w_k = k F_a(k) + (k − 2) F_a(k − 2) − 2 (k − 1) F_a(k − 1)
              + a b (2 F_{a+1}(k − 1) − F_{a+1}(k − 2) − F_{a+1}(k))

    with F_a the gamma CDF of shape a and scale b (0 below 0), then max(0, w_k). The result is
    not renormalised (as in R): ``discr_si(range(n), ...)`` sums to slightly less than one when
    n is short. w_0 = 0 for every mu > 1.

    Parameters
    ----------
    k : array_like of int
        Days (≥ 0).
    mu : float
        Mean serial interval in days, > 1 (EpiEstim refuses mu ≤ 1).
    sigma : float
        Standard deviation in days, ≥ 0 (EpiEstim's guard); 0 is refused here as well since the
        gamma is then degenerate (EpiEstim returns NaN).
    """
    days = np.asarray(k, dtype=np.float64)
    if not np.isfinite(sigma) or sigma <= 0:
        raise SerialIntervalError(f"serial interval sd must be > 0, got {sigma}")
    if not np.isfinite(mu) or mu <= 1:
        raise SerialIntervalError(f"serial interval mean must be > 1 day, got {mu}")
    if np.any(days < 0) or not np.all(np.isfinite(days)):
        raise SerialIntervalError("days k must all be ≥ 0")
    a = ((mu - 1.0) / sigma) ** 2
    b = sigma**2 / (mu - 1.0)

    def cdf(x: NDArray[np.float64], shape: float) -> NDArray[np.float64]:
        # pgamma(x, shape, scale = b) with pgamma = 0 for x < 0, as in R.
        return np.asarray(special.gammainc(shape, np.maximum(x, 0.0) / b))

    res = days * cdf(days, a) + (days - 2) * cdf(days - 2, a) - 2 * (days - 1) * cdf(days - 1, a)
    res = res + a * b * (2 * cdf(days - 1, a + 1) - cdf(days - 2, a + 1) - cdf(days, a + 1))
    return np.asarray(np.maximum(res, 0.0), dtype=np.float64)


def check_si_distr(si_distr: ArrayLike, *,
                   sum_tolerance: float = SI_SUM_TOLERANCE) -> NDArray[np.float64]:
    """Check a user-given serial-interval distribution the way EpiEstim's check_si_distr does.

    The distribution must be a non-empty 1-d array of finite numbers ≥ 0, its first element
    (probability of a 0-day interval) exactly 0, and its sum within ``sum_tolerance`` of one
    (EpiEstim's tolerance is 0.01; the distribution is then used as given, not renormalised,
    exactly as in R). Returns it as a float array.

    Raises
    ------
    SerialIntervalError
        Naming which rule is broken.
    """
    w = np.asarray(si_distr, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise SerialIntervalError(
            f"serial interval distribution must be a non-empty list of probabilities, "
            f"got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise SerialIntervalError("serial interval distribution has missing or infinite values")
    if w[0] != 0:
        raise SerialIntervalError(
            f"serial interval distribution must start with 0 (probability of a 0-day interval, "
            f"as EpiEstim requires), got {w[0]}")
    if np.any(w < 0):
        bad = int(np.flatnonzero(w < 0)[0])
        raise SerialIntervalError(
            f"serial interval distribution must be ≥ 0, got {w[bad]} for {bad} day(s)")
    total = float(w.sum())
    if abs(total - 1.0) > sum_tolerance:
        raise SerialIntervalError(
            f"serial interval distribution must sum to 1 (within {sum_tolerance}), "
            f"sums to {total:.6g}")
    return w


def si_moments(si_distr: NDArray[np.float64]) -> tuple[float, float]:
    """Mean and standard deviation of a distribution over days 0, 1, 2, … as EpiEstim reports
    them in ``SI.Moments`` (computed on the weights as given, not renormalised)."""
    days = np.arange(si_distr.size, dtype=np.float64)
    mean = float(np.sum(si_distr * days))
    var = float(np.sum(si_distr * days**2)) - mean**2
    return mean, float(np.sqrt(max(var, 0.0)))
