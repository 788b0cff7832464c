"""A monitoring pass over households stored in the database (decision 1230): N households
(default 50,000; 3 members each) with 24 months of monthly wages and transfers, a medical shock
for one in twenty and a lost-income shock for one in fifty, judged at the last of those months
by services.monitoring.monitoring_run — the inputs loader (selectors.monitoring), the rules
(shouwang.epi.livelihood_rules) and the flag writes (flags_open_bulk). Timed twice: the first pass
opens the flags, the second (the same month again) opens nothing (idempotence) and so measures
loading and the rules alone; a third, traced, gives the peak Python memory.

    SHOUWANG_VAR_DIR=/tmp/bench-lh-pass .venv/bin/python -m bench.bench_livelihood_pass_db
    SHOUWANG_PG_DIR=/tmp/pg-x SHOUWANG_PG_PORT=… scripts/pg.sh run -- \\
        .venv/bin/python -m bench.bench_livelihood_pass_db
    BENCH_HOUSEHOLDS=10000 … (smaller)
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from datetime import date
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-lh-pass")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.common import write_result  # noqa: E402
from shouwang.livelihood.services.monitoring import CHUNK  # noqa: E402

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "50000"))
MONTHS = 24
T = date(2025, 12, 1)
COUNTY = "420111"
TOWNSHIP = "420111902"
VILLAGES = [f"{TOWNSHIP}{v:03d}" for v in range(1, 11)]
CHAIN = [("000000", "中华人民共和国", "nation", None), ("420000", "湖北省", "province", "000000"),
         ("420100", "武汉市", "prefecture", "420000"), ("420111", "洪山区", "county", "420100"),
         (TOWNSHIP, "压测监测乡", "township", "420111")]


def divisions() -> None:
    from shouwang.geo.models import Division

    for code, name, level, parent in CHAIN + [(v, f"压测村{v[-3:]}", "village", TOWNSHIP)
                                              for v in VILLAGES]:
        if not Division.objects.filter(code=code).exists():
            Division(code=code, name=name, level=level, parent_id=parent).save()


def populate() -> float:
    """The households with bulk inserts (members without personal data: the pass counts them)."""
    from shouwang.livelihood.models import (
        Household,
        IncomeRecord,
        Member,
        MonitoringFlag,
        MonitoringRun,
        MonitoringThreshold,
        Shock,
    )

    for year, amount in ((2024, 6800), (2025, 7000)):
        MonitoringThreshold.objects.get_or_create(
            year=year, province_code="", defaults={"poverty_line": Decimal(4000),
                                                   "multiple": Decimal("1.5"),
                                                   "amount": Decimal(amount)})
    have = Household.objects.filter(division_code__startswith=TOWNSHIP).count()
    t0 = time.perf_counter()
    with transaction.atomic():
        # The flags of an earlier run go, so that the first pass opens them again.
        MonitoringFlag.objects.filter(division_code__startswith=TOWNSHIP).delete()
        MonitoringRun.objects.filter(division_prefix=TOWNSHIP).delete()
        Household.objects.filter(division_code__startswith=TOWNSHIP).update(
            monitoring_status="not_monitored")
        if have >= HOUSEHOLDS:
            return 0.0
        Shock.objects.filter(household__division_code__startswith=TOWNSHIP).delete()
        IncomeRecord.objects.filter(household__division_code__startswith=TOWNSHIP).delete()
        Member.objects.filter(household__division_code__startswith=TOWNSHIP).delete()
        Household.objects.filter(division_code__startswith=TOWNSHIP).delete()
        Household.objects.bulk_create([Household(
            household_number=f"P{TOWNSHIP}{i:07d}", division_code=VILLAGES[i % len(VILLAGES)],
            poverty_status="lifted_out" if i % 4 == 0 else "never_poor",
            lifted_out_year=2020 + i % 5 if i % 4 == 0 else None,
            water_secure=i % 97 != 0) for i in range(HOUSEHOLDS)], batch_size=2000)
        ids = list(Household.objects.filter(division_code__startswith=TOWNSHIP)
                   .order_by("pk").values_list("pk", flat=True))
        batch: list[Any] = []
        for hid in ids:
            batch += [Member(household_id=hid, relationship=r)
                      for r in ("head", "spouse", "child")]
            if len(batch) >= 30000:
                Member.objects.bulk_create(batch, batch_size=5000)
                batch = []
        Member.objects.bulk_create(batch, batch_size=5000)
        incomes: list[Any] = []
        shocks: list[Any] = []
        for n, hid in enumerate(ids):
            # Per household a month: wages 1,500 … 2,999, with one in eight halving in 2025.
            wage = 1500 + (n * 37) % 1500
            for k in range(MONTHS):
                year, month = 2024 + k // 12, k % 12 + 1
                w = wage // 2 if (n % 8 == 0 and year == 2025) else wage
                incomes.append(IncomeRecord(household_id=hid, year=year, month=month,
                                            component="wages", amount=Decimal(w),
                                            source="cadre_visit"))
                incomes.append(IncomeRecord(household_id=hid, year=year, month=month,
                                            component="transfer", amount=Decimal(200),
                                            source="cadre_visit"))
            if n % 20 == 0:
                shocks.append(Shock(household_id=hid, kind="medical",
                                    occurred_on=date(2025, 1 + n % 12, 5),
                                    amount=Decimal(8000 + n % 30000), source="cadre_visit"))
            if n % 50 == 1:
                shocks.append(Shock(household_id=hid, kind="job_loss",
                                    occurred_on=date(2025, 6, 1), ended_on=date(2025, 9, 30),
                                    amount=Decimal(6000), source="cadre_visit"))
            if len(incomes) >= 100_000:
                IncomeRecord.objects.bulk_create(incomes, batch_size=10_000)
                incomes = []
        IncomeRecord.objects.bulk_create(incomes, batch_size=10_000)
        Shock.objects.bulk_create(shocks, batch_size=5000)
    return time.perf_counter() - t0


def timed_run(trace: bool = False) -> tuple[float, float, Any]:
    """The pass's seconds, and with `trace` its peak traced Python memory (MB; tracing slows
    the pass, so the timed runs do not trace)."""
    from shouwang.livelihood.services.monitoring import monitoring_run

    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    run = monitoring_run(month=T, division_prefix=TOWNSHIP)
    seconds = time.perf_counter() - t0
    peak = 0.0
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return seconds, peak, run


def main() -> None:
    call_command("migrate", verbosity=0)
    divisions()
    populate_s = populate()
    first_s, _mb, first = timed_run()
    second_s, _mb, second = timed_run()
    _s, traced_mb, _run = timed_run(trace=True)
    assert first.households == HOUSEHOLDS and first.flags_opened == first.flagged > 0, first
    assert second.flags_opened == 0 and second.flagged == first.flagged, second
    per_s = HOUSEHOLDS / first_s
    figures = {
        "database": connection.vendor,
        "households": HOUSEHOLDS,
        "months": MONTHS,
        "income_records": HOUSEHOLDS * MONTHS * 2,
        "populate_seconds": round(populate_s, 1),
        "chunk_households": CHUNK,
        "first_pass_seconds": round(first_s, 2),
        "flagged": first.flagged, "flags_opened": first.flags_opened,
        "eligible_first": first.eligible,
        "second_pass_seconds": round(second_s, 2),
        "pass_peak_traced_python_mb": round(traced_mb, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "households_per_second_first_pass": round(per_s),
        "extrapolated_10m_households_minutes": round(10_000_000 / per_s / 60, 1),
    }
    write_result(f"livelihood_pass_db_{connection.vendor}", figures)


if __name__ == "__main__":
    main()
