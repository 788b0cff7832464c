"""The alerts inbox, an alert's page, the alerts API and the escalation job, at national size.

A year of alerts as the nightly job could raise them: ALERTS alerts of COVID-19 spread over every
county of the division table, every day of a year and the aberration methods (about a tenth
still open), each with its "raise" history row. Pages and endpoints are requested through
Django's test client in-process (view, selectors, template; no network, no browser), as the
nation's, a province's, a city's and a county's officer. Then ESCALATE of the open alerts are
made overdue and `alerts_escalate()` runs once over them (history, audit and the notification of
each, in one transaction per alert).

    .venv/bin/python -m bench.bench_warning_alerts
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
os.environ.setdefault("SHOUWANG_VAR_DIR", "/tmp/shouwang-bench-warning-alerts")
# The console channel would print every escalation notification; the in-app rows are the work.
os.environ.setdefault("SHOUWANG_NOTIFY_BACKENDS", "bench.bench_warning_alerts.QuietBackend")

import django

django.setup()

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from bench.common import logged_in_client, timed_ms, write_result  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", "20"))
ALERTS = int(os.environ.get("BENCH_ALERTS", "60000"))
ESCALATE = int(os.environ.get("BENCH_ESCALATE", "2000"))
LAST_DAY = date(2026, 5, 20)
METHODS = ("ears_c3", "farrington", "cusum")


class QuietBackend:
    name = "quiet"

    def send(self, user: Any, subject: str, body: str) -> bool:
        return True


def setup() -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from shouwang.geo.models import Division
    from shouwang.warning.models import Alert, AlertHistory

    call_command("migrate", verbosity=0)
    if not Division.objects.filter(level="county").exists():
        call_command("geo", "load", "--no-progress", stdout=io.StringIO())
    counties = list(Division.objects.filter(level="county").values_list("code", flat=True))
    if Alert.objects.count() < ALERTS:
        rng = np.random.default_rng(7)
        now = timezone.now()
        seen: set[tuple[str, str, date]] = set()
        rows = []
        while len(rows) < ALERTS:
            code = counties[int(rng.integers(len(counties)))]
            day = LAST_DAY - timedelta(days=int(rng.integers(365)))
            method = METHODS[int(rng.integers(len(METHODS)))]
            if (code, method, day) in seen:
                continue
            seen.add((code, method, day))
            status = str(rng.choice(["new", "verifying", "confirmed", "dismissed"],
                                    p=[0.06, 0.04, 0.2, 0.7]))
            observed = float(rng.integers(5, 40))
            rows.append(Alert(
                disease_id="covid19", division_code=code, level="county", method=method,
                day=day, status=status, observed=observed, expected=observed / 4,
                threshold=observed / 2,
                details={"days": 1, "observed": observed, "expected": observed / 4,
                         "upperbound": observed / 2},
                dismissed_reason="bench" if status == "dismissed" else "",
                linked_event="bench" if status == "confirmed" else "",
                verify_due_at=now + timedelta(days=30)))
        with transaction.atomic():
            Alert.objects.bulk_create(rows, batch_size=5000)
            AlertHistory.objects.bulk_create(
                [AlertHistory(alert=a, version=1, kind="raise", to_status="new")
                 for a in Alert.objects.only("id")], batch_size=5000)
    return {"counties": len(counties), "alerts": Alert.objects.count(),
            "open": Alert.objects.filter(status__in=["new", "verifying"]).count()}


def user_for(role: str, code: str) -> Any:
    from shouwang.accounts.models import User
    from shouwang.geo.models import Division

    user, _ = User.objects.get_or_create(
        username=f"bench-alerts-{role}-{code}",
        defaults={"role": role, "division": Division.objects.get(code=code)})
    return user


def client_for(role: str, code: str) -> Client:
    return logged_in_client(user_for(role, code))  # type: ignore[no-any-return]


def timed(fn: Callable[[], Any]) -> dict[str, float]:
    return timed_ms(fn, REPEATS)


def escalation() -> dict[str, Any]:
    from django.utils import timezone

    from shouwang.warning.models import Alert, Notification
    from shouwang.warning.services.alerts import alerts_escalate

    now = timezone.now()
    ids = list(Alert.objects.filter(status__in=["new", "verifying"], escalation_level=0)
               .order_by("id").values_list("id", flat=True)[:ESCALATE])
    # Someone to tell: the city officers of the prefectures concerned.
    codes = {c[:4] + "00" for c in Alert.objects.filter(pk__in=ids)
             .values_list("division_code", flat=True)}
    from shouwang.geo.models import Division

    for code in Division.objects.filter(code__in=codes, level="prefecture").values_list(
            "code", flat=True):
        user_for("city_officer", code)
    Alert.objects.filter(pk__in=ids).update(verify_due_at=now - timedelta(hours=1))
    before = Notification.objects.count()
    t0 = time.perf_counter()
    figures = alerts_escalate(now=now)
    seconds = time.perf_counter() - t0
    return {"escalated": figures["escalated"], "notifications": figures["notifications"],
            "notification_rows": Notification.objects.count() - before,
            "seconds": round(seconds, 2),
            "ms_per_alert": round(seconds * 1000 / max(1, figures["escalated"]), 2)}


def main() -> None:
    data = setup()
    who = {
        "nation": client_for("national_officer", "000000"),
        "province": client_for("provincial_officer", "420000"),
        "city": client_for("city_officer", "420100"),
        "county": client_for("county_officer", "420106"),
    }
    from shouwang.warning.models import Alert

    county_alert = Alert.objects.filter(division_code__startswith="420106").order_by("id").first()
    assert county_alert is not None, "no alert in 420106: raise BENCH_ALERTS"

    def get(client: Client, url: str, **params: str) -> Callable[[], Any]:
        def fetch() -> int:
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            return len(response.content)
        return fetch

    cases: dict[str, Callable[[], Any]] = {
        "inbox_nation": get(who["nation"], "/warning/alerts/"),
        "inbox_nation_open": get(who["nation"], "/warning/alerts/", status="new"),
        "inbox_nation_dismissed_page_100": get(who["nation"], "/warning/alerts/",
                                               status="dismissed", page="100"),
        "inbox_province": get(who["province"], "/warning/alerts/"),
        "inbox_city": get(who["city"], "/warning/alerts/"),
        "inbox_county": get(who["county"], "/warning/alerts/"),
        "alert_page_county": get(who["county"], f"/warning/alerts/{county_alert.pk}/"),
        "api_list_nation": get(who["nation"], "/api/v1/warning/alerts"),
        "api_list_county_filtered": get(who["county"], "/api/v1/warning/alerts",
                                        method="ears_c3", day_from="2026-01-01"),
        "api_detail_county": get(who["county"], f"/api/v1/warning/alerts/{county_alert.pk}"),
        "notifications_page": get(who["city"], "/warning/notifications/"),
    }
    figures: dict[str, Any] = {"data": data, "repeats": REPEATS}
    for name, fn in cases.items():
        figures[name] = {**timed(fn), "bytes": fn()}
    figures["escalation"] = escalation()
    write_result("warning_alerts", figures)


if __name__ == "__main__":
    main()
