"""First page of one county's records out of 1,000,000 rows, through the scoped selector.

The records are audit events (the table that reaches this size first in issue 2); the selector is
the one the auditor's page and API use, so the figure is what a user waits for.

Target (issue 2): < 50 ms on SQLite and on PostgreSQL. The database is the one DATABASE_URL names
(SQLite under SHOUWANG_VAR_DIR by default); rows are generated once and kept between runs.

    SHOUWANG_VAR_DIR=/tmp/bench-var python -m bench.bench_scoped_listing
    DATABASE_URL=postgres://… python -m bench.bench_scoped_listing
"""

from __future__ import annotations

import importlib
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-var")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection  # noqa: E402

from bench.common import write_result  # noqa: E402

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
BATCH = 20_000
MARKER = "bench.scoped"


def county_codes(n: int = 2_900) -> list[str]:
    """Synthetic but well-formed county codes spread over 31 provinces."""
    provinces = [
        11,
        12,
        13,
        14,
        15,
        21,
        22,
        23,
        31,
        32,
        33,
        34,
        35,
        36,
        37,
        41,
        42,
        43,
        44,
        45,
        46,
        50,
        51,
        52,
        53,
        54,
        61,
        62,
        63,
        64,
        65,
    ]
    rng = random.Random(7)
    codes: set[str] = set()
    while len(codes) < n:
        codes.add(f"{rng.choice(provinces):02d}{rng.randint(1, 30):02d}{rng.randint(1, 30):02d}")
    return sorted(codes)


def populate(codes: list[str]) -> float:
    from shouwang.core.models import AuditEvent

    have = AuditEvent.objects.filter(object_type=MARKER).count()
    if have >= ROWS:
        return 0.0
    rng = random.Random(11)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    for offset in range(have, ROWS, BATCH):
        n = min(BATCH, ROWS - offset)
        AuditEvent.objects.bulk_create(
            AuditEvent(
                actor_username=f"user{rng.randint(1, 5000)}",
                action="update",
                object_type=MARKER,
                object_id=str(offset + i),
                division_code=rng.choice(codes),
                summary="generated for the scoped-listing benchmark",
            )
            for i in range(n)
        )
        sys.stdout.write(f"\rpopulating {offset + n:,}/{ROWS:,}")
        sys.stdout.flush()
    print()
    # Spread the timestamps, which auto_now_add set to now, over a year, as real logs are.
    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER core_auditevent_no_change")
            cursor.execute(
                f"UPDATE {table} SET occurred_at = %s + (id %% 525600) * interval '1 minute'"
                " WHERE object_type = %s",
                [start, MARKER],
            )
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER core_auditevent_no_change")
        else:
            triggers = importlib.import_module(
                "shouwang.core.migrations.0002_audit_append_only_triggers"
            )
            cursor.execute("DROP TRIGGER IF EXISTS core_auditevent_no_update")
            cursor.execute(
                f"UPDATE {table} SET occurred_at ="
                " datetime(%s, '+' || (id %% 525600) || ' minutes') WHERE object_type = %s",
                [start.strftime("%Y-%m-%d %H:%M:%S"), MARKER],
            )
            cursor.execute(triggers.SQLITE[0])
            cursor.execute("ANALYZE")
    return time.perf_counter() - t0


def settle() -> None:
    """Bring the table to the state autovacuum keeps a live one in: statistics and, on
    PostgreSQL, a visibility map (a fresh bulk load has none, which slows index-only counts)."""
    from shouwang.core.models import AuditEvent

    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        vacuum = connection.vendor == "postgresql"
        cursor.execute(f"VACUUM ANALYZE {table}" if vacuum else "ANALYZE")


def auditor(code: str, level: str) -> object:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    parent = None
    if level != "nation":
        Division.objects.get_or_create(
            code="000000", defaults={"name": "中华人民共和国", "level": "nation"}
        )
        parent = "000000"
    division, _ = Division.objects.get_or_create(
        code=code, defaults={"name": f"bench {code}", "level": level, "parent_id": parent}
    )
    user, _ = User.objects.get_or_create(
        username=f"bench-auditor-{code}", defaults={"role": "auditor", "division": division}
    )
    return user


def first_page_ms(user: object, repeats: int = 30) -> dict[str, float]:
    from shouwang.core.selectors import audit_event_list

    timings = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        page = Paginator(audit_event_list(user=user), 50).get_page(1)  # type: ignore[arg-type]
        rows = list(page.object_list)
        _ = page.paginator.num_pages
        timings.append((time.perf_counter() - t0) * 1000)
        assert rows, "the benchmark county has no rows"
    timings.sort()
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
    }


def main() -> None:
    call_command("migrate", verbosity=0)
    codes = county_codes()
    populate_s = populate(codes)
    settle()
    county = codes[len(codes) // 2]
    figures = {
        "database": connection.vendor,
        "rows": ROWS,
        "populate_seconds": round(populate_s, 1),
        "county_first_page": first_page_ms(auditor(county, "county")),
        "province_first_page": first_page_ms(auditor(county[:2] + "0000", "province"), 10),
        "nation_first_page": first_page_ms(auditor("000000", "nation"), 10),
    }
    write_result(
        f"scoped_listing_{connection.vendor}",
        figures,
        targets={"county_first_page.median_ms": "< 50"},
    )


if __name__ == "__main__":
    main()
