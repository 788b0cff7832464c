"""Detection delay and false-alarm rate of each early-warning method on synthetic outbreaks with
known start dates. Pure numpy on shouwang.epi; no database.

Setup (seeded, so every run gives the same table):
- 400 counties on a 20 × 20 grid of centroids 0.25° apart (about 25 km), with endemic daily
  report counts: Poisson with a county mean drawn from Gamma(2, 1) (mean 2 a day), an annual
  season (± 30 %) and fewer reports at weekends (× 0.7), over 5 years and 150 days — five
  years so that Farrington flexible has its R defaults (b = 5 years back).
- 20 of them get an outbreak: shouwang.epi.outbreak.simulate_outbreak for one region of
  300,000 people (its COVID-19-like defaults but R0 2.0 and control from day 30, 5 imported
  seeds, no travel: tens to thousands of cases), seeded on a random day among the first 60
  of the last 150 (the study period); its cases are added to the county's counts on their
  report day. The true start of an outbreak is the report day of its first case. An outbreak
  with fewer than 20 cases died out: it is scored neither as detected nor missed, and its
  county not as quiet.
- Every method is run as the nightly job runs it (services.nightly_config defaults), day by
  day over the study period: EARS C1/C2/C3 (R's defaults, 7-day baseline); CUSUM (28 days
  evaluated after 62 days that train its mean, k = 1.04, h = 2.26); Farrington flexible (R's
  defaults) on weeks ending on the study's last day and every 7 days before; the prospective
  space-time permutation scan on the last 28 days (30 locations, 14 days, p < 0.05, 199
  replicates here instead of 999), scored twice: a county alarms when it is the centre of a
  significant cluster (where the job raises the alert) or when it lies anywhere in one; and
  the R_t rule (the lower bound of R_t's 95 % interval above 1 for 7 days in a row with ≥ 10
  cases over them; serial interval 4.7 ± 2.9 days, on the report-date counts since the
  synthetic counts have no onset dates).

Figures per method: outbreaks detected (an alarm in the outbreak's county on or after its true
start within the study period), detection delay in days (first such alarm − true start:
median, mean, max) and false alarms per county-week (alarm days — alarm weeks for Farrington —
in the 380 counties without an outbreak, divided by their county-weeks in the study period).

    .venv/bin/python -m bench.bench_warning_detection
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bench.common import write_result
from shouwang.epi.cusum import cusum
from shouwang.epi.ears import ears_c
from shouwang.epi.farrington import farrington_flexible
from shouwang.epi.outbreak import OutbreakParams, simulate_outbreak
from shouwang.epi.rt import PosteriorCVWarning, estimate_r
from shouwang.epi.scan import ScanOptions, space_time_permutation_scan

GRID = 20
N_COUNTIES = GRID * GRID
STUDY = 150
HISTORY = 5 * 364 + 28        # five years of weeks before the study, and the window w
DAYS = HISTORY + STUDY
N_OUTBREAKS = 20
SEED = 20261129
SI_MEAN, SI_SD = 4.7, 2.9     # COVID-19 (data/serial_intervals.csv)
RT_DAYS, RT_MIN_CASES = 7, 10
SCAN_REPLICATES = 199
R0, CONTROL_DAY = 2.0, 30     # a modest outbreak, brought under control a month in
MIN_OUTBREAK_CASES = 20       # fewer: the outbreak died out, nothing to detect

Alarms = NDArray[np.bool_]     # (counties, STUDY) days on which each county is in alarm


def endemic_counts(rng: np.random.Generator) -> NDArray[np.int64]:
    means = rng.gamma(2.0, 1.0, size=N_COUNTIES)
    t = np.arange(DAYS)
    season = 1 + 0.3 * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
    weekday = np.where(t % 7 >= 5, 0.7, 1.0)
    return rng.poisson(means[:, None] * season[None, :] * weekday[None, :])


def plant_outbreaks(rng: np.random.Generator, counts: NDArray[np.int64],
                    lat: NDArray[np.float64], lon: NDArray[np.float64]
                    ) -> tuple[NDArray[np.int64], dict[int, Any], dict[int, int]]:
    """Adds the outbreaks in place; returns the counties, their true start (study day) and the
    cases each outbreak added within the study period."""
    counties = rng.choice(N_COUNTIES, size=N_OUTBREAKS, replace=False)
    starts: dict[int, Any] = {}
    sizes: dict[int, int] = {}
    for n, c in enumerate(counties.tolist()):
        seed_day = int(rng.integers(0, 60))
        params = OutbreakParams(days=STUDY - seed_day, travel_rate=0.0, initial_seeds=5,
                                r0=R0, intervention_day=CONTROL_DAY)
        ob = simulate_outbreak([300_000.0], [float(lat[c])], [float(lon[c])], params,
                               seed=SEED + n)
        report = np.floor(ob.cases.report_hours / 24).astype(np.int64)
        report = report[report < STUDY - seed_day]
        added = np.bincount(report, minlength=STUDY - seed_day)
        counts[c, HISTORY + seed_day:] += added
        sizes[c] = int(added.sum())
        taken_off = sizes[c] >= MIN_OUTBREAK_CASES
        starts[c] = seed_day + int(report.min()) if taken_off else None
    return counties, starts, sizes


def ears_alarms(counts: NDArray[np.int64], method: str) -> Alarms:
    res = ears_c(counts, method=method, range_start=HISTORY + 1)   # type: ignore[arg-type]
    return np.asarray(res.alarm)


def cusum_alarms(counts: NDArray[np.int64]) -> Alarms:
    """As nightly: each day, 28 days evaluated after 62 training days; the day's alarm."""
    out = np.zeros((N_COUNTIES, STUDY), dtype=bool)
    for d in range(STUDY):
        end = HISTORY + d + 1
        res = cusum(counts[:, end - 90:end], range_start=63)
        out[:, d] = res.alarm[:, -1]
    return out


