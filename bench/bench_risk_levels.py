"""Area risk levels for every division: one day, and a whole year of history.

Data, loaded once into a throwaway database (SHOUWANG_VAR_DIR, default /tmp/shouwang-bench-risk):
- every county of the division table (`shouwang geo load`: 2,845);
- 14 synthetic townships under each county (~40,000), each case report of the year living in one
  of them: BENCH_CASES (default 60,000) synthetic reports (bench/case_rows.py: encrypted persons,
  realistic classifications, statuses and delays) over 365 days, the counties weighted by a
  heavy-tailed gamma (most quiet, a few busy), the townships within a county by a Zipf-like
  weight; the daily-count table is rebuilt from them;
- BENCH_CLUSTERS (default 600) synthetic clusters in the busiest townships (tracing Setting and
  Cluster rows), spans of 3–20 days, so that high-risk areas occur.

Timed (through the service, as the daily job and `shouwang risk history` call it):
- history: `levels_compute_range` over the whole year (every county every day, townships while
  not trivially low) into an emptied table, no publication — target < 30 s;
- one day: the day after the year, all divisions, continuing from the stored day — target < 1 s
  (the daily job's case, once; then recomputed three times, which replaces its unpublished rows);
- publish: `levels_publish` of that day (counts, links every row, notifications off).

    .venv/bin/python -m bench.bench_risk_levels
    SHOUWANG_PG_DIR=/tmp/pg-compute SHOUWANG_PG_PORT=55501 scripts/pg.sh run -- \
        .venv/bin/python -m bench.bench_risk_levels
"""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-risk")

import django

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.common import write_result  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "60000"))
CLUSTERS = int(os.environ.get("BENCH_CLUSTERS", "600"))
TOWNSHIPS_PER_COUNTY = 14
MARKER = "bench-risk"
FIRST_DAY = date(2025, 12, 1)  # case_rows draws birth dates before it
DAYS = 365
HISTORY_TARGET, DAY_TARGET = 30.0, 1.0


def _user() -> Any:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    nation, _ = Division.objects.get_or_create(
        code="000000", defaults={"name": "中华人民共和国", "level": "nation"})
    user, _ = User.objects.get_or_create(
        username="bench-risk-nation", defaults={"role": "national_officer", "division": nation})
    return user


def populate(user: Any) -> dict[str, Any]:
    from bench import case_rows
    from shouwang.geo.models import Division, Level
    from shouwang.surveillance.models import CaseReport
    from shouwang.surveillance.services.counts import daily_counts_rebuild
    from shouwang.tracing.models import Cluster

    have = CaseReport.objects.filter(reporting_facility__startswith=MARKER).count()
    # The clusters are made last: without them an earlier load did not finish.
    if have >= CASES and Cluster.objects.filter(key__startswith=MARKER).exists():
        return {"cases": have, "load_seconds": 0.0}
    case_rows.delete(MARKER)
    codes = sorted(Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True))
    rng = np.random.default_rng(7)
    weights = rng.gamma(0.3, 1.0, len(codes))
    t0 = time.perf_counter()
    case_rows.load(n_cases=CASES, user_id=user.pk, marker=MARKER, first_day=FIRST_DAY,
                   days=DAYS, diseases={"covid19": 1.0}, codes=codes, weights=weights.tolist())
    # Each report into one of its county's 14 townships, skewed (township 001 the busiest).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            township = "lpad((1 + floor(14 * power(random(), 2)))::int::text, 3, '0')"
        else:
            township = ("substr('00' || (1 + ((abs(random()) %% 1000) * (abs(random()) %% 1000))"
                        " / 71429), -3)")
        cursor.execute(f"UPDATE surveillance_casereport SET division_code = "
                       f"substr(division_code, 1, 6) || {township} "
                       f"WHERE reporting_facility LIKE %s", [MARKER + "%"])
    daily_counts_rebuild()
    _clusters(user, rng)
    return {"cases": CASES, "load_seconds": round(time.perf_counter() - t0, 1)}


