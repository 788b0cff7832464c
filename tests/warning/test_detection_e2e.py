"""End to end: the nightly job, replayed night by night on the small demo's outbreak, alerts in
the county where the outbreak starts soon after its first report, and never before it.

The small demo is Wuhan's 13 districts (the division table's own names and centroids, so the
outbreak is the one `demo-data --scale small --seed 1` makes: seeded in 420104 硚口区 on
OUTBREAK_START, 1,040 reports). The job runs as every night, with two changes that only save
time: the outbreak's disease only, and 99 scan replicates instead of 999.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.db.models import Min

from shouwang.demo import SCALES, DemoContext
from shouwang.demo.accounts import build_demo_users
from shouwang.geo.models import Division, Level
from shouwang.geo.names import romanise
from shouwang.geo.source import centroids, source_divisions
from shouwang.surveillance import demo as outbreak_demo
from shouwang.surveillance.models import DailyCount
from shouwang.warning.models import Alert, Method, WarningRun
from shouwang.warning.services.nightly import run_early_warning
from shouwang.warning.services.nightly_config import nightly_settings
from tests.factories import ensure_sample_divisions

WUHAN = "4201"
# The origin's first alert comes within this many days of its first report. Measured on the
# replay: 硚口区's first report on 2025-12-15, its first alert (EARS C3 on 3 reports) on
# 2025-12-31, 16 days. At the demo's 4 % ascertainment the first fortnight brings a report
# every day or two; an alarm on fewer than 3 reports is no alert (aberration_alert_min_observed),
# and CUSUM stays silent after a baseline of zeros. Two days of margin.
MAX_DELAY_DAYS = 18


def load_wuhan() -> None:
    """The sample divisions and Wuhan's districts as `geo load` stores them (name, centroid)."""
    ensure_sample_divisions()
    points = centroids()
    for d in source_divisions():
        if d.level != Level.COUNTY or not d.code.startswith(WUHAN):
            continue
        lon, lat = points.get(d.code, (None, None))
        division = Division.objects.filter(code=d.code).first() or Division(
            code=d.code, name=d.name, name_en=romanise(d.name), level=d.level,
            parent_id=d.parent_code, kind=d.kind)
        division.latitude, division.longitude = lat, lon
        division.save()


def small_demo_outbreak() -> DemoContext:
    """The demo users and the small scale's outbreak, through their builders."""
    load_wuhan()
    ctx = DemoContext(scale=SCALES["small"], seed=1, out=io.StringIO())
    build_demo_users(ctx)
    outbreak_demo.build_demo_outbreak(ctx)
    return ctx


@pytest.mark.django_db
def test_the_job_alerts_in_the_origin_county_within_days_of_its_first_report() -> None:
    small_demo_outbreak()
    counties = outbreak_demo.demo_counties(
        list(Division.objects.filter(code__startswith=WUHAN, level=Level.COUNTY)
             .order_by("code")))
    assert len(counties) == 13
    origin = counties[outbreak_demo.outbreak_params(counties).origin].code
    assert origin == outbreak_demo.ORIGIN_PREFERENCE[0]   # 420104 硚口区
    first_report: date = DailyCount.objects.filter(
        disease_id=outbreak_demo.DISEASE, basis="report", county_code=origin, count__gt=0,
    ).aggregate(first=Min("day"))["first"]
    any_first: date = DailyCount.objects.filter(
        disease_id=outbreak_demo.DISEASE, count__gt=0).aggregate(first=Min("day"))["first"]
    assert first_report is not None and any_first is not None

    cfg = replace(nightly_settings(), scan_replicates=99)
    day = any_first - timedelta(days=7)
    found: Alert | None = None
    while day <= first_report + timedelta(days=MAX_DELAY_DAYS) and found is None:
        run_early_warning(day=day, diseases=[outbreak_demo.DISEASE], settings=cfg)
        if day < any_first:
            # Nothing to compute before the first case, and nothing raised.
            assert not WarningRun.objects.filter(day=day).exists()
        found = Alert.objects.filter(division_code=origin, level="county").order_by(
            "day", "method").first()
        day += timedelta(days=1)

    assert not Alert.objects.filter(day__lt=any_first).exists()
    assert found is not None, (
        f"no alert in {origin} within {MAX_DELAY_DAYS} days of its first report {first_report}")
    assert first_report <= found.day <= first_report + timedelta(days=MAX_DELAY_DAYS)
    assert found.method in {Method.CUSUM, Method.EARS_C3, Method.SCAN, Method.RT,
                            Method.FARRINGTON}
