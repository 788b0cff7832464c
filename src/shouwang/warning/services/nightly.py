"""The nightly early-warning job: every method for every division of every active disease.

    run_early_warning(day=D, diseases=None) -> figures

For each active disease with a case counted in the last `max(rt_days, report_days)` days up to
D, one `WarningRun` (D, disease): it is marked RUNNING (committed, so a page can show it), the
counts are read (one matrix query per date basis, one triangle query) and every method computed
(shouwang.warning.services.nightly_compute); then ONE transaction replaces the run's
SeriesResult and ScanCluster rows, raises or updates the day's alerts
(shouwang.warning.services.raise_alerts) and marks the run DONE with its figures (seconds per
step, series per method, clusters, alerts). Any error — in a read, in any method, in the
writes — rolls that transaction back and marks the run FAILED with the error, holding no
series: a run never shows half a night. Other diseases still run.

Re-running a day replaces the run's results and updates (never duplicates) its alerts. A day
with no case of any active disease is a no-op: no run, no row; the figures say so.
Decision: docs/decisions/0960-early-warning-platform.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from django.db import transaction
from django.utils import timezone

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.surveillance.models import DateBasis
from shouwang.warning.models import RunStatus, ScanCluster, SeriesResult, WarningRun
from shouwang.warning.selectors.nightly_counts import (
    all_counties,
    count_codes,
    county_day_matrix,
    days_between,
    diseases_with_cases,
    first_count_day,
)
from shouwang.warning.selectors.triangle import reporting_triangle
from shouwang.warning.services import nightly_compute as compute
from shouwang.warning.services.nightly_config import (
    NightlySettings,
    SerialInterval,
    nightly_settings,
    serial_intervals,
)
from shouwang.warning.services.raise_alerts import alerts_raise

if TYPE_CHECKING:
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)
T = TypeVar("T")
WEEKS_A_YEAR = 52


class Steps:
    """Seconds per step, in the order they ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, name: str, fn: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 3)


