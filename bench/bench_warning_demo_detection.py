"""End-to-end detection on the national demo: the nightly early-warning job replayed night by
night over the synthetic outbreaks, scored against their known seeding days.

In one throwaway SQLite database (SHOUWANG_VAR_DIR, default /tmp/shouwang-bench-warning-demo):

1. the national demo (`demo-data --scale national --seed 1`) without the warning builder: the
   COVID-19 outbreak seeded in 420104 (硚口区) on OUTBREAK_START, FURTHER_OUTBREAKS in other
   hubs on known days, and the endemic HFMD background when the demo has it;
2. (part "builder") the warning demo builder timed on a copy of that database, as
   `demo-data --scale national` would run it;
3. `run_early_warning(day=D)` for every night D from OUTBREAK_START − 7 to OUTBREAK_START +
   LAST_OFFSET, every disease with cases, as the job runs — except the scan's permutation
   replicates, 199 instead of 999 (as bench_warning_detection; the p < 0.05 decision needs far
   fewer, and 999 would make this a four-hour benchmark).

Scored from the stored runs (`raise_alerts.signals`, the function the job raises its alerts
with, so each rule variant is measured on the same computed series without recomputing):

- per seeded outbreak (its county and seeding day): the county's first report, its first alert
  (any method, and per method), the delays from the report and from the seeding;
- per county with COVID-19 reports in the window: the delay from its first report to its
  first county alert (a scan alert counts for the cluster's centre only, where it is raised),
  per method; sensitivity (detected / counties) overall and by the county's case count;
  alerts in a county before its first report;
- alerts per night by method and disease (HFMD is endemic: its alerts measure the noise);
- the job's seconds per night (wall, and its own step timings);
- the same for rule variants (aberration_alert_min_observed 1 and 5; aberration alerts at
  county level only; aberration_alert_upper_echoes off): what the alert rules would give on
  the same nights.

    .venv/bin/python -m bench.bench_warning_demo_detection
    BENCH_PARTS=replay,score .venv/bin/python -m bench.bench_warning_demo_detection
"""

from __future__ import annotations

import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-warning-demo")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import write_result  # noqa: E402

SCALE, SEED = "national", 1
FIRST_OFFSET, LAST_OFFSET = -7, 100
SCAN_REPLICATES = 199
BUILDER = "warning.nightly"
SIZE_BANDS = ((1, 2), (3, 9), (10, 99), (100, 10**9))


def _var_dir() -> Path:
    return Path(os.environ["SHOUWANG_VAR_DIR"])


def _quiet_notifications() -> None:
    # Console notifications for thousands of alerts would only time the terminal.
    settings.SHOUWANG_NOTIFY_BACKENDS = []


def base_part() -> dict[str, Any]:
    """The national demo without the warning builder (once: a second run finds it)."""
    from shouwang.demo import SCALES, DemoContext, demo_builders
    from shouwang.surveillance.models import DailyCount

    call_command("migrate", verbosity=0)
    from shouwang.geo.models import Division

    if Division.objects.count() < 3000:
        call_command("geo", "load", stdout=io.StringIO())
    if DailyCount.objects.filter(disease_id="covid19").exists():
        return {"note": "the demo was already built in this database"}
    ctx = DemoContext(scale=SCALES[SCALE], seed=SEED, out=io.StringIO())
    seconds: dict[str, float] = {}
    for builder in demo_builders():
        if builder.name == BUILDER:
            continue
        t0 = time.perf_counter()
        builder.build(ctx)
        seconds[builder.name] = round(time.perf_counter() - t0, 1)
    return {"builders_seconds": seconds, "notes": ctx.notes[-2:]}