def farrington_alarms(counts: NDArray[np.int64]) -> tuple[Alarms, NDArray[np.int64]]:
    """Weeks ending on study days 6, 13, …; the alarm marks the week's last day."""
    ends = np.arange(STUDY - 1, -1, -7)[::-1]            # study days ending a week
    n_weeks = (HISTORY + STUDY) // 7
    start_day = HISTORY + STUDY - n_weeks * 7
    weekly = counts[:, start_day:].reshape(N_COUNTIES, n_weeks, 7).sum(axis=2)
    res = farrington_flexible(weekly, range_start=n_weeks - len(ends) + 1)
    out = np.zeros((N_COUNTIES, STUDY), dtype=bool)
    out[:, ends] = res.alarm
    return out, ends


def scan_alarms(counts: NDArray[np.int64], lat: NDArray[np.float64],
                lon: NDArray[np.float64]) -> tuple[Alarms, Alarms]:
    """(every county of a significant cluster, only its centre — where the job alerts)."""
    members = np.zeros((N_COUNTIES, STUDY), dtype=bool)
    centres = np.zeros((N_COUNTIES, STUDY), dtype=bool)
    for d in range(STUDY):
        end = HISTORY + d + 1
        opts = ScanOptions(replicates=SCAN_REPLICATES, seed=SEED + d, alpha=0.05)
        res = space_time_permutation_scan(counts[:, end - 28:end], lon, lat, opts)
        for c in res.clusters:
            if c.p_value < 0.05:
                members[list(c.locations), d] = True
                centres[c.centre, d] = True
    return members, centres


def rt_alarms(counts: NDArray[np.int64]) -> Alarms:
    span = counts[:, HISTORY - 90:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosteriorCVWarning)
        est = estimate_r(span, mean_si=SI_MEAN, std_si=SI_SD, window=7)
    lower = est.quantile(0.025)                           # (counties, windows)
    above = np.nan_to_num(lower, nan=0.0) > 1.0
    out = np.zeros((N_COUNTIES, STUDY), dtype=bool)
    for d in range(STUDY):
        day = 90 + d + 1                                  # 1-based day of `span`
        j = int(np.flatnonzero(est.t_end == day)[0])
        if j + 1 < RT_DAYS:
            continue
        run = above[:, j + 1 - RT_DAYS:j + 1].all(axis=1)
        cases = span[:, day - RT_DAYS:day].sum(axis=1)
        out[:, d] = run & (cases >= RT_MIN_CASES)
    return out


