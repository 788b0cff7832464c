"""The village list page (/livelihood/households/?division=…) for a village of 5,000 households
(4 members each, three years of income by component, a shock for one household in three), as a
township's livelihood cadre sees it: median of 20 requests (target < 300 ms, issue 7).

The village is loaded once with bulk inserts (personal data encrypted as the services write it);
the page itself goes through the real view, selector and template.

    SHOUWANG_VAR_DIR=/tmp/bench-lh-village .venv/bin/python -m bench.bench_livelihood_village_list
    SHOUWANG_PG_DIR=/tmp/pg-x SHOUWANG_PG_PORT=… scripts/pg.sh run -- \
        .venv/bin/python -m bench.bench_livelihood_village_list
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-lh-village")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import write_result  # noqa: E402

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "5000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
TOWNSHIP = "420111901"
VILLAGE = "420111901001"
CHAIN = [("000000", "中华人民共和国", "nation", None), ("420000", "湖北省", "province", "000000"),
         ("420100", "武汉市", "prefecture", "420000"), ("420111", "洪山区", "county", "420100"),
         (TOWNSHIP, "压测乡", "township", "420111"), (VILLAGE, "压测村", "village", TOWNSHIP)]


def divisions() -> None:
    from shouwang.geo.models import Division

    for code, name, level, parent in CHAIN:
        if not Division.objects.filter(code=code).exists():
            Division(code=code, name=name, level=level, parent_id=parent).save()


def cadre() -> Any:
    from shouwang.accounts.models import User

    user, _ = User.objects.get_or_create(
        username="bench-lh-township", defaults={"role": "livelihood_cadre",
                                                "division_id": TOWNSHIP})
    return user


def populate() -> float:
    from shouwang.core.validators import resident_id_check_char
    from shouwang.livelihood.models import Household, IncomeRecord, Member, Shock

    have = Household.objects.filter(division_code=VILLAGE).count()
    if have >= HOUSEHOLDS:
        return 0.0
    t0 = time.perf_counter()
    year = date.today().year
    with transaction.atomic():
        Shock.objects.filter(household__division_code=VILLAGE).delete()
        IncomeRecord.objects.filter(household__division_code=VILLAGE).delete()
        Member.objects.filter(household__division_code=VILLAGE).delete()
        Household.objects.filter(division_code=VILLAGE).delete()
        Household.objects.bulk_create([Household(
            household_number=f"B{VILLAGE}{i:05d}", division_code=VILLAGE,
            address_detail=f"{i % 12 + 1} 组 {i} 号",
            poverty_status="lifted_out" if i % 4 == 0 else "never_poor",
            lifted_out_year=2019 if i % 4 == 0 else None,
            monitoring_status=("monitored", "not_monitored", "not_monitored", "eliminated")[i % 4],
            medical_secure=i % 50 != 0) for i in range(HOUSEHOLDS)], batch_size=1000)
        ids = list(Household.objects.filter(division_code=VILLAGE).order_by("household_number")
                   .values_list("pk", flat=True))
        members, incomes, shocks = [], [], []
        for n, hid in enumerate(ids):
            for k, rel in enumerate(("head", "spouse", "child", "parent")):
                serial = n * 4 + k
                born = date(1950, 1, 1) + timedelta(days=serial % 20_000)
                body = f"420111{born:%Y%m%d}{(serial // 20_000) % 1000:03d}"
                members.append(Member(household_id=hid, name=f"村民{serial}",
                                      id_number=body + resident_id_check_char(body),
                                      relationship=rel, birth_date=born))
            for y in (year - 3, year - 2, year - 1):
                for c, base in (("wages", 24000), ("operating", 6000), ("property", 500),
                                ("transfer", 3000)):
                    incomes.append(IncomeRecord(household_id=hid, year=y, component=c,
                                                amount=Decimal(base + (n * 37) % 5000),
                                                source="cadre_visit"))
            if n % 3 == 0:
                shocks.append(Shock(household_id=hid, kind="medical",
                                    occurred_on=date(year - 1, 1 + n % 12, 1),
                                    amount=Decimal(5000 + n), source="cadre_visit"))
        Member.objects.bulk_create(members, batch_size=2000)
        IncomeRecord.objects.bulk_create(incomes, batch_size=5000)
        Shock.objects.bulk_create(shocks, batch_size=2000)
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any]) -> dict[str, float]:
    fn()  # warm: templates compiled, caches filled
    ms = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[max(int(len(ms) * 0.95) - 1, 0)], 1),
            "max_ms": round(ms[-1], 1)}


def get(client: Client, url: str) -> Callable[[], Any]:
    def run() -> Any:
        r = client.get(url)
        assert r.status_code == 200, (r.status_code, r.content[:300])
        return r
    return run


def main() -> None:
    call_command("migrate", verbosity=0)
    divisions()
    user = cadre()
    populate_s = populate()
    client = Client()
    client.force_login(user)
    base = f"/livelihood/households/?division={VILLAGE}"
    first = get(client, base)().content.decode()
    # The page measured is the real one: the village's total, and a full page of rows.
    assert f"共 {HOUSEHOLDS} 户" in first and first.count("/livelihood/households/") >= 50, \
        first[:500]
    figures = {
        "database": connection.vendor,
        "households": HOUSEHOLDS,
        "populate_seconds": round(populate_s, 1),
        "village_list_first_page": timed(get(client, base)),
        "village_list_last_page": timed(get(client, f"{base}&page=100")),
        "village_list_monitored_filter": timed(get(client, f"{base}&status=monitored")),
        "village_list_guarantees_lost": timed(get(client, f"{base}&guarantees_lost=1")),
        "township_list": timed(get(client, f"/livelihood/households/?division={TOWNSHIP}")),
        "api_first_page": timed(get(client, f"/api/v1/livelihood/households?division={VILLAGE}")),
    }
    write_result(f"livelihood_village_list_{connection.vendor}", figures,
                 targets={"village_list_first_page.median_ms": "< 300"})


if __name__ == "__main__":
    main()
