"""Daily counts for all counties × 365 days from 5,000,000 cases, through the selector.

Synthetic reports (bench/case_rows.py: encrypted persons, realistic fields) spread over ~2,800
county codes, a year of days and a handful of diseases are loaded once by COPY FROM STDIN
(PostgreSQL) or executemany (SQLite); the daily-count table is rebuilt (timed), then the
nation-level count matrix (every county × 365 days × classification, numpy) is asked for one
disease and for each disease in turn (timed), and the ways of reading it are compared.

Target (issue 3): < 2 s on PostgreSQL.

    scripts/pg.sh run -- .venv/bin/python -m bench.bench_daily_counts
    BENCH_CASES=1000000 SHOUWANG_VAR_DIR=/tmp/bench-var .venv/bin/python -m bench.bench_daily_counts
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-var")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.bench_scoped_listing import county_codes  # noqa: E402
from bench.common import best_of, write_result  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "5000000"))
MARKER = "bench-counts"
FIRST_DAY = date(2025, 12, 1)
DAYS = 365
# A main disease and a tail, as in a real year.
DISEASES = {"covid19": 0.55, "influenza": 0.2, "hfmd": 0.1, "tuberculosis": 0.1, "dengue": 0.05}

def bench_user() -> object:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    nation, _ = Division.objects.get_or_create(
        code="000000", defaults={"name": "中华人民共和国", "level": "nation"})
    user, _ = User.objects.get_or_create(
        username="bench-counts-nation", defaults={"role": "national_officer", "division": nation})
    return user


def diseases() -> dict[str, float]:
    from shouwang.surveillance.models import Disease

    known = set(Disease.objects.filter(code__in=list(DISEASES)).values_list("code", flat=True))
    chosen = {k: v for k, v in DISEASES.items() if k in known}
    if not chosen:
        raise SystemExit("none of the bench diseases is in the disease list")
    total = sum(chosen.values())
    return {k: v / total for k, v in chosen.items()}


def populate(user_id: int) -> float:
    from bench import case_rows
    from shouwang.surveillance.models import CaseReport

    have = CaseReport.objects.filter(reporting_facility__startswith=MARKER).count()
    if have >= CASES and not os.environ.get("BENCH_REPOPULATE"):
        return 0.0
    case_rows.delete(MARKER)
    return case_rows.load(n_cases=CASES, user_id=user_id, marker=MARKER, first_day=FIRST_DAY,
                          days=DAYS, diseases=diseases(), codes=county_codes(2_800))


def options(user: object, since: date, until: date) -> dict[str, float]:
    """The ways to read one disease's county × day × classification cells, each timed (best of
    3) up to a numpy array: what decision 0710 chose from."""
    from shouwang.surveillance.models import Classification, DailyCount
    from shouwang.surveillance.selectors import counts as sel

    wanted = list(Classification.values)
    sql, params = sel.matrix_sql("", "onset", "covid19", since, until, wanted)
    timings: dict[str, float] = {}

    def orm_rows() -> None:  # what the API's daily endpoint did: one NamedTuple per cell
        sel.daily_counts(user=user, since=since, until=until, level="county",  # type: ignore[arg-type]
                         disease="covid19", basis="onset")

    def orm_values_list() -> None:
        qs = DailyCount.objects.filter(basis="onset", disease_id="covid19", day__gte=since,
                                       day__lte=until)
        np.array(list(qs.values_list("county_code", "day", "classification", "count")
                      .iterator(chunk_size=20000)), dtype=object)

    def cursor_fetchall() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            np.array(cursor.fetchall(), dtype=np.int64)

    def array_agg() -> None:  # one row per county, the cells as server-built arrays
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT county, array_agg(d), array_agg(k), array_agg(n) "
                f"FROM ({sql}) cells(county, d, k, n) GROUP BY county", params)
            for _county, d, k, n in cursor.fetchall():
                np.asarray(d), np.asarray(k), np.asarray(n)

    def copy_binary() -> None:  # binary COPY parsed by numpy: one protocol message per row
        row = np.dtype([("n", ">i2"), ("l0", ">i4"), ("a", ">i4"), ("l1", ">i4"), ("b", ">i4"),
                        ("l2", ">i4"), ("c", ">i4"), ("l3", ">i4"), ("d", ">i4")])
        buffer = bytearray()
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY ({sql}) TO STDOUT (FORMAT binary)", params) as copy:
            for block in copy:
                buffer += block
        np.frombuffer(memoryview(buffer)[19:len(buffer) - 2], dtype=row)

    def packed_bytea() -> None:  # the selector's fetch: one bytea of int4send values
        sel.matrix_cells(sql, params)

    def matrix() -> None:  # the selector: packed bytea (PostgreSQL) or cursor (SQLite) + dense
        sel.count_matrix(user=user, disease="covid19", since=since, until=until,  # type: ignore[arg-type]
                         basis="onset")

    candidates = {"orm_count_rows": orm_rows, "orm_values_list": orm_values_list,
                  "cursor_fetchall": cursor_fetchall, "count_matrix_selector": matrix}
    if connection.vendor == "postgresql":
        candidates.update(array_agg_per_county=array_agg, copy_binary_numpy=copy_binary,
                          string_agg_int4send_bytea=packed_bytea)
    for name, fn in candidates.items():
        timings[name] = round(best_of(3, fn), 3)
        print(f"{name}: {timings[name]} s")
    return timings


def main() -> None:
    from shouwang.surveillance.models import DailyCount
    from shouwang.surveillance.selectors.counts import count_matrix
    from shouwang.surveillance.services.counts import daily_counts_rebuild

    call_command("migrate", verbosity=0)
    user = bench_user()
    populate_s = populate(user.pk)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    cells = daily_counts_rebuild() if not os.environ.get("BENCH_SKIP_REBUILD") else \
        DailyCount.objects.count()
    rebuild_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {DailyCount._meta.db_table}"
                       if connection.vendor == "postgresql" else "ANALYZE")
    until = FIRST_DAY + timedelta(days=DAYS - 1)
    sizes: dict[str, int] = {}
    shape: list[int] = []

    def query(disease: str) -> None:
        m = count_matrix(user=user, since=FIRST_DAY, until=until,  # type: ignore[arg-type]
                         disease=disease, basis="onset")
        sizes[disease] = int(np.count_nonzero(m.counts))
        shape[:] = list(m.counts.shape)

    def every_disease() -> None:
        for code in diseases():
            query(code)

    one = best_of(3, lambda: query("covid19"))
    one_cells = sizes["covid19"]
    every = best_of(3, every_disease)
    populated_at = None
    if populate_s == 0.0:
        # The reports were loaded by an earlier run: keep the figure that run measured.
        from bench.common import RESULTS

        earlier = RESULTS / f"daily_counts_{connection.vendor}.json"
        if earlier.exists():
            previous = json.loads(earlier.read_text())
            populate_s = previous["figures"].get("populate_seconds", 0.0)
            populated_at = previous["figures"].get("populated_at", previous["measured_at"])
    figures = {
        "database": connection.vendor,
        "cases": CASES,
        "counties": 2_800,
        "days": DAYS,
        "populate_seconds": round(populate_s, 1),
        "populated_at": populated_at or "this run",
        "populate_method": ("COPY FROM STDIN, secondary indexes and foreign keys rebuilt after"
                            if connection.vendor == "postgresql" else "executemany"),
        "rebuild_seconds": round(rebuild_s, 2),
        "daily_count_cells": cells,
        "selector": "count_matrix (dense counties × days × classifications, numpy)",
        "matrix_shape": shape,
        "all_counties_365_days_one_disease_seconds": round(one, 3),
        "all_counties_365_days_one_disease_rows": one_cells,
        "all_counties_365_days_all_diseases_seconds": round(every, 3),
        "all_counties_365_days_all_diseases_rows": sum(sizes.values()),
        "options_one_disease_seconds": options(user, FIRST_DAY, until),
    }
    write_result(f"daily_counts_{connection.vendor}", figures,
                 targets={"all_counties_365_days_one_disease_seconds": "< 2 (PostgreSQL)"})


if __name__ == "__main__":
    main()
