"""The whole nightly early-warning job (`shouwang run-jobs early-warning`), timed end to end.

Two datasets, in one throwaway database (SHOUWANG_VAR_DIR, default /tmp/shouwang-bench-warning):

1. demo — the national demo (`shouwang demo-data --scale national --seed 1`: the synthetic
   COVID-19 outbreak imported through the bulk importer), the night of its busiest report day.
2. synthetic — endemic counts written straight into DailyCount for disease "influenza" (it has
   a serial interval, so every method runs): every county of the division table (2,845 with
   centroids) × 400 days on both onset and report dates, a Poisson count per cell with a
   county-specific mean. 400 days rather than 365 so that Farrington flexible has one year of
   reference weeks (it needs 52 + 3 + 1 weeks). There are no case reports behind these counts,
   so the nowcast's triangle is empty: its cost at this size is measured separately on a
   synthetic triangle of the same shape (every division × 42 days × 15 delays), pure numpy.

Target (issue 4): the whole nightly job on the national demo < 5 minutes on this 2-core machine.

    .venv/bin/python -m bench.bench_warning_nightly
    BENCH_PARTS=synthetic .venv/bin/python -m bench.bench_warning_nightly
"""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-warning")

import django

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import write_result  # noqa: E402

SYNTHETIC_DISEASE = "influenza"
SYNTHETIC_DAYS = 400
SYNTHETIC_LAST_DAY = date(2026, 10, 31)
TARGET_SECONDS = 300


def _load_average() -> float:
    return round(os.getloadavg()[0], 2)


def demo_part() -> dict[str, Any]:
    from django.db.models import Sum

    from shouwang.surveillance.models import DailyCount
    from shouwang.warning.services.nightly import run_early_warning

    t0 = time.perf_counter()
    call_command("demo-data", scale="national", seed=1, stdout=io.StringIO())
    build_s = time.perf_counter() - t0
    peak = (DailyCount.objects.filter(disease_id="covid19", basis="report").values("day")
            .annotate(n=Sum("count")).order_by("-n", "day").first())
    if peak is None:
        return {"error": "the demo has no covid19 counts"}
    day = peak["day"]
    cases = DailyCount.objects.filter(disease_id="covid19", basis="report").aggregate(
        n=Sum("count"))["n"]
    counties = (DailyCount.objects.filter(disease_id="covid19", basis="report")
                .values("county_code").distinct().count())
    load = _load_average()
    t0 = time.perf_counter()
    figures = run_early_warning(day=day, diseases=["covid19"])
    seconds = time.perf_counter() - t0
    return {"dataset": "national demo (shouwang demo-data --scale national --seed 1)",
            "demo_build_seconds": round(build_s, 1), "cases": cases,
            "counties_with_cases": counties, "day": day.isoformat(),
            "seconds": round(seconds, 2), "load_average_at_start": load,
            "run": figures["diseases"].get("covid19")}


def _synthetic_counts() -> int:
    """Write the synthetic table (once; a second run finds it)."""
    from shouwang.geo.models import Division, Level
    from shouwang.surveillance.models import DailyCount

    first = SYNTHETIC_LAST_DAY - timedelta(days=SYNTHETIC_DAYS - 1)
    have = DailyCount.objects.filter(disease_id=SYNTHETIC_DISEASE).count()
    if have:
        return have
    codes = sorted(Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True))
    rng = np.random.default_rng(1)
    means = rng.gamma(0.8, 0.6, size=len(codes))   # mean 0.5 a day, many quiet counties
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    sql = (f"INSERT INTO {table} (county_code, day, basis, disease_id, classification, "
           f"{connection.ops.quote_name('count')}) VALUES (%s, %s, %s, %s, %s, %s)")
    written = 0
    for basis in ("onset", "report"):
        counts = rng.poisson(means[:, None], size=(len(codes), SYNTHETIC_DAYS))
        rows = [(codes[i], (first + timedelta(days=int(t))).isoformat(), basis,
                 SYNTHETIC_DISEASE, "confirmed", int(counts[i, t]))
                for i, t in zip(*np.nonzero(counts), strict=True)]
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        written += len(rows)
    return written


def _nowcast_at_size(n_series: int, cfg: Any) -> float:
    from shouwang.epi.nowcast import NowcastOptions, nowcast

    rng = np.random.default_rng(2)
    days, width = cfg.triangle_days, cfg.nowcast_max_delay + 1
    delay = np.diff(np.concatenate([[0], 1 - 0.6 ** np.arange(1, width + 1)]))
    delay /= delay.sum()
    tri = rng.poisson(3.0 * delay[None, None, :], size=(n_series, days, width)).astype(float)
    known = (np.arange(days)[:, None] + np.arange(width)[None, :]) <= days - 1
    tri[:, ~known] = np.nan
    t0 = time.perf_counter()
    # One pooled call per level, as the job does: four levels hold every case once each.
    for part in np.array_split(np.arange(n_series), 4):
        nowcast(tri[part], NowcastOptions(window=cfg.nowcast_window,
                                          samples=cfg.nowcast_samples, levels=(0.95,),
                                          pool=True, seed=cfg.seed))
    return time.perf_counter() - t0


def synthetic_part() -> dict[str, Any]:
    from shouwang.warning.services.nightly import run_early_warning
    from shouwang.warning.services.nightly_config import nightly_settings

    t0 = time.perf_counter()
    cells = _synthetic_counts()
    load_s = time.perf_counter() - t0
    load = _load_average()
    t0 = time.perf_counter()
    figures = run_early_warning(day=SYNTHETIC_LAST_DAY, diseases=[SYNTHETIC_DISEASE])
    seconds = time.perf_counter() - t0
    run = figures["diseases"].get(SYNTHETIC_DISEASE, {})
    divisions = int(run.get("divisions", 0))
    nowcast_s = _nowcast_at_size(divisions, nightly_settings()) if divisions else 0.0
    return {"dataset": f"synthetic DailyCount: every county × {SYNTHETIC_DAYS} days, "
                       f"disease {SYNTHETIC_DISEASE}, no case reports",
            "cells": cells, "load_seconds": round(load_s, 1),
            "day": SYNTHETIC_LAST_DAY.isoformat(), "seconds": round(seconds, 2),
            "load_average_at_start": load, "run": run,
            "nowcast_seconds_at_this_size": round(nowcast_s, 2),
            "seconds_with_nowcast_at_this_size": round(seconds + nowcast_s, 2)}


def main() -> None:
    parts = os.environ.get("BENCH_PARTS", "demo,synthetic").split(",")
    call_command("migrate", verbosity=0)
    from shouwang.geo.models import Division

    if Division.objects.count() < 3000:
        call_command("geo", "load", stdout=io.StringIO())
    # Console notifications for hundreds of alerts would only time the terminal.
    settings.SHOUWANG_NOTIFY_BACKENDS = []
    figures: dict[str, Any] = {"database": connection.vendor}
    if "demo" in parts:
        figures["demo"] = demo_part()
    if "synthetic" in parts:
        figures["synthetic"] = synthetic_part()
    seconds = [p["seconds"] for k, p in figures.items() if isinstance(p, dict) and "seconds" in p]
    figures["meets_target"] = bool(seconds) and max(seconds) < TARGET_SECONDS
    write_result("warning_nightly", figures,
                 {"nightly_job_national_demo_seconds": f"< {TARGET_SECONDS}"})


if __name__ == "__main__":
    main()