def builder_only() -> dict[str, Any]:
    """Time the warning demo builder in this database (run in a subprocess on a copy)."""
    from shouwang.demo import SCALES, DemoContext, demo_builders
    from shouwang.warning.models import Alert, WarningRun

    _quiet_notifications()
    # The copy may hold nights the replay computed already: the builder starts from none.
    Alert.objects.all().delete()
    WarningRun.objects.all().delete()
    ctx = DemoContext(scale=SCALES[SCALE], seed=SEED, out=io.StringIO())
    builder = next(b for b in demo_builders() if b.name == BUILDER)
    cpu, wall = time.process_time(), time.perf_counter()
    builder.build(ctx)
    first = {"seconds": round(time.perf_counter() - wall, 1),
             "cpu_seconds": round(time.process_time() - cpu, 1)}
    wall = time.perf_counter()
    builder.build(DemoContext(scale=SCALES[SCALE], seed=SEED, out=io.StringIO()))
    return {**first, "rerun_seconds": round(time.perf_counter() - wall, 1),
            "load_average_at_end": round(os.getloadavg()[0], 2), "note": ctx.notes[-1]}


def builder_part() -> dict[str, Any]:
    connection.close()   # everything committed; the copy is a consistent database
    copy = Path(str(_var_dir()) + "-builder")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(_var_dir(), copy)
    env = {**os.environ, "SHOUWANG_VAR_DIR": str(copy)}
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_warning_demo_detection", "builder-only"],
        env=env, capture_output=True, text=True, check=True)
    shutil.rmtree(copy, ignore_errors=True)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def nights() -> list[date]:
    from shouwang.surveillance.demo import OUTBREAK_START

    return [OUTBREAK_START + timedelta(days=d) for d in range(FIRST_OFFSET, LAST_OFFSET + 1)]


def replay_part() -> dict[str, Any]:
    """Every night, in order; a night whose runs are done already is not recomputed."""
    from shouwang.warning.models import RunStatus, WarningRun
    from shouwang.warning.services.nightly import run_early_warning
    from shouwang.warning.services.nightly_config import nightly_settings

    _quiet_notifications()
    cfg = replace(nightly_settings(), scan_replicates=SCAN_REPLICATES)
    wall: dict[str, float] = {}
    for day in nights():
        if WarningRun.objects.filter(day=day, status=RunStatus.DONE).exists():
            continue
        t0 = time.perf_counter()
        run_early_warning(day=day, settings=cfg)
        wall[day.isoformat()] = round(time.perf_counter() - t0, 2)
        print(f"{day} {wall[day.isoformat()]} s", flush=True)
    return {"nights_computed_now": len(wall), "wall_seconds": wall}


