"""The early-warning result pages and API as a browser or a client gets them, at national size.

One finished run of COVID-19 with the shapes the nightly job stores: R_t (60 windows), nowcast
(28 days) and forecast (14 days) for every division of the division table (nation, provinces,
prefectures, counties: about 3,200 each), 20 clusters, and 90 days of onset counts for every
county in DailyCount. Each page and endpoint is requested through Django's test client
in-process (view, selectors, template; no network, no server; the browser's drawing is not
included), as the nation's, a province's, a city's and a county's officer.

    .venv/bin/python -m bench.bench_warning_results
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-warning-results")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import logged_in_client, timed_ms, write_result  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
DAY = date(2026, 5, 20)
RT_KEEP, NOWCAST_KEEP, HORIZON, COUNT_DAYS = 60, 28, 14, 90


def _round(a: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in a]


def setup() -> dict[str, Any]:
    from django.db import transaction

    from shouwang.geo.models import Division
    from shouwang.surveillance.models import DailyCount
    from shouwang.warning.models import Method, RunStatus, ScanCluster, SeriesResult, WarningRun

    call_command("migrate", verbosity=0)
    if not Division.objects.filter(level="county").exists():
        call_command("geo", "load", "--no-progress", stdout=io.StringIO())
    divisions = list(Division.objects.filter(
        level__in=["nation", "province", "prefecture", "county"]).values_list("code", "level"))
    counties = [c for c, lv in divisions if lv == "county"]
    run = WarningRun.objects.filter(day=DAY, disease_id="covid19").first()
    if run is None:
        rng = np.random.default_rng(1)
        with transaction.atomic():
            run = WarningRun.objects.create(day=DAY, disease_id="covid19", basis="onset",
                                            status=RunStatus.DONE)
            rt_t = [(DAY - timedelta(days=RT_KEEP - 1 - i)).isoformat() for i in range(RT_KEEP)]
            nc_t = rt_t[-NOWCAST_KEEP:]
            fc_t = [(DAY + timedelta(days=h)).isoformat() for h in range(1, HORIZON + 1)]
            rows = []
            for code, level in divisions:
                mean = np.clip(1 + np.cumsum(rng.normal(0, 0.03, RT_KEEP)), 0.2, 3)
                sd = mean * 0.08
                rt = {"t": rt_t, "mean": _round(mean), "sd": _round(sd),
                      "lower": _round(mean - 1.96 * sd), "median": _round(mean),
                      "upper": _round(mean + 1.96 * sd)}
                obs = rng.poisson(20, NOWCAST_KEEP).astype(float)
                nc = {"t": nc_t, "observed": _round(obs), "nowcast": _round(obs * 1.1),
                      "median": _round(obs * 1.1), "lower": _round(obs),
                      "upper": _round(obs * 1.4)}
                med = 20 * np.exp(np.arange(HORIZON) * 0.02)
                fc = {"t": fc_t, "median": _round(med), "lower": _round(med * 0.6),
                      "upper": _round(med * 1.6), "lower_50": _round(med * 0.85),
                      "upper_50": _round(med * 1.15)}
                for method, data, main in ((Method.RT, rt, "mean"),
                                           (Method.NOWCAST, nc, "median"),
                                           (Method.FORECAST, fc, "median")):
                    rows.append(SeriesResult(
                        run=run, method=method, division_code=code, level=level, data=data,
                        latest=data[main][-1], latest_lower=data["lower"][-1],
                        latest_upper=data["upper"][-1]))
            SeriesResult.objects.bulk_create(rows, batch_size=2000)
            ScanCluster.objects.bulk_create([ScanCluster(
                run=run, rank=i + 1, centre_code=counties[i * 97], focus_code=counties[i * 97],
                division_codes=counties[i * 97:i * 97 + 8], radius_km=15.0,
                start=DAY - timedelta(days=6), end=DAY, observed=40, expected=12.0, llr=15.0,
                p_value=0.001 * (i + 1)) for i in range(20)])
            counts = []
            for code in counties:
                for d, n in enumerate(rng.poisson(3, COUNT_DAYS)):
                    if n:
                        counts.append(DailyCount(
                            county_code=code, day=DAY - timedelta(days=COUNT_DAYS - 1 - d),
                            basis="onset", disease_id="covid19", classification="confirmed",
                            count=int(n)))
            DailyCount.objects.bulk_create(counts, batch_size=5000)
    return {"divisions": len(divisions), "counties": len(counties),
            "series": SeriesResult.objects.filter(run=run).count(),
            "count_cells": DailyCount.objects.filter(disease_id="covid19").count()}


def client_for(role: str, code: str) -> Client:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    user, _ = User.objects.get_or_create(
        username=f"bench-results-{role}-{code}",
        defaults={"role": role, "division": Division.objects.get(code=code)})
    return logged_in_client(user)  # type: ignore[no-any-return]


def timed(fn: Callable[[], Any]) -> dict[str, float]:
    return timed_ms(fn, REPEATS)


def main() -> None:
    data = setup()
    who = {
        "nation": client_for("national_officer", "000000"),
        "province": client_for("provincial_officer", "420000"),
        "city": client_for("city_officer", "420100"),
        "county": client_for("county_officer", "420106"),
    }

    def get(client: Client, url: str, **params: str) -> Callable[[], Any]:
        def fetch() -> int:
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)
        return fetch

    q = {"disease": "covid19"}
    cases: dict[str, Callable[[], Any]] = {
        "rt_page_nation": get(who["nation"], "/warning/rt/", **q),
        "rt_page_province": get(who["province"], "/warning/rt/", **q),
        "rt_page_city": get(who["city"], "/warning/rt/", **q),
        "rt_page_county": get(who["county"], "/warning/rt/", **q),
        "forecast_page_county": get(who["county"], "/warning/forecast/", **q),
        "forecast_page_nation": get(who["nation"], "/warning/forecast/", **q),
        "clusters_page_nation": get(who["nation"], "/warning/clusters/", **q),
        "clusters_page_city": get(who["city"], "/warning/clusters/", **q),
        "api_series_county": get(who["county"], "/api/v1/warning/series/420106", **q),
        "api_rt_children_nation": get(who["nation"], "/api/v1/warning/rt/000000/children", **q),
        "api_rt_children_province": get(who["province"],
                                        "/api/v1/warning/rt/420000/children", **q),
        "api_clusters_nation": get(who["nation"], "/api/v1/warning/clusters", **q),
        "api_runs": get(who["county"], "/api/v1/warning/runs"),
    }
    figures: dict[str, Any] = {"data": data, "repeats": REPEATS}
    for name, fn in cases.items():
        figures[name] = {**timed(fn), "bytes": fn()}
    write_result("warning_results", figures)


if __name__ == "__main__":
    main()
