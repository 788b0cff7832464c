"""Statistics of a province (selectors/statistics.py; decision 1250): 200,000 households in 20
real counties of 湖北省 (made-up townships and villages, 100 households a village), 3 active
members each; a year of income for 95 % of them (yearly records, or twelve monthly wage records
for one in twenty), none for the rest; a flag for one household in ten (half from a signal,
half eliminated, one in two with a measure). Timed as the provincial cadre reads it: the
selector by prefecture and by county, the page (table, charts, the county map), the API, and
the exit-standards report (counties and 2,000 villages). Median of BENCH_REPEATS runs.

    SHOUWANG_VAR_DIR=/tmp/bench-lh-stats .venv/bin/python -m bench.bench_livelihood_statistics
    SHOUWANG_PG_DIR=/tmp/pg-x SHOUWANG_PG_PORT=… scripts/pg.sh run -- \
        .venv/bin/python -m bench.bench_livelihood_statistics
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-lh-stats")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import write_result  # noqa: E402

COUNTIES = int(os.environ.get("BENCH_COUNTIES", "20"))
PER_VILLAGE = int(os.environ.get("BENCH_PER_VILLAGE", "100"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
TOWNSHIPS, VILLAGES = 10, 10  # per county, per township
PROVINCE = "420000"
YEAR = 2025
GEOJSON = Path(__file__).resolve().parent.parent / "src/shouwang/geo/static/geo/counties.geojson"


def divisions() -> list[str]:
    """The province, its prefectures and COUNTIES real counties (from the map's GeoJSON), and
    made-up townships and villages under them; the village codes."""
    from shouwang.geo.models import Division, Level

    features = [f for f in json.loads(GEOJSON.read_text())["features"]
                if f["id"].startswith("42") and f["id"][4:] != "00"][:COUNTIES]
    rows = {"000000": ("中华人民共和国", Level.NATION, None),
            PROVINCE: ("湖北省", Level.PROVINCE, "000000")}
    villages = []
    for f in features:
        county = f["id"]
        rows.setdefault(county[:4] + "00", (f"地级{county[:4]}", Level.PREFECTURE, PROVINCE))
        rows[county] = (f["properties"]["name"], Level.COUNTY, county[:4] + "00")
        for t in range(1, TOWNSHIPS + 1):
            township = f"{county}{t:03d}"
            rows[township] = (f"乡{t}", Level.TOWNSHIP, county)
            for v in range(1, VILLAGES + 1):
                village = f"{township}{v:03d}"
                rows[village] = (f"村{v}", Level.VILLAGE, township)
                villages.append(village)
    have = set(Division.objects.filter(code__in=list(rows)).values_list("code", flat=True))
    Division.objects.bulk_create([
        Division(code=code, name=name, level=level, parent_id=parent,
                 prefix=Division.prefix_for(code, level))
        for code, (name, level, parent) in sorted(rows.items(), key=lambda r: len(r[0]))
        if code not in have], batch_size=2000)
    return villages


def cadre() -> Any:
    from shouwang.accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench-lh-province", defaults={"role": "livelihood_cadre",
                                                "division_id": PROVINCE})
    return user


def populate(villages: list[str], user: Any) -> float:
    from shouwang.livelihood.defaults import RULE_SETS
    from shouwang.livelihood.models import (
        AssistanceMeasure,
        Household,
        IncomeRecord,
        Member,
        MonitoringFlag,
        MonitoringRuleSet,
        MonitoringThreshold,
        Signal,
    )

    total = len(villages) * PER_VILLAGE
    if Household.objects.filter(household_number__startswith="S42").count() >= total:
        return 0.0
    t0 = time.perf_counter()
    MonitoringThreshold.objects.get_or_create(year=YEAR, province_code="", defaults={
        "poverty_line": Decimal(4000), "multiple": Decimal("1.5"), "amount": Decimal(6000)})
    rule_set = MonitoringRuleSet.objects.get(code=RULE_SETS[0]["code"], version=1)
    tz_noon = datetime(YEAR, 1, 1, 4, tzinfo=UTC)
    with transaction.atomic():
        Household.objects.bulk_create([
            Household(household_number=f"S{village}{i:04d}", division_code=village,
                      poverty_status="lifted_out" if i % 5 == 0 else "never_poor",
                      lifted_out_year=2019 if i % 5 == 0 else None)
            for village in villages for i in range(PER_VILLAGE)], batch_size=5000)
        ids = list(Household.objects.filter(household_number__startswith="S42")
                   .order_by("id").values_list("id", "division_code"))
        Member.objects.bulk_create([
            Member(household_id=hid, relationship=rel, name="村民")
            for hid, _code in ids for rel in ("head", "spouse", "child")], batch_size=10000)
        incomes = []
        for n, (hid, _code) in enumerate(ids):
            if n % 20 == 19:
                continue  # no income data
            if n % 20 == 0:
                incomes += [IncomeRecord(household_id=hid, year=YEAR, month=m, component="wages",
                                         amount=Decimal(600 + n % 400), source="cadre_visit")
                            for m in range(1, 13)]
                continue
            base = 1000 + (n * 37) % 6000  # × 5 a household: some below 3 × 4,000
            incomes += [IncomeRecord(household_id=hid, year=YEAR, component=c,
                                     amount=Decimal(base * share), source="cadre_visit")
                        for c, share in (("wages", 3), ("operating", 1), ("transfer", 1))]
        IncomeRecord.objects.bulk_create(incomes, batch_size=10000)
        signals, flags = [], []
        for n, (hid, code) in enumerate(ids[::10]):
            at = tz_noon + timedelta(days=n % 330)
            signal = None
            if n % 2 == 0:
                signal = Signal(household_id=hid, division_code=code, source="cadre_visit",
                                summary="bench", received_at=at - timedelta(days=5 + n % 20),
                                decision_due=at + timedelta(days=10 - n % 20), status="identified",
                                decided_at=at)
                signals.append(signal)
            flags.append((hid, code, at, signal))
        Signal.objects.bulk_create(signals, batch_size=5000)
        made = MonitoringFlag.objects.bulk_create([
            MonitoringFlag(household_id=hid, division_code=code, rule_set=rule_set,
                           target_group="marginal", triggers=["income_below"],
                           numbers={"bench": 1}, reason="bench", signal=signal,
                           identified_at=at,
                           status="eliminated" if n % 2 else "monitoring",
                           eliminated_at=at + timedelta(days=30) if n % 2 else None)
            for n, (hid, code, at, signal) in enumerate(flags)], batch_size=5000)
        AssistanceMeasure.objects.bulk_create([
            AssistanceMeasure(flag=f, category="employment", description="bench",
                              responsible=user, created_by=user,
                              started_on=f.identified_at.date() + timedelta(days=3))
            for f in made[::2]], batch_size=5000)
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any]) -> dict[str, float]:
    fn()  # warm
    ms = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median_ms": round(statistics.median(ms), 1), "max_ms": round(ms[-1], 1)}


def get(client: Client, url: str) -> Callable[[], Any]:
    def run() -> Any:
        r = client.get(url)
        assert r.status_code == 200, (r.status_code, r.content[:300])
        return r
    return run


def main() -> None:
    from shouwang.livelihood.selectors import exit_report as exits
    from shouwang.livelihood.selectors import statistics as sel

    call_command("migrate", verbosity=0)
    villages = divisions()
    user = cadre()
    populate_s = populate(villages, user)
    period = sel.Period(date(YEAR, 1, 1), date(YEAR, 12, 31))
    stats = sel.area_statistics(user=user, code=PROVINCE, period=period)
    households = stats.total.households
    assert households >= len(villages) * PER_VILLAGE, households
    assert stats.total.incidence is not None and stats.total.identified > 0
    client = Client()
    client.force_login(user)
    figures = {
        "database": connection.vendor,
        "households": households,
        "population": stats.total.population,
        "flags_identified_2025": stats.total.identified,
        "incidence": round(stats.total.incidence, 4),
        # 0 when the population of an earlier run was reused (277 s SQLite, 194 s PostgreSQL).
        "populate_seconds": round(populate_s, 1),
        "selector_by_prefecture": timed(lambda: sel.area_statistics(
            user=user, code=PROVINCE, period=period)),
        "selector_by_county": timed(lambda: sel.area_statistics(
            user=user, code=PROVINCE, period=period, level="county")),
        "selector_by_village": timed(lambda: sel.area_statistics(
            user=user, code=PROVINCE, period=period, level="village")),
        "page_province": timed(get(client, f"/livelihood/statistics/{PROVINCE}/?year={YEAR}")),
        "api_province": timed(get(client, f"/api/v1/livelihood/statistics?division={PROVINCE}"
                                          f"&year={YEAR}")),
        "exit_report_province": timed(lambda: exits.exit_report(user=user, code=PROVINCE,
                                                              year=YEAR)),
        "exit_report_csv": timed(get(client, f"/livelihood/statistics/{PROVINCE}/exit-report.csv"
                                             f"?year={YEAR}")),
    }
    write_result(f"livelihood_statistics_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
