"""The line list's first page (and a later one) out of 1,000,000 case reports, at county, city,
province and nation level, through the scoped selector `case_page`; and the bulk status changes
(verify, reclassify) of 300 reports.

Reports are bench/case_rows.py's (encrypted persons, realistic fields), skewed as an outbreak is:
one city holds about 40 % of them (one of its counties 15 %), the rest spread over ~2,800
counties. "Quiet" scopes (a city and a county with few reports) are timed too, since an index
read backwards in report order must skip everything else there.

Targets (issue 3): first page < 300 ms; bulk change of 300 reports < 5 s.

    SHOUWANG_VAR_DIR=/tmp/bench-list .venv/bin/python -m bench.bench_case_list
    scripts/pg.sh run -- .venv/bin/python -m bench.bench_case_list
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-var")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.bench_scoped_listing import county_codes  # noqa: E402
from bench.common import write_result  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "1000000"))
MARKER = "bench-list"
FIRST_DAY = date(2025, 12, 1)
DAYS = 365
DISEASES = {"covid19": 0.7, "influenza": 0.2, "hfmd": 0.1}
LEVELS = {"county": "county", "city": "prefecture", "province": "province", "nation": "nation"}
ROLES = {"county": "county_officer", "city": "city_officer", "province": "provincial_officer",
         "nation": "national_officer"}


def skewed(codes: list[str]) -> tuple[list[float], str, str, str, str]:
    """Weights per county: a hot city with ~40 % of the reports, one of its counties 15 %.
    Returns the weights, the hot county, the hot city, a quiet city and a quiet county."""
    hot_city = codes[len(codes) // 2][:4]
    inside = [c for c in codes if c.startswith(hot_city)]
    hot_county = inside[0]
    rest = len(codes) - len(inside)
    weights = []
    for c in codes:
        if c == hot_county:
            weights.append(0.15)
        elif c.startswith(hot_city):
            weights.append(0.25 / (len(inside) - 1))
        else:
            weights.append(0.60 / rest)
    quiet_city = next(c[:4] for c in codes if c[:2] != hot_city[:2])
    quiet_county = next(c for c in codes if c.startswith(quiet_city))
    return weights, hot_county, hot_city, quiet_city, quiet_county


def officer(code: str, level: str) -> object:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    Division.objects.get_or_create(code="000000",
                                   defaults={"name": "中华人民共和国", "level": "nation"})
    padded = code.ljust(6, "0") if level != "nation" else "000000"
    division, _ = Division.objects.get_or_create(
        code=padded, defaults={"name": f"bench {padded}", "level": LEVELS[level],
                               "parent_id": "000000" if level != "nation" else None})
    user, _ = User.objects.get_or_create(
        username=f"bench-list-{level}-{padded}",
        defaults={"role": ROLES[level], "division": division})
    return user


def populate(user_id: int, codes: list[str], weights: list[float]) -> float:
    from bench import case_rows
    from shouwang.surveillance.models import CaseReport

    have = CaseReport.objects.filter(reporting_facility__startswith=MARKER).count()
    if have >= CASES and not os.environ.get("BENCH_REPOPULATE"):
        return 0.0
    case_rows.delete(MARKER)
    return case_rows.load(n_cases=CASES, user_id=user_id, marker=MARKER, first_day=FIRST_DAY,
                          days=DAYS, diseases=DISEASES, codes=codes, weights=weights, seed=7)


def page_ms(user: object, offset: int = 0, repeats: int = 15) -> dict[str, float]:
    from shouwang.surveillance.selectors.cases import case_page

    timings = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        page = case_page(user=user, offset=offset, limit=50)  # type: ignore[arg-type]
        timings.append((time.perf_counter() - t0) * 1000)
        assert page.items, "no rows in the benchmark scope"
    timings.sort()
    return {"median_ms": round(statistics.median(timings), 1),
            "p95_ms": round(timings[max(int(len(timings) * 0.95) - 1, 0)], 1),
            "rows": len(page.items)}


def bulk(user: object, county: str) -> dict[str, float]:
    """Verify 300 reports, then reclassify 300 (history, audit, count refresh included)."""
    from shouwang.core.scoping import prefix_q
    from shouwang.surveillance.models import CaseReport
    from shouwang.surveillance.services.cases import (
        case_reports_bulk_reclassify,
        case_reports_bulk_verify,
    )

    qs = CaseReport.objects.filter(prefix_q("division_code", county), status="active",
                                   verified_at__isnull=True)
    ids = list(qs.order_by("-reported_at", "-id").values_list("pk", flat=True)[:300])
    t0 = time.perf_counter()
    verified = case_reports_bulk_verify(actor=user, case_ids=ids)  # type: ignore[arg-type]
    verify_s = time.perf_counter() - t0
    suspected = list(CaseReport.objects.filter(prefix_q("division_code", county),
                                               status="active", classification="suspected")
                     .order_by("-reported_at", "-id").values_list("pk", flat=True)[:300])
    t0 = time.perf_counter()
    changed = case_reports_bulk_reclassify(actor=user, case_ids=suspected,  # type: ignore[arg-type]
                                           classification="confirmed", reason="实验室确认")
    reclassify_s = time.perf_counter() - t0
    return {"verify_300_seconds": round(verify_s, 3), "verified": len(verified.changed),
            "reclassify_300_seconds": round(reclassify_s, 3),
            "reclassified": len(changed.changed)}


def main() -> None:
    call_command("migrate", verbosity=0)
    codes = county_codes(2_800)
    weights, hot_county, hot_city, quiet_city, quiet_county = skewed(codes)
    nation = officer("000000", "nation")
    populate_s = populate(nation.pk, codes, weights)  # type: ignore[attr-defined]
    users = {
        "county": officer(hot_county, "county"),
        "city": officer(hot_city, "city"),
        "province": officer(hot_city[:2], "province"),
        "nation": nation,
        "quiet_city": officer(quiet_city, "city"),
        "quiet_county": officer(quiet_county, "county"),
    }
    from shouwang.core.scoping import scoped
    from shouwang.surveillance.models import CaseReport

    figures: dict[str, object] = {
        "database": connection.vendor,
        "cases": CASES,
        "populate_seconds": round(populate_s, 1),
        "selector": "selectors.cases.case_page (LIMIT 51, personal fields deferred)",
        "index": "surv_case_list_order (reported_at, id, division_code, status)",
    }
    for name, user in users.items():
        figures[f"{name}_reports"] = scoped(CaseReport.objects.all(), user).count()  # type: ignore[arg-type]
        figures[f"{name}_first_page"] = page_ms(user)
        print(name, figures[f"{name}_first_page"])
    for name in ("city", "nation"):
        figures[f"{name}_page_21"] = page_ms(users[name], offset=1000)
    figures["bulk"] = bulk(users["county"], hot_county)
    write_result(f"case_list_{connection.vendor}", figures,
                 targets={"first_page.median_ms": "< 300", "bulk 300 reports": "< 5 s"})


if __name__ == "__main__":
    main()
