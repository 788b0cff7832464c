"""Early-warning results shaped as the nightly job stores them, for the result pages and API.

The numbers are real: R_t from shouwang.epi.rt, the nowcast from shouwang.epi.nowcast on a
reporting triangle with simulated delays, the forecast from shouwang.epi.forecast, all on seeded
synthetic outbreaks. The daily counts under the charts go in through the surveillance service
that adds count deltas (`daily_counts_add`). Series are written as rows: producing them is the
nightly job's work, which has its own tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from shouwang.epi.forecast import forecast
from shouwang.epi.nowcast import NowcastOptions, nowcast, triangle_from_cases
from shouwang.epi.rt import estimate_r
from shouwang.surveillance.models import DateBasis
from shouwang.surveillance.services.counts import daily_counts_add
from shouwang.warning.models import Method, RunStatus, ScanCluster, SeriesResult, WarningRun

MEAN_SI, SD_SI = 4.7, 2.9  # covid19's serial interval in warning/data/serial_intervals.csv
DAYS = 90  # days of counts the R_t reads (the job's rt_days)
KEEP = 60  # R_t windows stored (the job's rt_keep)
MAX_DELAY = 14

# County → the shape of its synthetic outbreak: growth rate per day before and after day 60.
COUNTIES: dict[str, tuple[float, float]] = {
    "420106": (0.02, 0.07),   # 武昌区: taking off (R_t credibly above 1)
    "420111": (0.06, -0.06),  # 洪山区: past its peak (R_t below 1)
    "420606": (0.03, 0.0),    # 樊城区: steady
    "430102": (0.04, 0.02),   # 芙蓉区
}
# Each level's divisions and the counties they add up.
ROLL_UP: dict[str, tuple[str, list[str]]] = {
    "420100": ("prefecture", ["420106", "420111"]),
    "420600": ("prefecture", ["420606"]),
    "430100": ("prefecture", ["430102"]),
    "420000": ("province", ["420106", "420111", "420606"]),
    "430000": ("province", ["430102"]),
    "000000": ("nation", list(COUNTIES)),
}


def outbreak(growth_before: float, growth_after: float, *, days: int = DAYS,
             seed: int = 0) -> np.ndarray:
    """Daily cases: Poisson around a curve growing (or falling) at one rate, then another."""
    rate = np.where(np.arange(days) < 60, growth_before, growth_after)
    level = 4.0 * np.exp(np.cumsum(rate))
    return np.random.default_rng(seed).poisson(level).astype(np.int64)


def _clean(values: Iterable[Any]) -> list[float | None]:
    return [None if v is None or not np.isfinite(v) else round(float(v), 4) for v in values]


def make_run(day: date, *, disease: str = "covid19", status: str = RunStatus.DONE) -> WarningRun:
    run, _ = WarningRun.objects.update_or_create(
        day=day, disease_id=disease,
        defaults={"basis": DateBasis.ONSET, "status": status,
                  "finished_at": timezone.now() if status == RunStatus.DONE else None,
                  "figures": {"rt_window": 7}})
    return run


def _series(run: WarningRun, method: str, code: str, level: str, data: dict[str, list[Any]],
            main: str, lower: str, upper: str) -> SeriesResult:
    row, _ = SeriesResult.objects.update_or_create(
        run=run, method=method, division_code=code,
        defaults={"level": level, "data": data, "latest": data[main][-1],
                  "latest_lower": data[lower][-1], "latest_upper": data[upper][-1]})
    return row


def add_rt(run: WarningRun, code: str, level: str, cases: np.ndarray) -> SeriesResult:
    est = estimate_r(cases, mean_si=MEAN_SI, std_si=SD_SI)
    first = run.day - timedelta(days=len(cases) - 1)
    t = [(first + timedelta(days=int(e) - 1)).isoformat() for e in est.t_end][-KEEP:]
    data = {"t": t, "mean": _clean(est.mean[0][-KEEP:]), "sd": _clean(est.std[0][-KEEP:]),
            "lower": _clean(est.quantile(0.025)[0][-KEEP:]),
            "median": _clean(est.median[0][-KEEP:]),
            "upper": _clean(est.quantile(0.975)[0][-KEEP:])}
    return _series(run, Method.RT, code, level, data, "mean", "lower", "upper")


def reports(cases: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each case's onset day and report day (0 = the first day): a geometric reporting delay
    (mean about two days), capped at MAX_DELAY."""
    rng = np.random.default_rng(seed)
    event = np.repeat(np.arange(len(cases)), cases)
    return event, event + np.minimum(rng.geometric(0.35, event.size) - 1, MAX_DELAY)


def reported_by(event: np.ndarray, report: np.ndarray, days: int) -> np.ndarray:
    """Cases per onset day known on the last day (what the daily counts hold that night)."""
    return np.bincount(event[report <= days - 1], minlength=days).astype(np.int64)


