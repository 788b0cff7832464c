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

Rearrangements that change only the last bits: after the first step μ′ = μ, so w = prior · μ;
the deviance is summed as Σ prior (y log y − y log μ − y + μ) with log μ = max(η, log ε); and
without the trend, η is constant within a level after the first step, so the further steps
need only per-level sums (O(levels) instead of O(rows) per iteration).

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


class Response:
    """Counts (B, n) with the per-row terms that every fit of them shares: y log y, and at R's
    start values μ = y + 0.1, η = log μ the deviance terms, the working response and the
    working weights per unit prior weight."""

    def __init__(self, y: FloatArray, *, _parts: tuple[FloatArray, ...] | None = None) -> None:
        self.y = y
        if _parts is not None:
            self.ylogy, self.start_dev, self.z0, self.w0 = _parts
            return
        mu = y + 0.1
        eta = np.log(mu)
        mu_eta = _linkinv(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.ylogy = np.where(y > 0, y * np.log(y), 0.0)
            self.start_dev = np.where(y > 0, y * np.log(y / mu) - (y - mu), mu)
        self.z0 = eta + (y - mu) / mu_eta
        self.w0 = mu_eta**2 / mu

    def __getitem__(self, rows: NDArray[np.intp]) -> Response:
        return Response(self.y[rows], _parts=(self.ylogy[rows], self.start_dev[rows],
                                              self.z0[rows], self.w0[rows]))


@dataclass
class LevelDesign:
    """Rows of one Farrington design, sorted by level: the level (0 … L−1) and time of each."""

    level: NDArray[np.intp]   # (n,) non-decreasing
    time: FloatArray          # (n,) centred so that the predicted time step is 0
    n_levels: int

    def __post_init__(self) -> None:
        if np.any(np.diff(self.level) < 0):
            raise ValueError("design rows must be sorted by level")
        self.counts = np.bincount(self.level, minlength=self.n_levels)
        if np.any(self.counts == 0):
            raise ValueError("every level needs at least one row")
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.intp)

    def n_params(self, trend: bool) -> int:
        return self.n_levels + int(trend)

    def sums(self, a: FloatArray) -> FloatArray:
        """Per-level sums of a (B, n) → (B, L)."""
        if self.n_levels == 1:
            return np.asarray(a.sum(axis=1, keepdims=True), dtype=np.float64)
        return np.asarray(np.add.reduceat(a, self.starts, axis=1), dtype=np.float64)

    def spread(self, v: FloatArray) -> FloatArray:
        """Per-level values (B, L) → per row (B, n) (or (B, 1) to broadcast when L = 1)."""
        if self.n_levels == 1:
            return v
        return np.repeat(v, self.counts, axis=1)


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


def _trend_solve(design: LevelDesign, w2: FloatArray, z: FloatArray
                 ) -> tuple[FloatArray, FloatArray]:
    """Weighted least squares of z on the level means and a common slope: (η, β)."""
    s0 = design.sums(w2)
    zbar = design.sums(w2 * z) / s0
    tbar = design.sums(w2 * design.time) / s0
    dt = design.time - design.spread(tbar)
    wdt = w2 * dt
    beta = np.einsum("bn,bn->b", wdt, z) / np.einsum("bn,bn->b", wdt, dt)
    return design.spread(zbar) + beta[:, None] * dt, beta


class _Iteration:
    """glm.fit's loop over the problems still iterating; finished ones are written out."""

    def __init__(self, y: FloatArray) -> None:
        n_problems = y.shape[0]
        self.eta = np.empty_like(y)
        self.w2 = np.empty_like(y)
        self.beta = np.full(n_problems, np.nan)
        self.converged = np.zeros(n_problems, dtype=bool)

    def finish(self, rows: NDArray[np.intp], eta: FloatArray, w2: FloatArray,
               beta: FloatArray, converged: NDArray[np.bool_]) -> None:
        self.eta[rows] = eta
        self.w2[rows] = w2
        self.beta[rows] = beta
        self.converged[rows] = converged


def fit_levels(design: LevelDesign, response: Response, *, trend: bool, target_level: int,
               prior: FloatArray | None = None) -> LevelFit:
    """Quasi-Poisson log-linear fits of the counts (B, n) on the levels (+ time), as glm.fit."""
    y = response.y
    out = _Iteration(y)
    wt = np.ones_like(y) if prior is None else prior
    if trend:
        _iterate_trend(design, response, wt, out)
    else:
        _iterate_levels(design, response, wt, out)
    return _level_summary(design, y, _linkinv(out.eta), out.eta, out.beta, out.w2,
                          out.converged, trend, target_level)