def score(alarms: Alarms, outbreaks: NDArray[np.int64], starts: dict[int, Any],
          weekly: bool = False, week_ends: NDArray[np.int64] | None = None) -> dict[str, Any]:
    """Outbreaks that died out (starts[c] is None) count neither way."""
    delays: list[int] = []
    scored = [c for c in outbreaks.tolist() if starts[c] is not None]
    for c in scored:
        hits = np.flatnonzero(alarms[c, starts[c]:])
        if hits.size:
            delays.append(int(hits[0]))
    quiet = np.setdiff1d(np.arange(N_COUNTIES), outbreaks)
    county_weeks = quiet.size * STUDY / 7
    if weekly and week_ends is not None:
        county_weeks = quiet.size * len(week_ends)
    false_alarms = int(alarms[quiet].sum())
    return {
        "detected": len(delays), "outbreaks": len(scored),
        "delay_median_days": float(np.median(delays)) if delays else None,
        "delay_mean_days": round(float(np.mean(delays)), 1) if delays else None,
        "delay_max_days": int(max(delays)) if delays else None,
        "false_alarms_per_county_week": round(false_alarms / county_weeks, 4),
        "false_alarms": false_alarms, "county_weeks": round(county_weeks, 1),
    }


def markdown(table: dict[str, dict[str, Any]]) -> str:
    lines = ["| method | detected | delay median (days) | delay mean | delay max | "
             "false alarms per county-week | seconds |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, row in table.items():
        lines.append(f"| {name} | {row['detected']}/{row['outbreaks']} | "
                     f"{row['delay_median_days']} | {row['delay_mean_days']} | "
                     f"{row['delay_max_days']} | {row['false_alarms_per_county_week']} | "
                     f"{row['seconds']} |")
    return "\n".join(lines)


def main() -> None:
    rng = np.random.default_rng(SEED)
    lat = np.repeat(30.0 + 0.25 * np.arange(GRID), GRID).astype(np.float64)
    lon = np.tile(112.0 + 0.25 * np.arange(GRID), GRID).astype(np.float64)
    counts = endemic_counts(rng)
    outbreaks, starts, sizes = plant_outbreaks(rng, counts, lat, lon)

    table: dict[str, dict[str, Any]] = {}

    def timed(name: str, fn: Callable[[], Alarms], **kw: Any) -> None:
        t0 = time.perf_counter()
        alarms = fn()
        seconds = time.perf_counter() - t0
        table[name] = {**score(alarms, outbreaks, starts, **kw), "seconds": round(seconds, 2)}

    for method in ("C1", "C2", "C3"):
        timed(f"EARS {method}", lambda m=method: ears_alarms(counts, m))   # type: ignore[misc]
    timed("CUSUM", lambda: cusum_alarms(counts))
    t0 = time.perf_counter()
    far, ends = farrington_alarms(counts)
    table["Farrington flexible"] = {**score(far, outbreaks, starts, weekly=True, week_ends=ends),
                                    "seconds": round(time.perf_counter() - t0, 2)}
    t0 = time.perf_counter()
    members, centres = scan_alarms(counts, lat, lon)
    seconds = round(time.perf_counter() - t0, 2)
    table["scan: centre of a cluster (alerted)"] = {**score(centres, outbreaks, starts),
                                                    "seconds": seconds}
    table["scan: any county of a cluster"] = {**score(members, outbreaks, starts),
                                              "seconds": seconds}
    timed("Rt lower bound > 1 for 7 days", lambda: rt_alarms(counts))
    md = markdown(table)
    print(md)
    write_result("warning_detection", {
        "counties": N_COUNTIES, "study_days": STUDY, "history_days": HISTORY,
        "outbreaks": {str(c): {"true_start_study_day": starts[c], "cases_in_study": sizes[c]}
                      for c in outbreaks.tolist()},
        "scan_replicates": SCAN_REPLICATES, "methods": table, "markdown": md})


if __name__ == "__main__":
    main()