def run_early_warning(*, day: date, diseases: list[str] | None = None,
                      settings: NightlySettings | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """Compute and store the early warning of `day` for every active disease with cases (or
    the listed ones); returns the figures per disease. `now` is when new alerts are raised
    (their verification time starts then; default the clock): a replay of past nights (the
    demo) passes the night's time."""
    cfg = settings or nightly_settings()
    intervals = serial_intervals()
    started = time.perf_counter()
    span = max(cfg.rt_days, cfg.report_days)
    codes = diseases_with_cases(since=day - timedelta(days=span - 1), until=day, only=diseases)
    figures: dict[str, Any] = {"day": day.isoformat(), "runs": 0, "failed": 0, "series": 0,
                               "alerts_new": 0, "alerts_updated": 0, "diseases": {}}
    if not codes:
        figures["note"] = f"no active disease has a case in the {span} days up to {day}"
        return figures
    for code in codes:
        result = _run_disease(day, code, cfg, intervals.get(code), now)
        figures["diseases"][code] = result
        figures["runs"] += 1
        if result["status"] == RunStatus.FAILED:
            figures["failed"] += 1
            continue
        figures["series"] += sum(result["series"].values())
        figures["alerts_new"] += result["alerts"]["new"]
        figures["alerts_updated"] += result["alerts"]["updated"]
    figures["seconds"] = round(time.perf_counter() - started, 3)
    return figures


def _start(day: date, disease: str) -> WarningRun:
    with transaction.atomic():
        run, _ = WarningRun.objects.select_for_update().get_or_create(
            day=day, disease_id=disease, defaults={"basis": DateBasis.REPORT})
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.finished_at = None
        run.failure = ""
        run.figures = {}
        run.save()
    return run


def _run_disease(day: date, disease: str, cfg: NightlySettings,
                 si: SerialInterval | None, now: datetime | None) -> dict[str, Any]:
    run = _start(day, disease)
    steps = Steps()
    try:
        series, clusters, notes = _compute(day, disease, cfg, si, steps)
        with transaction.atomic():
            steps.run("write", lambda: _replace_results(run, series, clusters))
            alerts = steps.run("alerts", lambda: alerts_raise(run=run, settings=cfg, now=now))
            by_method: dict[str, int] = {}
            for row in series:
                by_method[row.method] = by_method.get(row.method, 0) + 1
            run.figures = {"seconds": steps.seconds, "series": by_method,
                           "clusters": len(clusters), "alerts": alerts, **notes}
            run.status = RunStatus.DONE
            run.finished_at = timezone.now()
            run.save(update_fields=["figures", "status", "finished_at"])
            audit_log(actor=None, action=AuditAction.UPDATE, obj=run,
                      summary=f"early warning {day} {disease}: {len(series)} series, "
                              f"{len(clusters)} clusters, {alerts['new']} new alerts",
                      changes={"series": len(series), "clusters": len(clusters), **alerts})
    except Exception as exc:
        logger.exception("early warning %s %s failed", day, disease)
        error = f"{type(exc).__name__}: {exc}"[:4000]
        with transaction.atomic():
            run.series.all().delete()
            run.clusters.all().delete()
            WarningRun.objects.filter(pk=run.pk).update(
                status=RunStatus.FAILED, failure=error, finished_at=timezone.now(),
                figures={"seconds": steps.seconds})
        return {"status": RunStatus.FAILED, "error": error, "seconds": steps.seconds}
    return {"status": RunStatus.DONE, **run.figures}


def _compute(day: date, disease: str, cfg: NightlySettings, si: SerialInterval | None,
             steps: Steps) -> tuple[list[compute.SeriesRow], list[compute.ClusterRow],
                                    dict[str, Any]]:
    notes: dict[str, Any] = {}
    years = _farrington_years(day, disease, cfg)
    farrington_weeks = WEEKS_A_YEAR * years + cfg.farrington_w + cfg.farrington_weeks
    report_span = max(cfg.report_days, farrington_weeks * 7 if years else 0)
    earliest = day - timedelta(days=max(report_span, cfg.rt_days, cfg.triangle_days) - 1)

    def read() -> tuple[Any, ...]:
        counties = all_counties(count_codes(disease=disease, since=earliest, until=day))
        onset_days = days_between(day - timedelta(days=cfg.rt_days - 1), day)
        onset = county_day_matrix(disease=disease, basis=DateBasis.ONSET, since=onset_days[0],
                                  until=day, counties=counties)
        report_all = county_day_matrix(disease=disease, basis=DateBasis.REPORT,
                                       since=day - timedelta(days=report_span - 1), until=day,
                                       counties=counties)
        triangle = reporting_triangle(disease=disease, day=day, days=cfg.triangle_days,
                                      max_delay=cfg.nowcast_max_delay, counties=counties)
        return counties, onset_days, onset, report_all, triangle

    counties, onset_days, onset, report_all, triangle = steps.run("read", read)
    h = steps.run("divisions", lambda: compute.hierarchy(counties.codes))
    onset_div = h.aggregate(onset)
    report_days = days_between(day - timedelta(days=cfg.report_days - 1), day)
    report = report_all[:, -cfg.report_days:]
    report_div = h.aggregate(report)
    notes.update(counties=len(counties.codes), divisions=len(h.codes),
                 cases={"onset": int(onset.sum()), "report": int(report.sum())})

    series: list[compute.SeriesRow] = []
    triangle_days = days_between(day - timedelta(days=cfg.triangle_days - 1), day)
    nowcast_series, medians = steps.run(
        "nowcast", lambda: compute.nowcast_rows(h, triangle, triangle_days, cfg))
    series += nowcast_series
    if si is None:
        notes["rt"] = notes["forecast"] = "no serial interval for this disease"
    else:
        # Rt and the forecast read the onset counts with the last days' reporting delay made
        # up by the nowcast median (decision 0960).
        corrected = compute.nowcast_corrected(onset_div, medians)
        notes["serial_interval"] = {"mean": si.mean, "sd": si.sd}
        notes["rt_input"] = f"onset counts, the last {len(triangle_days)} days nowcast-corrected"
        series += steps.run("rt", lambda: compute.rt_rows(h, corrected, onset_days, cfg, si))
        series += steps.run("forecast",
                            lambda: compute.forecast_rows(h, corrected, day, cfg, si))
    series += steps.run("ears", lambda: compute.ears_rows(h, report_div, report_days, cfg))
    series += steps.run("cusum", lambda: compute.cusum_rows(h, report_div, report_days, cfg))
    if years:
        weekly, week_ends = _weekly(report_all, day, farrington_weeks)
        weekly_div = h.aggregate(weekly)
        series += steps.run("farrington", lambda: compute.farrington_rows(
            h, weekly_div, week_ends, cfg, years))
        notes["farrington_years"] = years
    else:
        needed = WEEKS_A_YEAR + cfg.farrington_w + cfg.farrington_weeks
        notes["farrington"] = f"history too short: one year back needs {needed} weeks of counts"
    clusters, scan_notes = steps.run("scan", lambda: compute.scan_clusters(
        counties.codes, report, counties.latitude, counties.longitude, report_days, cfg))
    notes["scan"] = scan_notes
    return series, clusters, notes


def _farrington_years(day: date, disease: str, cfg: NightlySettings) -> int:
    """Years of reference weeks the history allows (at most farrington_b; 0: not enough)."""
    first = first_count_day(disease=disease, basis=DateBasis.REPORT)
    if first is None or first > day:
        return 0
    weeks = ((day - first).days + 1) // 7
    return max(0, min(cfg.farrington_b,
                      (weeks - cfg.farrington_w - cfg.farrington_weeks) // WEEKS_A_YEAR))


def _weekly(report_all: NDArray[np.float64], day: date,
            n_weeks: int) -> tuple[NDArray[np.float64], list[date]]:
    """Weeks of 7 days ending on `day`, oldest first."""
    days = report_all[:, -n_weeks * 7:]
    weekly = days.reshape(days.shape[0], n_weeks, 7).sum(axis=2)
    ends = [day - timedelta(days=7 * k) for k in range(n_weeks - 1, -1, -1)]
    return weekly, ends


def _replace_results(run: WarningRun, series: list[compute.SeriesRow],
                     clusters: list[compute.ClusterRow]) -> None:
    run.series.all().delete()
    run.clusters.all().delete()
    SeriesResult.objects.bulk_create(
        (SeriesResult(run=run, method=r.method, division_code=r.division_code, level=r.level,
                      data=r.data, latest=r.latest, latest_lower=r.latest_lower,
                      latest_upper=r.latest_upper) for r in series), batch_size=1000)
    ScanCluster.objects.bulk_create(
        ScanCluster(run=run, rank=c.rank, centre_code=c.centre_code, focus_code=c.focus_code,
                    division_codes=c.division_codes, member_counts=c.member_counts,
                    radius_km=c.radius_km, start=c.start,
                    end=c.end, observed=c.observed, expected=c.expected, llr=c.llr,
                    p_value=c.p_value) for c in clusters)