def _clusters(user: Any, rng: np.random.Generator) -> None:
    from django.db.models import Count

    from shouwang.surveillance.models import CaseReport
    from shouwang.tracing.models import Cluster, Setting

    busiest = list(CaseReport.objects.filter(reporting_facility__startswith=MARKER)
                   .values("division_code").annotate(n=Count("id")).order_by("-n")
                   .values_list("division_code", flat=True)[:CLUSTERS])
    with transaction.atomic():
        Cluster.objects.filter(key__startswith=MARKER).delete()
        Setting.objects.filter(source_key__startswith=MARKER).delete()
        settings_ = Setting.objects.bulk_create([
            Setting(kind="workplace", label=f"bench {code}", division_code=code,
                    source_key=f"{MARKER}:{code}", created_by=user) for code in busiest])
        clusters = []
        for i, s in enumerate(settings_):
            first = FIRST_DAY + timedelta(days=int(rng.integers(0, DAYS - 20)))
            last = first + timedelta(days=int(rng.integers(3, 21)))
            clusters.append(Cluster(key=f"{MARKER}:{i}", disease_id="covid19", setting=s,
                                    division_code=s.division_code, first_onset=first,
                                    last_onset=last, case_count=int(rng.integers(2, 30))))
        Cluster.objects.bulk_create(clusters)


def main() -> None:
    from shouwang.geo.models import Division
    from shouwang.risk.models import AreaRisk, Publication
    from shouwang.risk.services.compute import levels_compute, levels_compute_range
    from shouwang.risk.services.publish import levels_publish

    call_command("migrate", verbosity=0)
    if Division.objects.count() < 3000:
        call_command("geo", "load", stdout=io.StringIO())
    settings.SHOUWANG_NOTIFY_BACKENDS = []
    figures: dict[str, Any] = {"database": connection.vendor}
    figures["data"] = populate(_user())
    # Into an empty table, as a first history or the demo: a DELETE leaves PostgreSQL the
    # last run's 1.5 million dead rows in every index until autovacuum passes (+5-6 s).
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(AreaRisk._meta.db_table)
        cursor.execute(f"TRUNCATE {table}" if connection.vendor == "postgresql"
                       else f"DELETE FROM {table}")
    Publication.objects.all().delete()

    start, end = FIRST_DAY + timedelta(days=1), FIRST_DAY + timedelta(days=DAYS - 1)
    t0 = time.perf_counter()
    history = levels_compute_range(disease="covid19", start=start, end=end)
    history_s = time.perf_counter() - t0
    by_level = dict(AreaRisk.objects.values_list("division_level").annotate(
        n=django.db.models.Count("id")).values_list("division_level", "n"))

    day = end + timedelta(days=1)
    # The daily job's case: a day not computed yet, continuing from the stored day before.
    t0 = time.perf_counter()
    levels_compute(disease="covid19", day=day)
    first_s = time.perf_counter() - t0
    times = []
    for _ in range(3):   # computed again: its unpublished rows replaced
        t0 = time.perf_counter()
        one = levels_compute(disease="covid19", day=day)
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    pub = levels_publish(disease="covid19", day=day, notify=False)
    publish_s = time.perf_counter() - t0
    townships = AreaRisk.objects.filter(day=day, division_level="township").count()
    figures.update({
        "counties": Division.objects.filter(level="county").count(),
        "townships_synthetic": Division.objects.filter(level="county").count()
        * TOWNSHIPS_PER_COUNTY,
        "clusters": CLUSTERS,
        "history": {"days": len(history.computed), "rows": history.rows,
                    "rows_by_level": by_level, "seconds": round(history_s, 2),
                    "rows_per_second": round(history.rows / history_s)},
        "one_day": {"day": day.isoformat(), "rows": one.rows,
                    "township_rows": townships,
                    "seconds_first": round(first_s, 3),
                    "seconds_recompute_best_of_3": round(min(times), 3),
                    "seconds_recompute_all": [round(t, 3) for t in times],
                    "levels": one.last_day_levels},
        "publish_seconds": round(publish_s, 3),
        "published": {"n_high": pub.n_high, "n_medium": pub.n_medium},
    })
    figures["meets_targets"] = bool(history_s < HISTORY_TARGET and first_s < DAY_TARGET)
    write_result(f"risk_levels_{connection.vendor}", figures,
                 {"one_day_all_divisions_seconds": f"< {DAY_TARGET}",
                  "year_of_history_seconds": f"< {HISTORY_TARGET}"})


if __name__ == "__main__":
    main()