def add_nowcast(run: WarningRun, code: str, level: str, event: np.ndarray, report: np.ndarray,
                days: int, *, seed: int = 0) -> SeriesResult:
    """The nowcast of the reporting triangle as of the run's day (its last 28 days stored)."""
    tri = triangle_from_cases(event, report, now=days - 1, days=days, max_delay=MAX_DELAY)
    nc = nowcast(tri, NowcastOptions(levels=(0.95,), samples=500, seed=seed))
    first = run.day - timedelta(days=days - 1)
    keep = slice(days - 28, days)
    data = {"t": [(first + timedelta(days=i)).isoformat() for i in range(days)][keep],
            "observed": _clean(nc.observed[0][keep]), "nowcast": _clean(nc.nowcast[0][keep]),
            "median": _clean(nc.median[0][keep]), "lower": _clean(nc.lower[0.95][0][keep]),
            "upper": _clean(nc.upper[0.95][0][keep])}
    return _series(run, Method.NOWCAST, code, level, data, "median", "lower", "upper")


def add_forecast(run: WarningRun, code: str, level: str, cases: np.ndarray, *,
                 horizon: int = 14, seed: int = 0) -> SeriesResult:
    fc = forecast(cases, horizon=horizon, mean_si=MEAN_SI, std_si=SD_SI, samples=500,
                  seed=seed, levels=(0.5, 0.95))
    data = {"t": [(run.day + timedelta(days=h)).isoformat() for h in range(1, horizon + 1)],
            "median": _clean(fc.median[0]), "lower": _clean(fc.lower[0, 1]),
            "upper": _clean(fc.upper[0, 1]), "lower_50": _clean(fc.lower[0, 0]),
            "upper_50": _clean(fc.upper[0, 0])}
    return _series(run, Method.FORECAST, code, level, data, "median", "lower", "upper")


def add_cluster(run: WarningRun, rank: int, centre: str, members: list[str], *,
                radius_km: float = 12.0, days: int = 5, observed: int = 40,
                expected: float = 14.5, llr: float = 18.2, p_value: float = 0.001,
                focus: str | None = None) -> ScanCluster:
    cluster, _ = ScanCluster.objects.update_or_create(
        run=run, rank=rank,
        defaults={"centre_code": centre, "focus_code": focus or centre,
                  "division_codes": members, "radius_km": radius_km,
                  "start": run.day - timedelta(days=days - 1), "end": run.day,
                  "observed": observed, "expected": expected, "llr": llr,
                  "p_value": p_value})
    return cluster


def add_counts(day: date, county: str, cases: np.ndarray, *, disease: str = "covid19") -> None:
    """The onset-date counts of the county, ending on `day`, through the surveillance service."""
    first = day - timedelta(days=len(cases) - 1)
    deltas = {(county, first + timedelta(days=i), DateBasis.ONSET.value, disease, "confirmed"):
              int(n) for i, n in enumerate(cases) if n}
    with transaction.atomic():
        daily_counts_add(deltas)


def make_results(day: date, *, disease: str = "covid19", counts: bool = True,
                 only: Iterable[str] | None = None) -> WarningRun:
    """A finished run of `day` with R_t, nowcast and forecast for the sample counties and the
    divisions above them, two clusters in Hubei and one in Hunan, and (with `counts`) the
    counties' onset counts as reported by that day. `only`: restrict the series to these
    division codes. R_t and the forecast read the full synthetic curve (as if the job had
    corrected the latest days), the nowcast the reporting triangle of the same cases.

    Counts are added, not replaced: call it once per day and disease."""
    run = make_run(day, disease=disease)
    wanted = set(only) if only is not None else None
    cases = {code: outbreak(*shape, seed=i) for i, (code, shape) in enumerate(COUNTIES.items())}
    known = {code: reports(c, seed=100 + i) for i, (code, c) in enumerate(cases.items())}
    levels = {code: "county" for code in COUNTIES}
    for code, (level, parts) in ROLL_UP.items():
        cases[code] = np.sum([cases[p] for p in parts], axis=0)
        known[code] = (np.concatenate([known[p][0] for p in parts]),
                       np.concatenate([known[p][1] for p in parts]))
        levels[code] = level
    for i, (code, series) in enumerate(cases.items()):
        if wanted is not None and code not in wanted:
            continue
        add_rt(run, code, levels[code], series)
        add_nowcast(run, code, levels[code], *known[code], len(series), seed=i)
        add_forecast(run, code, levels[code], series, seed=i)
    add_cluster(run, 1, "420106", ["420106", "420111"], radius_km=9.5)
    add_cluster(run, 2, "420606", ["420606"], radius_km=0.0, observed=12, expected=5.1,
                llr=3.1, p_value=0.21)
    add_cluster(run, 3, "430102", ["430102"], radius_km=0.0, observed=9, expected=3.2,
                llr=2.9, p_value=0.32)
    if counts:
        for code in COUNTIES:
            add_counts(day, code, reported_by(*known[code], DAYS), disease=disease)
    return run