def _iterate_trend(design: LevelDesign, response: Response, wt: FloatArray,
                   out: _Iteration) -> None:
    """IRLS row by row (the trend makes μ vary within a level)."""
    ya, wa = response.y, wt
    rows = np.arange(ya.shape[0])
    wy = wa * ya
    const = np.einsum("bn,bn->b", wa, response.ylogy - ya)
    devold = 2 * np.einsum("bn,bn->b", wa, response.start_dev)
    # The first step from the start values; then μ′ = μ (R's mu.eta is linkinv for the log
    # link), so z = η + (y − μ)/μ and w = wt·μ′²/μ = wt·μ (equal to R's to an ulp).
    z = response.z0
    w2 = wa * response.w0
    eta = mu = z   # (assigned by the first step)
    for iteration in range(MAXIT):
        if iteration > 0:
            z = eta + (ya - mu) / mu
            w2 = wa * mu
        eta, beta = _trend_solve(design, w2, z)
        mu = _linkinv(eta)
        # Σ wt (y log y − y log μ − y + μ), log μ = max(η, log ε) as μ = max(e^η, ε).
        dev = 2 * (const - np.einsum("bn,bn->b", wy, np.maximum(eta, _LOG_EPS))
                   + np.einsum("bn,bn->b", wa, mu))
        bad = ~np.isfinite(dev)
        done = np.abs(dev - devold) / (np.abs(dev) + 0.1) < EPSILON
        stop = done | bad | (iteration == MAXIT - 1)
        if stop.any():
            out.finish(rows[stop], eta[stop], w2[stop], beta[stop], done[stop] & ~bad[stop])
            keep = ~stop
            if not keep.any():
                return
            rows, ya, wa, wy, const = rows[keep], ya[keep], wa[keep], wy[keep], const[keep]
            eta, mu, dev = eta[keep], mu[keep], dev[keep]
        devold = dev


def _iterate_levels(design: LevelDesign, response: Response, wt: FloatArray,
                    out: _Iteration) -> None:
    """IRLS for the level means only. After the first step η is constant within a level, so
    z̄ = η + (Σwt·y/Σwt − μ)/μ′ and the deviance need only per-level sums: O(L) an iteration."""
    y = response.y
    devold = 2 * np.einsum("bn,bn->b", wt, response.start_dev)
    w2 = wt * response.w0
    level_eta = design.sums(w2 * response.z0) / design.sums(w2)
    sw, swy, swylogy = design.sums(wt), design.sums(wt * y), design.sums(wt * response.ylogy)
    w2_first = w2
    rows = np.arange(y.shape[0])
    level_mu = previous_mu = np.zeros_like(sw)
    for iteration in range(MAXIT):
        if iteration > 0:   # the first solve was done row by row above
            level_eta = level_eta + (swy / sw - level_mu) / level_mu
        level_mu = _linkinv(level_eta)
        dev = 2 * (swylogy - swy * np.maximum(level_eta, _LOG_EPS) - swy
                   + sw * level_mu).sum(axis=1)
        bad = ~np.isfinite(dev)
        done = np.abs(dev - devold) / (np.abs(dev) + 0.1) < EPSILON
        stop = done | bad | (iteration == MAXIT - 1)
        if stop.any():
            # The working weights of the last step: from the start values on the first step,
            # then wt · μ′²/μ = wt · μ of the level before the step.
            w2_stop = w2_first[stop] if iteration == 0 else \
                wt[rows[stop]] * design.spread(previous_mu[stop])
            out.finish(rows[stop], design.spread(level_eta[stop]) + np.zeros((1, y.shape[1])),
                       w2_stop, np.full(int(stop.sum()), np.nan), done[stop] & ~bad[stop])
            keep = ~stop
            if not keep.any():
                return
            rows, sw, swy, swylogy = rows[keep], sw[keep], swy[keep], swylogy[keep]
            level_eta, level_mu, dev = level_eta[keep], level_mu[keep], dev[keep]
            if iteration == 0:
                w2_first = w2_first[keep]
        previous_mu = level_mu
        devold = dev


_LOG_EPS = float(np.log(EPS))


def _level_summary(design: LevelDesign, y: FloatArray, mu: FloatArray, eta: FloatArray,
                   beta: FloatArray, w2: FloatArray, converged: NDArray[np.bool_], trend: bool,
                   target_level: int) -> LevelFit:
    n = y.shape[1]
    df = n - design.n_params(trend)
    first_row = int(design.starts[target_level])
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = design.sums(w2)
        residual = (y - mu) / mu   # μ′ = μ for the log link
        dispersion = np.einsum("bn,bn->b", w2 * residual, residual) / df if df > 0 else \
            np.full(y.shape[0], np.nan)
        inv_s0 = 1.0 / s0
        hat = w2 * design.spread(inv_s0)
        # η at (target level, t = 0): a_target = z̄ − β t̄, so η₀ = its level mean minus β t̄.
        level_mean = eta[:, first_row]
        if trend:
            tbar = design.sums(w2 * design.time) / s0
            dt = design.time - design.spread(tbar)
            d = np.einsum("bn,bn->b", w2 * dt, dt)
            hat = hat + w2 * dt**2 / d[:, None]
            eta0 = level_mean - beta * design.time[first_row]
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
