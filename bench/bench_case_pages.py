"""The case pages as a browser gets them: the line list (county: page + count; city: page
without a count, and with `total=1`), the report's page, the instant-validation endpoint and the
report form's submit, each through Django's test client in-process (view, selectors, template;
no network, no server), over BENCH_CASES reports (bench/case_rows.py: encrypted persons).

The reports are skewed as an outbreak is: one county holds 15 % of them and its city 40 %.
The form's submit includes what the service does after commit (the daily-count refresh).

    SHOUWANG_VAR_DIR=/tmp/bench-case-pages .venv/bin/python -m bench.bench_case_pages
    BENCH_CASES=1000000 SHOUWANG_VAR_DIR=/tmp/bench-case-pages-1m \
        .venv/bin/python -m bench.bench_case_pages
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/bench-case-pages")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.bench_scoped_listing import county_codes  # noqa: E402
from bench.common import write_result  # noqa: E402

CASES = int(os.environ.get("BENCH_CASES", "200000"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
MARKER = "bench-pages"
FIRST_DAY = date.today() - timedelta(days=365)
DISEASES = {"covid19": 0.7, "influenza": 0.2, "hfmd": 0.1}
LEVELS = {"county_officer": "county", "city_officer": "prefecture"}


def officer(code: str, role: str) -> Any:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    Division.objects.get_or_create(code="000000",
                                   defaults={"name": "中华人民共和国", "level": "nation"})
    padded = code.ljust(6, "0")
    division, _ = Division.objects.get_or_create(
        code=padded, defaults={"name": f"bench {padded}", "level": LEVELS[role],
                               "parent_id": "000000"})
    user, _ = User.objects.get_or_create(username=f"bench-pages-{role}-{padded}",
                                         defaults={"role": role, "division": division})
    return user


def weights(codes: list[str]) -> tuple[list[float], str, str]:
    hot_city = codes[len(codes) // 2][:4]
    inside = [c for c in codes if c.startswith(hot_city)]
    hot_county = inside[0]
    rest = len(codes) - len(inside)
    out = [0.15 if c == hot_county else 0.25 / (len(inside) - 1) if c.startswith(hot_city)
           else 0.60 / rest for c in codes]
    return out, hot_county, hot_city


def timed(fn: Callable[[], Any]) -> dict[str, float]:
    fn()  # warm: templates compiled, caches filled
    ms = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[max(int(len(ms) * 0.95) - 1, 0)], 1)}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response


def card(county: str, seq: int) -> dict[str, str]:
    from shouwang.core.validators import resident_id_check_char

    # A new person each time, and on every run (an earlier run's people would be merged).
    born = date(1960, 1, 1) + timedelta(days=seq % 15_000)
    body = f"{county}{born:%Y%m%d}{(seq // 15_000) % 1000:03d}"
    diagnosed = timezone.localtime(timezone.now() - timedelta(days=1, minutes=seq % 600))
    return {
        "token": uuid.uuid4().hex, "disease": "covid19", "classification": "confirmed",
        "name": f"压测{seq}", "id_type": "resident_id",
        "id_number": body + resident_id_check_char(body), "sex": "U", "phone": "13800138000",
        "occupation": "worker", "division_code": county, "address_detail": "测试路 1 号",
        "diagnosed_at": diagnosed.strftime("%Y-%m-%dT%H:%M"),
        "reported_at": (diagnosed + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "imported": "0", "reporting_facility": "压测医院", "reporting_division_code": county,
    }


def main() -> None:
    from bench import case_rows
    from shouwang.surveillance.models import CaseReport

    call_command("migrate", verbosity=0)
    codes = county_codes(2_800)
    w, hot_county, hot_city = weights(codes)
    county = officer(hot_county, "county_officer")
    city = officer(hot_city, "city_officer")
    populate_s = 0.0
    if CaseReport.objects.filter(reporting_facility__startswith=MARKER).count() < CASES:
        case_rows.delete(MARKER)
        populate_s = case_rows.load(n_cases=CASES, user_id=county.pk, marker=MARKER,
                                    first_day=FIRST_DAY, days=365, diseases=DISEASES,
                                    codes=codes, weights=w, seed=11)
    c_county, c_city = Client(), Client()
    c_county.force_login(county)
    c_city.force_login(city)
    one = CaseReport.objects.filter(division_code=hot_county).order_by("-reported_at").first()
    assert one is not None
    from shouwang.core.scoping import prefix_q

    figures: dict[str, Any] = {
        "database": connection.vendor, "cases": CASES, "populate_seconds": round(populate_s, 1),
        "county_reports": CaseReport.objects.filter(prefix_q("division_code",
                                                             hot_county)).count(),
        "city_reports": CaseReport.objects.filter(prefix_q("division_code", hot_city)).count(),
        "repeats": REPEATS,
    }
    figures["list_county_page_and_count"] = timed(lambda: ok(c_county.get("/surveillance/cases/")))
    figures["list_county_filtered_late"] = timed(
        lambda: ok(c_county.get("/surveillance/cases/", {"late": "1", "disease": "covid19"})))
    figures["list_city_page_no_count"] = timed(lambda: ok(c_city.get("/surveillance/cases/")))
    figures["list_city_with_total"] = timed(
        lambda: ok(c_city.get("/surveillance/cases/", {"total": "1"})))
    figures["detail_page"] = timed(lambda: ok(c_county.get(f"/surveillance/cases/{one.pk}/")))
    sample = card(hot_county, 1)
    figures["validate_endpoint"] = timed(lambda: ok(c_county.post(
        "/api/v1/surveillance/cases/validate", {**sample, "imported": False},
        content_type="application/json")))
    start = int(time.time()) % 1_000_000 * 20
    seq = iter(range(start, start + 10_000))
    figures["form_submit"] = timed(
        lambda: ok(c_county.post("/surveillance/cases/new/", card(hot_county, next(seq))), 302))
    write_result(f"case_pages_{connection.vendor}", figures,
                 targets={"list first page": "< 300 ms (issue 3, at 1,000,000 reports)",
                          "form submit": "p95 < 150 ms (issue 3, under 20 users)"})


if __name__ == "__main__":
    main()
