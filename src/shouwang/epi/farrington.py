"""Farrington flexible (Noufaily et al. 2013), exactly as R's ``surveillance::farringtonFlexible``
(1.20.3), for weekly series given as consecutive time steps.

For each evaluated week k (1-based) and each series, a quasi-Poisson log-linear model is fitted
to the weeks of the b previous years around week k (windows k − i·freq ± w, i = 1 … b), plus —
with noPeriods > 1 — every other week from k − b·freq − w on, grouped into a seasonal factor of
noPeriods levels (the windows form level noPeriods, the weeks between two windows are cut into
noPeriods − 1 blocks in order). The weeks k − pastWeeksNotIncluded … k are left out.

The model (R's ``algo.farrington.fitGLM.flexible`` and ``algo.farrington.glm``):

1. Fit log μ = level + β·week (the trend only when ``trend``); if IRLS does not converge,
   drop the trend; if it still does not, the week has no result (all NA, as R).
2. φ = max(dispersion, 1). With ``reweight``, the Anscombe residuals
   s = 3/2 (y^(2/3) μ^(−1/6) − μ^(1/2)) / √(φ (1 − h)) give weights γ s⁻² where
   s > weightsThreshold and γ elsewhere (γ making them average 1), and the model is refitted
   with them; φ = max(dispersion, 1) again.
3. The trend is kept when b ≥ 3, its t-test p-value < pThresholdTrend and the predicted count
   at week k is not above the largest count of the fit; otherwise step 1–2 are redone without it.
4. The threshold at level α (one-sided):
   * ``"delta"`` (R's default, Farrington 1996): with μ₀, its standard error from the
     prediction and τ = φ + se²/μ₀, the upperbound is (μ₀^e + z_{1−α} σ)^(1/e), e = 2/3 by
     default (``powertrans``), σ² = 4/9 μ₀^(1/3) τ.
   * ``"nbPlugin"``: the (1 − α) quantile of the negative binomial with mean μ₀ = e^η₀ and
     variance φ μ₀ (Poisson when φ = 1); ``"muan"``: the same with μ₀ the upper (1 − α)
     confidence limit of the mean, exp(η₀ + z_{1−α} se(η₀)).
5. limit54 = (5, 4): when fewer than 5 cases occurred in the last 4 weeks (week k included) the
   upperbound and expected are NA and there is no alarm. Otherwise alarm = score > 1 and y ≠ 0,
   score = (y − fit)/(upperbound − fit), where "fit" is the prediction on R's scale: the mean
   for "delta", the linear predictor η₀ for the other two (R's quirk, reproduced).

R's defaults, reproduced: b = 5, w = 3, reweight, weightsThreshold 2.58, alpha 0.05, trend,
pThresholdTrend 0.05, limit54 (5, 4), powertrans "2/3", noPeriods 1, pastWeeksNotIncluded = w,
thresholdMethod "delta", populationOffset FALSE. Noufaily et al. recommend noPeriods = 10,
pastWeeksNotIncluded = 26 and "nbPlugin"; pass those for their method.

Time: without dates the reference weeks lie exactly freq steps back (R's sts with
``epochAsDate = FALSE``); with weekly ``dates`` they are found by calendar year as R does for a
dated sts (``epochAsDate = TRUE``), 52 or 53 weeks a year. A window reaching one week before
the series is cut as R cuts it.

Differences from R, by design (docs/decisions/0930-farrington-flexible.md): ``populationOffset``
is not offered; missing counts are refused rather than dropped from the fit; dates are for
weekly series only.

All series and all evaluated weeks are fitted at once: weeks whose reference weeks lie equally
far back share one design (with integer steps, all of them), so the IRLS of
shouwang.epi.farrington_glm runs on a (problems × rows) matrix.

References
----------
Farrington CP, Andrews NJ, Beale AD, Catchpole MA (1996). A statistical algorithm for the early
detection of outbreaks of infectious disease. J R Stat Soc A 159(3):547-563. doi:10.2307/2983331
Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A (2013). An improved
algorithm for outbreak detection in multiple surveillance systems. Stat Med 32(7):1206-1222.
doi:10.1002/sim.5595
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from shouwang.epi.ears import CountsError, count_matrix, resolve_range
from shouwang.epi.farrington_glm import EPS, LevelDesign, LevelFit, Response, fit_levels

ThresholdMethod = Literal["delta", "nbPlugin", "muan"]
PowerTrans = Literal["2/3", "1/2", "none"]
THRESHOLD_METHODS: tuple[ThresholdMethod, ...] = ("delta", "nbPlugin", "muan")
POWER_TRANSFORMS: tuple[PowerTrans, ...] = ("2/3", "1/2", "none")
_EXPONENT = {"none": 1.0, "1/2": 1 / 2, "2/3": 2 / 3}
_CELLS_PER_CHUNK = 100_000   # problems × rows per batch: the working arrays stay in cache

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class FarringtonControl:
    """farringtonFlexible's control list, with R's defaults."""

    b: int = 5
    w: int = 3
    reweight: bool = True
    weights_threshold: float = 2.58
    alpha: float = 0.05
    trend: bool = True
    p_threshold_trend: float = 0.05
    limit54: tuple[float, int] = (5, 4)
    powertrans: PowerTrans = "2/3"
    no_periods: int = 1
    past_weeks_not_included: int | None = None   # None: w, as R
    threshold_method: ThresholdMethod = "delta"
    freq: int = 52

    def __post_init__(self) -> None:
        if int(self.b) != self.b or self.b < 1:
            raise CountsError(f"b (years back) must be an integer ≥ 1, got {self.b}")
        if int(self.w) != self.w or self.w < 0:
            raise CountsError(f"w (half-window) must be an integer ≥ 0, got {self.w}")
        if int(self.freq) != self.freq or self.freq < 2 * self.w + 2:
            raise CountsError(f"freq must be an integer > 2w + 1, got {self.freq}")
        if not 0 < self.alpha < 1:
            raise CountsError(f"alpha must be in (0, 1), got {self.alpha}")
        if not self.weights_threshold > 0:
            raise CountsError(f"weights_threshold must be > 0, got {self.weights_threshold}")
        cases, period = self.limit54
        if not (cases >= 0 and period > 0 and int(period) == period):
            raise CountsError("limit54 must be (cases ≥ 0, weeks ≥ 1) "
                              f"(R: 'The limit54 arguments are out of bounds'), got {self.limit54}")
        if self.powertrans not in POWER_TRANSFORMS:
            raise CountsError(f"powertrans must be one of {', '.join(POWER_TRANSFORMS)}, "
                              f"got {self.powertrans!r}")
        if self.threshold_method not in THRESHOLD_METHODS:
            raise CountsError(f"threshold_method must be one of {', '.join(THRESHOLD_METHODS)}, "
                              f"got {self.threshold_method!r}")
        if int(self.no_periods) != self.no_periods or self.no_periods < 1:
            raise CountsError(f"no_periods must be an integer ≥ 1, got {self.no_periods}")
        between = self.freq - 2 * self.w - 1
        if self.no_periods > 1 and between < self.no_periods - 1:
            raise CountsError(f"no_periods = {self.no_periods} is too big: only {between} weeks "
                              "lie between two reference windows (R: 'Number of factors too big')")
        if self.past_weeks_not_included is not None and (
                int(self.past_weeks_not_included) != self.past_weeks_not_included
                or self.past_weeks_not_included < 0):
            raise CountsError("past_weeks_not_included must be an integer ≥ 0, "
                              f"got {self.past_weeks_not_included}")

    @property
    def excluded(self) -> int:
        return self.w if self.past_weeks_not_included is None else self.past_weeks_not_included

    @property
    def first_week(self) -> int:
        """The earliest week that can be evaluated (also R's default range start)."""
        return self.freq * self.b + self.w + 1


@dataclass(frozen=True)
class FarringtonResult:
    """Per evaluated week: arrays shaped (series, len(t)); NaN where R gives NA."""

    t: NDArray[np.int64]          # 1-based weeks evaluated (R's control$range)
    observed: FloatArray
    expected: FloatArray          # R's control$expected
    upperbound: FloatArray
    alarm: NDArray[np.bool_]      # False where R's alarm is NA (no model)
    score: FloatArray             # R's control$score
    pvalue: FloatArray            # R's control$pvalue
    trend: NDArray[np.bool_]      # the final model kept the time trend
    trend_coef: FloatArray        # R's control$trendVector: the slope, NaN without trend
    phi: FloatArray               # R's control$phiVector
    mu0: FloatArray               # R's control$mu0Vector
    fitted: NDArray[np.bool_]     # a model converged (R: NA everywhere otherwise)

    @property
    def alarm_defined(self) -> NDArray[np.bool_]:
        return self.fitted


def farrington_design(control: FarringtonControl, back: Sequence[int] | None = None,
                      first_offset: int | None = None
                      ) -> tuple[NDArray[np.intp], LevelDesign, int]:
    """The rows of a fit, as R's ``blocks``: offsets from week k, their levels, target level.

    ``back`` lists how many weeks before k the b reference weeks lie (default i·freq); rows
    before ``first_offset`` (the series' first week, when a window reaches past it) are left
    out as R does. Returns (offsets, design, target) with design.time = offsets (k is time 0).
    """
    w, p = control.w, control.no_periods
    back = [i * control.freq for i in range(1, control.b + 1)] if back is None else list(back)
    span = back[-1] + w + 1
    factors = np.full(span, np.nan)   # index i ↔ offset i − (span − 1)
    now = span - 1
    factors[now - w:now + 1] = p
    later = now
    for weeks_back in back:
        ref = now - weeks_back
        factors[ref - w:ref + w + 1] = p
        if p != 1:
            period = later - 2 * w - 1 - ref
            if period < p - 1:
                raise CountsError(f"no_periods = {p} is too big: only {period} weeks lie between "
                                  "two reference windows (R: 'Number of factors too big')")
            lengths = np.full(p - 1, period // (p - 1))
            lengths[:period % (p - 1)] += 1
            edges = ref + w + 1 + np.concatenate([[0], np.cumsum(lengths)])
            for j in range(p - 1):
                factors[edges[j]:edges[j + 1]] = j + 1
        later = ref
    factors[max(0, now - control.excluded):now + 1] = np.nan
    if first_offset is not None:
        factors[:max(0, first_offset + now)] = np.nan
    rows = np.flatnonzero(~np.isnan(factors))
    levels, level_index = np.unique(factors[rows], return_inverse=True)
    if p not in levels:
        raise CountsError("pastWeeksNotIncluded removes every reference window")
    order = np.argsort(level_index, kind="stable")   # rows grouped by level, in time order
    offsets = (rows - now)[order]
    design = LevelDesign(level=level_index[order].astype(np.intp),
                         time=offsets.astype(np.float64), n_levels=levels.size)
    return offsets.astype(np.intp), design, int(np.flatnonzero(levels == p)[0])


def _years_back(day: date, years: int) -> date:
    """R's seq(day, by = "-1 year"): the same day of the month; 29 February → 1 March."""
    year = day.year - years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return day.replace(year=year)


def reference_weeks_back(control: FarringtonControl, weeks: NDArray[np.int64],
                         dates: Sequence[date] | None) -> NDArray[np.int64]:
    """Weeks between each evaluated week k and its b reference weeks, shape (len(weeks), b).

    Without dates (R's epochAsDate = FALSE) exactly i·freq. With weekly dates (epochAsDate =
    TRUE) as R's algo.farrington.referencetimepoints: the same date i years earlier, moved to
    the nearest day of k's weekday — 52 or 53 weeks a year, so 260 or 261 for five years.
    """
    b = control.b
    if dates is None:
        return np.tile(np.arange(1, b + 1) * control.freq, (weeks.size, 1))
    out = np.empty((weeks.size, b), dtype=np.int64)
    for row, k in enumerate(weeks):
        day = dates[k - 1]
        for i in range(1, b + 1):
            ref = _years_back(day, i)
            shift = (ref.isoweekday() % 7) - (day.isoweekday() % 7)   # R's %w difference
            a = ref - timedelta(days=shift)
            other = a + timedelta(days=-7 if a > ref else 7)
            chosen = other if abs((a - ref).days) > abs((other - ref).days) else a
            out[row, i - 1] = (day - chosen).days // 7
    return out


def farrington_flexible(counts: ArrayLike, control: FarringtonControl | None = None, *,
                        range_start: int | None = None, range_end: int | None = None,
                        dates: Sequence[date] | None = None) -> FarringtonResult:
    """Farrington flexible for every series and every week of the range at once.

    Parameters
    ----------
    counts : array (series, weeks) or (weeks,)
        Non-negative weekly counts, consecutive weeks.
    control : FarringtonControl
        The options (R's defaults when omitted).
    range_start, range_end : int, optional
        1-based inclusive weeks to evaluate; default from freq·b + w + 1 (R's) to the last.
    dates : sequence of dates, optional
        The date of every week (7 days apart): reference weeks are then found by calendar
        year as R does for an sts with ``epochAsDate = TRUE``; needs freq = 52.
    """
    control = control or FarringtonControl()
    x = count_matrix(counts)
    if dates is not None:
        dates = list(dates)
        if control.freq != 52:
            raise CountsError("dates are supported for weekly series only (freq = 52)")
        if len(dates) != x.shape[1]:
            raise CountsError(f"{len(dates)} dates for {x.shape[1]} weeks")
        if any((b - a).days != 7 for a, b in itertools.pairwise(dates)):
            raise CountsError("dates must be consecutive weeks, 7 days apart")
    first = control.first_week
    if range_start is None and x.shape[1] < first:
        raise CountsError(
            f"too few time steps: the series has {x.shape[1]} weeks; with b = {control.b}, "
            f"w = {control.w} and freq = {control.freq} the first week evaluated is {first}")
    start, end = resolve_range(x.shape[1], first, range_start, range_end,
                               first_allowed=min(first, control.freq * control.b + 1))
    weeks = np.arange(start, end + 1)
    back = reference_weeks_back(control, weeks, dates)
    oldest = weeks - back[:, -1]
    too_early = (oldest < 1) | (oldest - control.w < 0)
    if too_early.any():
        k = int(weeks[np.flatnonzero(too_early)[0]])
        raise CountsError(f"range start {start} is too early: week {k}'s oldest reference week "
                          f"and its window reach before the first week (R: 'Some reference "
                          "time points did not exist; decrease 'b' or postpone 'range'')")
    n_series, n_weeks = x.shape[0], weeks.size
    y_now = x[:, weeks - 1]
    recent = np.zeros((n_series, n_weeks))
    for i in range(int(control.limit54[1])):
        recent += x[:, weeks - 1 - i]
    out = {name: np.full((n_series, n_weeks), np.nan)
           for name in ("expected", "upperbound", "score", "pvalue", "trend_coef", "phi", "mu0",
                        "trend", "fitted", "alarm")}
    # Weeks whose reference weeks lie equally far back (and equally cut by the series' start)
    # share one design; with integer time steps that is every week.
    truncated = np.where(oldest - control.w == 0, 1, 0)
    keys = np.column_stack([back, truncated])
    _, group_of = np.unique(keys, axis=0, return_inverse=True)
    for group in range(int(group_of.max()) + 1):
        members = np.flatnonzero(group_of.reshape(-1) == group)
        k0 = int(weeks[members[0]])
        offsets, design, target = farrington_design(
            control, back[members[0]], first_offset=1 - k0 if truncated[members[0]] else None)
        _evaluate_group(x, weeks[members], offsets, design, target, y_now[:, members],
                        recent[:, members], control, out, members)
    fitted = out["fitted"] == 1
    return FarringtonResult(
        t=weeks.astype(np.int64), observed=y_now, expected=out["expected"],
        upperbound=out["upperbound"], alarm=out["alarm"] == 1, score=out["score"],
        pvalue=out["pvalue"], trend=out["trend"] == 1, trend_coef=out["trend_coef"],
        phi=out["phi"], mu0=out["mu0"], fitted=fitted)


def _evaluate_group(x: FloatArray, weeks: NDArray[np.int64], offsets: NDArray[np.intp],
                    design: LevelDesign, target: int, y_now: FloatArray, recent: FloatArray,
                    control: FarringtonControl, out: dict[str, FloatArray],
                    members: NDArray[np.intp]) -> None:
    """Evaluate every (series, week) of one design in cache-sized chunks, into out[:, members]."""
    n_series, n_weeks = y_now.shape
    columns = (weeks - 1)[:, None] + offsets[None, :]
    chunk = max(64, _CELLS_PER_CHUNK // offsets.size)
    flat_x = x.reshape(-1)
    flat_now, flat_recent = y_now.reshape(-1), recent.reshape(-1)
    part_out = {name: np.full(n_series * n_weeks, np.nan) for name in out}
    for lo in range(0, n_series * n_weeks, chunk):
        problem = np.arange(lo, min(lo + chunk, n_series * n_weeks))
        series, week = np.divmod(problem, n_weeks)
        y = flat_x[(series * x.shape[1])[:, None] + columns[week]]
        part = _evaluate(design, target, y, flat_now[problem], flat_recent[problem], control)
        for name, values in part.items():
            part_out[name][problem] = values
    for name, values in part_out.items():
        out[name][:, members] = values.reshape(n_series, n_weeks)


def _anscombe_weights(y23: FloatArray, fit: LevelFit, phi: FloatArray,
                      threshold: float) -> FloatArray:
    """R's anscombe.residuals then algo.farrington.assign.weights, per problem.

    s = 3/2 (y^(2/3) μ^(−1/6) − μ^(1/2)) / √(φ (1 − h)), with y23 = y^(2/3) given; the powers
    of μ by sqrt and cbrt (equal to R's to a few ulps, much faster than pow).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        hat = np.where(fit.hat > 1 - 10 * EPS, 1.0, fit.hat)
        root = np.sqrt(fit.mu)
        s = 3 / 2 * (y23 / np.cbrt(root) - root)
        s = s / np.sqrt(phi[:, None] * (1 - hat))
        high = s > threshold
        inv2 = np.where(high, 1.0 / (s * s), 1.0)
        gamma = y23.shape[1] / inv2.sum(axis=1)
        return np.asarray(gamma[:, None] * inv2, dtype=np.float64)


def _fit_flexible(design: LevelDesign, target: int, response: Response, trend: bool,
                  control: FarringtonControl) -> tuple[LevelFit, FloatArray, NDArray[np.bool_]]:
    """R's algo.farrington.fitGLM.flexible: (fit, φ, has_trend); fit.converged False = NULL."""
    y = response.y
    fit = fit_levels(design, response, trend=trend, target_level=target)
    has_trend = np.full(y.shape[0], trend)
    if trend and not fit.converged.all():
        redo = np.flatnonzero(~fit.converged)
        fit.take(fit_levels(design, response[redo], trend=False, target_level=target), redo)
        has_trend[redo] = False
    phi = np.maximum(fit.dispersion, 1.0)
    if control.reweight:
        omega = _anscombe_weights(np.square(np.cbrt(y)), fit, phi, control.weights_threshold)
        converged = fit.converged.copy()   # R does not check convergence of the reweighted fit
        for with_trend in (True, False):
            group = np.flatnonzero(has_trend == with_trend)
            if group.size:
                fit.take(fit_levels(design, response[group], trend=with_trend, target_level=target,
                                    prior=omega[group]), group)
        fit.converged = converged
        phi = np.maximum(fit.dispersion, 1.0)
        # R then stores the prior weights ω as the model's `weights` (the working weights'
        # slot), so every later summary.glm — the trend's t-test and predict()'s standard
        # error — uses the dispersion Σ ω r² / df with r = (y − μ)/μ the working residuals.
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (y - fit.mu) / fit.mu
            fit.dispersion = np.einsum("bn,bn->b", omega * r, r) / fit.df_residual
    return fit, phi, has_trend


def _evaluate(design: LevelDesign, target: int, y: FloatArray, y_now: FloatArray,
              recent: FloatArray, control: FarringtonControl) -> dict[str, FloatArray]:
    """algo.farrington.glm, the threshold and farringtonFlexible's bookkeeping for B problems."""
    response = Response(y)
    fit, phi, has_trend = _fit_flexible(design, target, response, control.trend, control)
    do_trend = np.zeros(y.shape[0], dtype=bool)
    if control.trend:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            pred = np.maximum(np.exp(fit.eta0), EPS)
            t_value = fit.slope / np.sqrt(fit.dispersion * fit.slope_var)
            p_value = 2 * stats.t.sf(np.abs(t_value), fit.df_residual)
        do_trend = (has_trend & fit.converged & (control.b >= 3)
                    & (p_value < control.p_threshold_trend) & (pred <= y.max(axis=1)))
        redo = np.flatnonzero(has_trend & fit.converged & ~do_trend)
        if redo.size:
            refit, phi_redo, _ = _fit_flexible(design, target, response[redo], False,
                                              control)
            fit.take(refit, redo)
            phi[redo] = phi_redo
    ok = fit.converged
    z = float(stats.norm.ppf(1 - control.alpha))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        se_link = np.sqrt(fit.dispersion * fit.var0)
        eta0 = fit.eta0
        if control.threshold_method == "delta":
            predicted = np.maximum(np.exp(eta0), EPS)
            se_pred = se_link * predicted
            upper, pvalue = _delta_threshold(predicted, se_pred, phi, y_now, control, z)
            mu0 = np.exp(predicted + se_pred * z)
            expected = predicted
        else:
            predicted, se_pred = eta0, se_link
            mean = np.exp(eta0) if control.threshold_method == "nbPlugin" else \
                np.exp(eta0 + se_link * z)
            upper, pvalue = _nb_threshold(mean, phi, y_now, control.alpha)
            mu0 = mean
            expected = np.exp(eta0)
        score = np.where(np.isnan(upper), np.nan, (y_now - predicted) / (upper - predicted))
    enough = recent >= control.limit54[0]
    defined = ok & enough
    alarm = defined & (score > 1) & (y_now != 0)
    nan = np.full(y.shape[0], np.nan)
    return {
        "expected": np.where(defined & ~np.isnan(upper), expected, nan),
        "upperbound": np.where(defined, upper, nan),
        "alarm": alarm.astype(np.float64),
        "score": np.where(ok, score, nan),
        "pvalue": np.where(ok, pvalue, nan),
        "trend": np.where(ok, do_trend, nan),
        "trend_coef": np.where(ok & do_trend, fit.slope, nan),
        "phi": np.where(ok, phi, nan),
        "mu0": np.where(ok, mu0, nan),
        "fitted": ok.astype(np.float64),
    }


def _delta_threshold(mu0: FloatArray, se_fit: FloatArray, phi: FloatArray, y: FloatArray,
                     control: FarringtonControl, z: float) -> tuple[FloatArray, FloatArray]:
    """R's algo.farrington.threshold.farrington: upper limit and p-value."""
    e = _EXPONENT[control.powertrans]
    tau = phi + se_fit**2 / mu0
    if control.powertrans == "none":
        se = np.sqrt(mu0 * tau)
    elif control.powertrans == "1/2":
        se = np.sqrt(1 / 4 * tau)
    else:
        se = np.sqrt(4 / 9 * mu0 ** (1 / 3) * tau)
    low = (mu0**e - z * se) ** (1 / e)
    high = (mu0**e + z * se) ** (1 / e)
    upper = np.where(np.isnan(low), high, np.where(np.isnan(high), low, np.maximum(low, high)))
    pvalue = stats.norm.sf(y**e, loc=mu0**e, scale=se)
    return np.asarray(upper, dtype=np.float64), np.asarray(pvalue, dtype=np.float64)


def _nb_threshold(mean: FloatArray, phi: FloatArray, y: FloatArray,
                  alpha: float) -> tuple[FloatArray, FloatArray]:
    """R's algo.farrington.threshold.noufaily: NB(mean, φ·mean) quantile, Poisson when φ = 1."""
    finite = np.isfinite(mean)
    over = phi > 1
    size = np.where(over, mean / np.where(over, phi - 1, 1.0), 1.0)
    prob = 1 / phi
    upper = np.where(over, stats.nbinom.ppf(1 - alpha, size, prob),
                     stats.poisson.ppf(1 - alpha, mean))
    pvalue = np.where(phi != 1, stats.nbinom.sf(y - 1, size, prob), stats.poisson.sf(y - 1, mean))
    upper = np.where(finite, upper, np.nan)
    pvalue = np.where(finite, pvalue, np.nan)
    return np.asarray(upper, dtype=np.float64), np.asarray(pvalue, dtype=np.float64)
