"""Daily counts for all counties × 365 days from 5,000,000 cases, through the selector.

Synthetic reports (no personal values: the counts never read them) spread over ~2,800 county
codes, a year of days and a handful of diseases are loaded once by COPY (PostgreSQL) or
executemany (SQLite); the daily-count table is rebuilt (timed), then the nation-level selector is
asked for every county × 365 days (timed), for one disease and for all diseases.

Target (issue 3): < 2 s on PostgreSQL.

    scripts/pg.sh run -- .venv/bin/python -m bench.bench_daily_counts
    BENCH_CASES=1000000 SHOUWANG_VAR_DIR=/tmp/bench-var .venv/bin/python -m bench.bench_daily_counts
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-var")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.bench_scoped_listing import county_codes  # noqa: E402
from bench.common import best_of, write_result  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "5000000"))
BATCH = 100_000
MARKER = "bench-counts"
FIRST_DAY = date(2025, 12, 1)
DAYS = 365
# A main disease and a tail, as in a real year.
DISEASES = {"covid19": 0.55, "influenza": 0.2, "hfmd": 0.1, "tuberculosis": 0.1, "dengue": 0.05}
CLASSES = ["confirmed", "clinical", "suspected", "asymptomatic"]
CLASS_P = [0.55, 0.15, 0.2, 0.1]

COLUMNS = [
    "name", "id_type", "id_number", "phone", "sex", "disease_id", "classification",
    "division_code", "address_detail", "occupation", "onset_date", "diagnosed_at", "reported_at",
    "reporting_facility", "reporting_division_code", "severity", "outcome", "imported",
    "origin_division_code", "origin_country", "report_deadline_at", "verification_due_at",
    "status", "revoked_reason", "version", "created_by_id", "created_at", "updated_at",
]


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


def _stamps(minutes: np.ndarray, postgres: bool) -> list[str]:
    """UTC timestamps as the text each backend stores (vectorised: per-row datetimes are slow)."""
    moments = np.datetime64(FIRST_DAY.isoformat(), "m") + minutes.astype("timedelta64[m]")
    text = np.datetime_as_string(moments, unit="s")
    text = np.char.replace(text, "T", " ")
    if postgres:
        text = np.char.add(text, "+00")
    return text.tolist()


def batches(user_id: int, codes: list[str], weights: dict[str, float]):  # type: ignore[no-untyped-def]
    """Rows of COLUMNS, BATCH at a time, from a fixed seed."""
    rng = np.random.default_rng(2026)
    names = np.array(list(weights), dtype=object)
    code_arr = np.array(codes, dtype=object)
    class_arr = np.array(CLASSES, dtype=object)
    status_arr = np.array(["active", "revoked", "merged"], dtype=object)
    postgres = connection.vendor == "postgresql"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S") + ("+00" if postgres else "")
    for offset in range(0, CASES, BATCH):
        n = min(BATCH, CASES - offset)
        county = code_arr[rng.integers(0, len(codes), n)].tolist()
        disease = names[rng.choice(len(names), n, p=list(weights.values()))].tolist()
        cls = class_arr[rng.choice(len(CLASSES), n, p=CLASS_P)].tolist()
        onset_days = rng.integers(0, DAYS, n)
        diag = onset_days * 1440 + rng.integers(0, 5 * 1440, n)
        report = diag + rng.integers(10, 2 * 1440, n)
        onset = np.datetime_as_string(
            np.datetime64(FIRST_DAY.isoformat(), "D") + onset_days.astype("timedelta64[D]")
        ).astype(object)
        onset[rng.random(n) < 0.03] = None
        status = status_arr[rng.choice(3, n, p=[0.97, 0.02, 0.01])].tolist()
        diagnosed, reported = _stamps(diag, postgres), _stamps(report, postgres)
        deadline, due = _stamps(diag + 1440, postgres), _stamps(report + 1440, postgres)
        rows = [
            ("", "none", "", "", "U", dis, c, code, "", "unknown", on, dg, rp, MARKER, code,
             "", "", False, "", "", dl, du, st, "", 1, user_id, now, now)
            for dis, c, code, on, dg, rp, dl, du, st in zip(
                disease, cls, county, onset.tolist(), diagnosed, reported, deadline, due, status,
                strict=True)
        ]
        yield offset + n, rows


def _populate_postgresql(table: str, user_id: int, codes: list[str],
                         weights: dict[str, float]) -> None:
    """Generated inside the server (generate_series, a seeded random()): no row crosses the
    wire, so five million take about a minute instead of several."""
    names = list(weights)
    bounds = np.cumsum(list(weights.values())).tolist()
    disease_case = "CASE " + " ".join(
        f"WHEN r_d < {b:.6f} THEN '{name}'" for name, b in zip(names[:-1], bounds[:-1], strict=True)
    ) + f" ELSE '{names[-1]}' END"
    class_bounds = np.cumsum(CLASS_P).tolist()
    class_case = "CASE " + " ".join(
        f"WHEN r_c < {b:.6f} THEN '{c}'"
        for c, b in zip(CLASSES[:-1], class_bounds[:-1], strict=True)
    ) + f" ELSE '{CLASSES[-1]}' END"
    sql = f"""
        INSERT INTO {table} ({", ".join(COLUMNS)})
        SELECT '', 'none', '', '', 'U', {disease_case}, {class_case}, code, '', 'unknown',
               CASE WHEN r_o < 0.03 THEN NULL ELSE %(first)s::date + onset_day END,
               diag, rep, %(marker)s, code, '', '', false, '', '',
               diag + interval '1 day', rep + interval '1 day',
               CASE WHEN r_s < 0.97 THEN 'active' WHEN r_s < 0.99 THEN 'revoked' ELSE 'merged' END,
               '', 1, %(user)s, now(), now()
        FROM (
            SELECT (%(codes)s::text[])[1 + floor(random() * %(ncodes)s)::int] AS code,
                   random() AS r_d, random() AS r_c, random() AS r_o, random() AS r_s,
                   onset_day,
                   %(start)s::timestamptz + (onset_day * 1440 + d1) * interval '1 minute' AS diag,
                   %(start)s::timestamptz
                       + (onset_day * 1440 + d1 + d2) * interval '1 minute' AS rep
            FROM (
                SELECT floor(random() * %(days)s)::int AS onset_day,
                       floor(random() * 5 * 1440)::int AS d1,
                       10 + floor(random() * 2 * 1440)::int AS d2
                FROM generate_series(1, %(n)s)
            ) base
        ) g
    """
    params = {"first": FIRST_DAY, "marker": MARKER, "user": user_id, "codes": codes,
              "ncodes": len(codes), "days": DAYS, "start": datetime.combine(
                  FIRST_DAY, datetime.min.time(), tzinfo=UTC)}
    done = 0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2026)")
        for offset in range(0, CASES, 1_000_000):
            n = min(1_000_000, CASES - offset)
            with transaction.atomic():
                cursor.execute(sql, {**params, "n": n})
            done += n
            sys.stdout.write(f"\rpopulating {done:,}/{CASES:,} ({time.perf_counter() - t0:.0f} s)")
            sys.stdout.flush()


def populate(user_id: int) -> float:
    from shouwang.surveillance.models import CaseReport

    have = CaseReport.objects.filter(reporting_facility=MARKER).count()
    if have >= CASES:
        return 0.0
    CaseReport.objects.filter(reporting_facility=MARKER).delete()
    codes = county_codes(2_800)
    table = CaseReport._meta.db_table
    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        _populate_postgresql(table, user_id, codes, diseases())
    else:
        for done, rows in batches(user_id, codes, diseases()):
            with transaction.atomic(), connection.cursor() as cursor:
                marks = ", ".join(["%s"] * len(COLUMNS))
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
            sys.stdout.write(f"\rpopulating {done:,}/{CASES:,} ({time.perf_counter() - t0:.0f} s)")
            sys.stdout.flush()
    print()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}" if connection.vendor == "postgresql"
                       else "ANALYZE")
    return time.perf_counter() - t0


def main() -> None:
    from shouwang.surveillance.models import DailyCount
    from shouwang.surveillance.selectors.counts import daily_counts
    from shouwang.surveillance.services.counts import daily_counts_rebuild

    call_command("migrate", verbosity=0)
    user = bench_user()
    populate_s = populate(user.pk)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    cells = daily_counts_rebuild()
    rebuild_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {DailyCount._meta.db_table}"
                       if connection.vendor == "postgresql" else "ANALYZE")
    until = FIRST_DAY + timedelta(days=DAYS - 1)
    sizes: dict[str, int] = {}

    def query(disease: str | None) -> None:
        rows = daily_counts(user=user, since=FIRST_DAY, until=until,  # type: ignore[arg-type]
                            level="county", disease=disease, basis="onset")
        sizes[disease or "all"] = len(rows)

    one = best_of(3, lambda: query("covid19"))
    every = best_of(3, lambda: query(None))
    figures = {
        "database": connection.vendor,
        "cases": CASES,
        "counties": 2_800,
        "days": DAYS,
        "populate_seconds": round(populate_s, 1),
        "rebuild_seconds": round(rebuild_s, 2),
        "daily_count_cells": cells,
        "all_counties_365_days_one_disease_seconds": round(one, 3),
        "all_counties_365_days_one_disease_rows": sizes["covid19"],
        "all_counties_365_days_all_diseases_seconds": round(every, 3),
        "all_counties_365_days_all_diseases_rows": sizes["all"],
    }
    write_result(f"daily_counts_{connection.vendor}", figures,
                 targets={"all_counties_365_days_one_disease_seconds": "< 2 (PostgreSQL)"})


if __name__ == "__main__":
    main()
