"""Batched Poisson/quasi-Poisson GLMs fitted by IRLS exactly as R's ``glm.fit``, for many
response vectors that share one design.

Two solvers:

* ``fit_dense``: any shared design X (n × p), normal equations per problem (p small). Used by
  the CUSUM's ``m = "glm"`` (intercept + one harmonic).
* ``fit_levels``: the Farrington flexible design, a factor (the seasonal blocks, one level when
  noPeriods = 1) plus optionally a linear time trend. It is solved in closed form per problem in
  the cell-means coding (one mean per level and a common slope): the weighted least-squares step
  of every IRLS iteration is then a handful of segment sums, O(n) per problem instead of O(n p²).
  The column space is the one of R's treatment coding (intercept + level dummies), so fitted
  values, hat values, the slope, its standard error and the prediction at a given level and time
  are the same quantities R reports; only the labelling of the other coefficients differs.

Both follow ``glm.fit`` step by step, so that the number of iterations, and hence the point where
the iteration stops, is R's: start at μ = y + 0.1, η = log μ; each iteration forms
z = η + (y − μ)/μ′ and working weights w = prior · μ′²/μ with μ′ = max(e^η, ε) (R's ``mu.eta``),
solves the weighted least squares, sets μ = max(e^η, ε) (R's ``linkinv``), and stops when
|dev − dev_old| / (|dev| + 0.1) < 1e-8 or after 25 iterations (``glm.control``). As in R, the
working weights kept with the fit (for the dispersion, the hat values and standard errors) are
those of the last iteration, computed from μ before its update. The dispersion is R's
``summary.glm`` estimate Σ w r² / (n − p) with r = (y − μ)/μ′ the working residuals.

Departure: R halves the step when the deviance becomes infinite; here such a problem is marked
not converged (with μ floored at ε it only happens when e^η overflows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

EPS = float(np.finfo(np.float64).eps)
EPSILON = 1e-8   # glm.control()$epsilon
MAXIT = 25       # glm.control()$maxit

FloatArray = NDArray[np.float64]


def _deviance(y: FloatArray, mu: FloatArray, wt: FloatArray) -> FloatArray:
    """Σ of poisson()$dev.resids: 2 wt (y log(y/μ) − (y − μ)), 2 wt μ where y = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(y > 0, wt * (y * np.log(y / mu) - (y - mu)), mu * wt)
    return np.asarray(2.0 * r.sum(axis=-1))


def _linkinv(eta: FloatArray) -> FloatArray:
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(eta), EPS)


@dataclass
class LevelDesign:
    """Rows of one Farrington design: the level (0 … L−1) and time of every row."""

    level: NDArray[np.intp]   # (n,)
    time: FloatArray          # (n,) centred so that the predicted time step is 0
    n_levels: int

    def __post_init__(self) -> None:
        self.one_hot = np.zeros((self.level.size, self.n_levels))
        self.one_hot[np.arange(self.level.size), self.level] = 1.0

    def n_params(self, trend: bool) -> int:
        return self.n_levels + int(trend)


@dataclass
class LevelFit:
    """A fit of ``fit_levels`` for B problems."""

    converged: NDArray[np.bool_]   # (B,)
    mu: FloatArray                 # (B, n) fitted values
    eta0: FloatArray               # (B,) linear predictor at (target level, time 0)
    var0: FloatArray               # (B,) its variance, unscaled (× dispersion for R's se²)
    hat: FloatArray                # (B, n) hat values
    dispersion: FloatArray         # (B,) summary.glm's dispersion (not floored at 1)
    slope: FloatArray              # (B,) trend coefficient (NaN without trend)
    slope_var: FloatArray          # (B,) its variance, unscaled
    df_residual: FloatArray        # (B,) n − number of parameters

    def take(self, other: LevelFit, rows: NDArray[np.intp]) -> None:
        """Replace the fits of problems `rows` by `other` (fitted on exactly those rows)."""
        for name in self.__dataclass_fields__:
            getattr(self, name)[rows] = getattr(other, name)