def _summary(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median": None, "mean": None, "max": None}
    return {"n": len(values), "median": round(statistics.median(values), 1),
            "mean": round(statistics.fmean(values), 1), "max": round(max(values), 1)}


def _first_reports(disease: str, since: date, until: date) -> dict[str, tuple[date, int]]:
    """County → (first report day, reports) in the window."""
    from django.db.models import Min, Sum

    from shouwang.surveillance.models import DailyCount

    rows = (DailyCount.objects.filter(disease_id=disease, basis="report", count__gt=0,
                                      day__gte=since, day__lte=until)
            .values("county_code").annotate(first=Min("day"), n=Sum("count")))
    return {r["county_code"]: (r["first"], int(r["n"])) for r in rows}


def _signals_by_night(cfg: Any) -> dict[str, dict[date, list[Any]]]:
    """disease → night → the signals the rules in `cfg` give on that night's stored run (read
    once with the loosest rules; `_variant` narrows them)."""
    from shouwang.warning.models import RunStatus, WarningRun
    from shouwang.warning.services.raise_alerts import signals

    out: dict[str, dict[date, list[Any]]] = {}
    window = nights()
    for run in WarningRun.objects.filter(status=RunStatus.DONE, day__gte=window[0],
                                         day__lte=window[-1]).order_by("day", "disease_id"):
        out.setdefault(run.disease_id, {})[run.day] = signals(run, cfg)
    return out


def score(cfg: Any, by_night: dict[str, dict[date, list[Any]]]) -> dict[str, Any]:
    from shouwang.surveillance.demo import FURTHER_OUTBREAKS, ORIGIN_PREFERENCE, OUTBREAK_START

    window = nights()
    covid = by_night.get("covid19", {})
    reports = _first_reports("covid19", window[0], window[-1])
    methods = sorted({s.method for sigs in covid.values() for s in sigs})
    # county → method → nights of county-level signals
    county_nights: dict[str, dict[str, list[date]]] = {}
    for day, sigs in covid.items():
        for s in sigs:
            if s.level != "county":
                continue
            county_nights.setdefault(s.division_code, {}).setdefault(s.method, []).append(day)

    def first_alert(county: str, method: str | None, since: date) -> date | None:
        days = [d for m, ds in county_nights.get(county, {}).items()
                if method in (None, m) for d in ds if d >= since]
        return min(days) if days else None

    per_method: dict[str, Any] = {}
    for method in [None, *methods]:
        delays = []
        detected = 0
        bands = {f"{lo}-{hi if hi < 10**9 else ''}": [0, 0] for lo, hi in SIZE_BANDS}
        for county, (reported, n) in reports.items():
            hit = first_alert(county, method, reported)
            for (lo, hi), key in zip(SIZE_BANDS, bands, strict=True):
                if lo <= n <= hi:
                    bands[key][1] += 1
                    bands[key][0] += hit is not None
            if hit is not None:
                detected += 1
                delays.append(float((hit - reported).days))
        per_method[method or "any"] = {
            "detected": detected, "counties": len(reports),
            "sensitivity": round(detected / max(len(reports), 1), 3),
            "delay_days": _summary(delays),
            "sensitivity_by_reports": {k: f"{d}/{n}" for k, (d, n) in bands.items()}}

    early: dict[str, int] = {}
    for county, ms in county_nights.items():
        for method, ds in ms.items():
            n_early = sum(1 for d in ds if county not in reports or d < reports[county][0])
            if n_early:
                early[method] = early.get(method, 0) + n_early
    origin = ORIGIN_PREFERENCE[0]   # 420104 (硚口区): the national scale holds it
    outbreaks = []
    for county, offset in ((origin, 0), *FURTHER_OUTBREAKS):
        seeded = OUTBREAK_START + timedelta(days=offset)
        found = reports.get(county)
        first: date | None = found[0] if found else None
        n = found[1] if found else 0
        row: dict[str, Any] = {"county": county, "seeded": seeded.isoformat(),
                               "first_report": first.isoformat() if first else None,
                               "reports": n}
        for method in [None, *methods]:
            hit = first_alert(county, method, first) if first else None
            key = method or "any"
            row[key] = None if hit is None or first is None else {
                "day": hit.isoformat(), "after_first_report": (hit - first).days,
                "after_seeding": (hit - seeded).days}
        outbreaks.append(row)

    per_night: dict[str, Any] = {}
    for disease, nights_ in by_night.items():
        counts: dict[str, list[int]] = {}
        for sigs in nights_.values():
            night: dict[str, int] = {}
            for s in sigs:
                night[s.method] = night.get(s.method, 0) + 1
            for m in {s.method for ss in nights_.values() for s in ss} | {"all"}:
                counts.setdefault(m, []).append(night.get(m, 0) if m != "all" else len(sigs))
        per_night[disease] = {m: {"mean": round(statistics.fmean(v), 2), "max": max(v),
                                  "total": sum(v)} for m, v in sorted(counts.items())}
    return {"per_method": per_method, "seeded_outbreaks": outbreaks,
            "county_alerts_before_first_report": early, "alerts_per_night": per_night}


def hfmd_injected(by_night: dict[str, dict[date, list[Any]]]) -> list[dict[str, Any]]:
    """The HFMD aberrations injected on known days (when the demo has them): first alert."""
    try:
        from shouwang.surveillance.demo_endemic import ABERRATIONS
    except ImportError:
        return []
    hfmd = by_night.get("hfmd", {})
    out = []
    for a in ABERRATIONS:
        hits = sorted((d, s.method) for d, sigs in hfmd.items() for s in sigs
                      if s.division_code == a.county and d >= a.first_onset)
        first = hits[0] if hits else None
        out.append({"county": a.county, "first_onset": a.first_onset.isoformat(),
                    "cases": a.cases, "first_alert": first[0].isoformat() if first else None,
                    "method": first[1] if first else None,
                    "days_after_first_onset": (first[0] - a.first_onset).days if first else None})
    return out


def _kept(signal: Any, cfg: Any) -> bool:
    """Whether `signal` (found with the loosest rules) is an alert under `cfg`: the same test
    as raise_alerts.signals for the aberration methods' minimum and levels."""
    from shouwang.warning.services.raise_alerts import ABERRATION_METHODS

    if signal.method not in ABERRATION_METHODS:
        return True
    return (signal.observed >= cfg.aberration_alert_min_observed
            and signal.level in cfg.aberration_alert_levels)


def score_part() -> dict[str, Any]:
    from shouwang.warning.models import RunStatus, WarningRun
    from shouwang.warning.services.nightly_config import nightly_settings
    from shouwang.warning.services.raise_alerts import without_upper_echoes

    base = replace(nightly_settings(), scan_replicates=SCAN_REPLICATES)
    variants = {
        "default": base,
        "min_observed_1": replace(base, aberration_alert_min_observed=1),
        "min_observed_5": replace(base, aberration_alert_min_observed=5),
        "county_level_only": replace(base, aberration_alert_levels=("county",)),
    }
    loosest = replace(base, aberration_alert_min_observed=1)
    every = _signals_by_night(loosest)
    out: dict[str, Any] = {}
    for name, cfg in variants.items():
        by_night = {disease: {day: [s for s in sigs if _kept(s, cfg)] for day, sigs in n.items()}
                    for disease, n in every.items()}
        if name == "default":
            # aberration_alert_upper_echoes=False: the job's own filter on the same signals.
            out["upper_echoes_off"] = score(cfg, {
                disease: {day: without_upper_echoes(sigs) for day, sigs in n.items()}
                for disease, n in by_night.items()})
        out[name] = score(cfg, by_night)
        if name == "default":
            out["hfmd_injected"] = hfmd_injected(by_night)
    window = nights()
    job_seconds: dict[str, list[float]] = {}
    for run in WarningRun.objects.filter(status=RunStatus.DONE, day__gte=window[0],
                                         day__lte=window[-1]):
        job_seconds.setdefault(run.disease_id, []).append(
            sum((run.figures.get("seconds") or {}).values()))
    out["job_seconds_per_night"] = {d: _summary(v) for d, v in job_seconds.items()}
    return out


def main() -> None:
    if sys.argv[1:] == ["builder-only"]:
        print(json.dumps(builder_only(), ensure_ascii=False))
        return
    parts = os.environ.get("BENCH_PARTS", "base,builder,replay,score").split(",")
    figures: dict[str, Any] = {"database": connection.vendor, "scale": SCALE, "seed": SEED,
                               "nights": f"OUTBREAK_START{FIRST_OFFSET:+d} … +{LAST_OFFSET}",
                               "scan_replicates": SCAN_REPLICATES}
    figures["load_average_at_start"] = round(os.getloadavg()[0], 2)
    if "base" in parts:
        figures["base"] = base_part()
    if "builder" in parts:
        figures["builder"] = builder_part()
    if "replay" in parts:
        t0 = time.perf_counter()
        figures["replay"] = replay_part()
        figures["replay"]["seconds"] = round(time.perf_counter() - t0, 1)
    if "score" in parts:
        figures["score"] = score_part()
    figures["load_average_at_end"] = round(os.getloadavg()[0], 2)
    previous = Path(__file__).resolve().parent / "results" / "warning_demo_detection.json"
    if previous.exists():  # parts not run this time keep their last figures
        figures = {**json.loads(previous.read_text())["figures"], **figures}
    write_result("warning_demo_detection", figures)


if __name__ == "__main__":
    main()