def _level_solve(design: LevelDesign, w2: FloatArray, z: FloatArray, trend: bool
                 ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Weighted least squares of z on the level means (and the slope): η, β, S0, t̄, D."""
    g = design.one_hot
    s0 = w2 @ g
    zbar = ((w2 * z) @ g) / s0
    if not trend:
        shape = (w2.shape[0],)
        nan = np.full(shape, np.nan)
        return zbar[:, design.level], nan, s0, np.zeros_like(s0), nan
    tbar = ((w2 * design.time) @ g) / s0
    dt = design.time - tbar[:, design.level]
    d = np.einsum("bn,bn->b", w2 * dt, dt)
    beta = np.einsum("bn,bn->b", w2 * dt, z) / d
    eta = zbar[:, design.level] + beta[:, None] * dt
    return eta, beta, s0, tbar, d


def fit_levels(design: LevelDesign, y: FloatArray, *, trend: bool, target_level: int,
               prior: FloatArray | None = None) -> LevelFit:
    """Quasi-Poisson log-linear fits of y (B, n) on the levels (+ time), as R's glm.fit."""
    n_problems = y.shape[0]
    wt = np.ones_like(y) if prior is None else prior
    mu = y + 0.1
    eta = np.log(mu)
    devold = _deviance(y, mu, wt)
    beta = np.full(n_problems, np.nan)
    w2_last = np.zeros_like(y)
    converged = np.zeros(n_problems, dtype=bool)
    failed = np.zeros(n_problems, dtype=bool)
    active = np.arange(n_problems)
    for _ in range(MAXIT):
        if active.size == 0:
            break
        ya, wa, eta_a, mu_a = y[active], wt[active], eta[active], mu[active]
        mu_eta = _linkinv(eta_a)
        z = eta_a + (ya - mu_a) / mu_eta
        w2 = wa * mu_eta**2 / mu_a
        eta_new, beta_new, *_ = _level_solve(design, w2, z, trend)
        mu_new = _linkinv(eta_new)
        dev = _deviance(ya, mu_new, wa)
        eta[active], mu[active], beta[active], w2_last[active] = eta_new, mu_new, beta_new, w2
        bad = ~np.isfinite(dev)
        done = np.abs(dev - devold[active]) / (np.abs(dev) + 0.1) < EPSILON
        devold[active] = dev
        converged[active[done & ~bad]] = True
        failed[active[bad]] = True
        active = active[~(done | bad)]
    return _level_summary(design, y, mu, eta, beta, w2_last, converged & ~failed, trend,
                          target_level)


def _level_summary(design: LevelDesign, y: FloatArray, mu: FloatArray, eta: FloatArray,
                   beta: FloatArray, w2: FloatArray, converged: NDArray[np.bool_], trend: bool,
                   target_level: int) -> LevelFit:
    n = y.shape[1]
    df = n - design.n_params(trend)
    g = design.one_hot
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = w2 @ g
        residual = (y - mu) / _linkinv(eta)
        dispersion = np.einsum("bn,bn->b", w2 * residual, residual) / df if df > 0 else \
            np.full(y.shape[0], np.nan)
        inv_s0 = 1.0 / s0
        hat = w2 * inv_s0[:, design.level]
        # η at (target level, t = 0): a_target = z̄ − β t̄, so η₀ = its level mean minus β t̄.
        level_mean = eta[:, design.level == target_level][:, 0]
        if trend:
            tbar = ((w2 * design.time) @ g) / s0
            dt = design.time - tbar[:, design.level]
            d = np.einsum("bn,bn->b", w2 * dt, dt)
            hat = hat + w2 * dt**2 / d[:, None]
            t_row = design.time[design.level == target_level][0]
            eta0 = level_mean - beta * t_row
            var0 = inv_s0[:, target_level] + tbar[:, target_level] ** 2 / d
            slope_var = 1.0 / d
        else:
            eta0 = level_mean
            var0 = inv_s0[:, target_level]
            slope_var = np.full(y.shape[0], np.nan)
    return LevelFit(converged=converged, mu=mu, eta0=eta0, var0=var0, hat=hat,
                    dispersion=dispersion, slope=beta, slope_var=slope_var,
                    df_residual=np.full(y.shape[0], float(df)))


@dataclass
class DenseFit:
    converged: NDArray[np.bool_]   # (B,)
    coef: FloatArray               # (B, p)


def fit_dense(x: FloatArray, y: FloatArray) -> DenseFit:
    """Poisson log-linear fits of y (B, n) on a shared design x (n, p), as R's glm.fit."""
    n_problems = y.shape[0]
    mu = y + 0.1
    eta = np.log(mu)
    wt = np.ones_like(y)
    devold = _deviance(y, mu, wt)
    coef = np.full((n_problems, x.shape[1]), np.nan)
    converged = np.zeros(n_problems, dtype=bool)
    active = np.arange(n_problems)
    for _ in range(MAXIT):
        if active.size == 0:
            break
        ya, eta_a, mu_a = y[active], eta[active], mu[active]
        mu_eta = _linkinv(eta_a)
        z = eta_a + (ya - mu_a) / mu_eta
        w2 = mu_eta**2 / mu_a
        xtwx = np.einsum("bn,ni,nj->bij", w2, x, x)
        xtwz = np.einsum("bn,ni->bi", w2 * z, x)
        c = np.linalg.solve(xtwx, xtwz[..., None])[..., 0]
        eta_new = c @ x.T
        mu_new = _linkinv(eta_new)
        dev = _deviance(ya, mu_new, wt[active])
        eta[active], mu[active], coef[active] = eta_new, mu_new, c
        bad = ~np.isfinite(dev)
        done = np.abs(dev - devold[active]) / (np.abs(dev) + 0.1) < EPSILON
        devold[active] = dev
        converged[active[done & ~bad]] = True
        active = active[~(done | bad)]
    return DenseFit(converged=converged, coef=coef)
