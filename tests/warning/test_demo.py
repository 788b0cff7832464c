"""The warning demo builder: the nightly job replayed over the small demo's nights, alerts worked
on by the demo officers through the services, idempotent, inside each officer's area."""

from __future__ import annotations

import io
from datetime import date, timedelta
from itertools import pairwise

import pytest
from django.test import Client

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.core.models import AuditEvent
from shouwang.core.scoping import in_jurisdiction
from shouwang.demo import DemoContext, demo_builders
from shouwang.surveillance.demo import DISEASE, OUTBREAK_DAYS, OUTBREAK_START
from shouwang.warning import demo
from shouwang.warning.models import (
    Alert,
    AlertHistory,
    AlertStatus,
    Method,
    Notification,
    RunStatus,
    SeriesResult,
    WarningRun,
)
from tests.warning.test_detection_e2e import small_demo_outbreak

LAST = OUTBREAK_START + timedelta(days=OUTBREAK_DAYS - 1)


def _state() -> tuple[object, ...]:
    return (
        sorted(WarningRun.objects.values_list("day", "disease_id", "status", "finished_at")),
        sorted(Alert.objects.values_list("pk", "status", "version", "assigned_to_id",
                                         "escalation_level", "cluster_id", "verify_due_at")),
        AlertHistory.objects.count(), Notification.objects.count(), AuditEvent.objects.count(),
        SeriesResult.objects.count())


def test_nights_are_daily_at_first_then_sparser_and_end_on_the_last_day() -> None:
    first = date(2025, 12, 15)
    nights = demo.demo_nights(first, LAST)
    assert nights[:demo.DAILY_NIGHTS] == [first + timedelta(days=i)
                                          for i in range(demo.DAILY_NIGHTS)]
    later = nights[demo.DAILY_NIGHTS - 1:-1]
    assert {(b - a).days for a, b in pairwise(later)} == {demo.EVERY}
    assert nights[-1] == LAST and nights == sorted(set(nights))
    assert demo.demo_nights(LAST, LAST) == [LAST]
    assert demo.demo_nights(LAST + timedelta(days=1), LAST) == []
    # The job of a day runs the next morning at the configured hour.
    assert demo.night_time(LAST).date() == LAST + timedelta(days=1)


def test_builder_is_registered_after_the_surveillance_builders() -> None:
    builders = demo_builders()
    names = [b.name for b in builders]
    mine = names.index("warning.nightly")
    assert names.index("surveillance.outbreak") < mine
    assert all(b.order < 60 for b in builders if b.name.startswith("surveillance."))


class FixedDraw:
    def __init__(self, u: float) -> None:
        self.u = u

    def random(self) -> float:
        return self.u


@pytest.mark.parametrize(("u", "recent", "level", "method", "assignable", "state"), [
    (0.1, True, "county", Method.EARS_C3, True, "assigned"),     # a recent night: passed on…
    (0.1, True, "county", Method.EARS_C3, False, "new"),         # …unless nobody can take it
    (0.7, True, "county", Method.EARS_C3, True, "verifying"),
    (0.9, True, "county", Method.EARS_C3, True, "new"),
    (0.3, False, "county", Method.EARS_C3, True, "confirmed"),   # older nights: decided
    (0.5, False, "county", Method.EARS_C3, True, "dismissed"),
    (0.95, False, "county", Method.SCAN, True, "assigned"),
    (0.6, False, "prefecture", Method.CUSUM, True, "dismissed"),
])
def test_choose_state(u: float, recent: bool, level: str, method: str, assignable: bool,
                      state: str) -> None:
    alert = Alert(level=level, method=method)
    assert demo.choose_state(FixedDraw(u), alert, recent=recent,  # type: ignore[arg-type]
                             assignable=assignable) == state


@pytest.mark.django_db
def test_the_replay_leaves_a_worked_inbox_and_a_rerun_changes_nothing(client: Client) -> None:
    base = small_demo_outbreak()
    ctx = DemoContext(scale=base.scale, seed=1, out=io.StringIO())
    demo.build_demo_warning(ctx)
    output = ctx.out.getvalue()  # type: ignore[attr-defined]
    assert "预警 nights [" in output and f"{LAST}" in output

    # Every replayed night computed, the last one with every method for Wuhan.
    runs = WarningRun.objects.filter(disease_id=DISEASE)
    assert runs.filter(status=RunStatus.DONE).count() == runs.count() >= 20
    latest = runs.order_by("-day").first()
    assert latest is not None and latest.day == LAST
    methods = set(latest.series.filter(division_code="420100").values_list("method", flat=True))
    assert {Method.RT, Method.NOWCAST, Method.FORECAST, Method.CUSUM} <= methods

    alerts = Alert.objects.filter(disease_id=DISEASE)
    statuses = set(alerts.values_list("status", flat=True))
    assert statuses == set(AlertStatus.values), statuses
    # Assignments go to the county officer of the alert's county (the demo has two: 武昌区 and
    # 洪山区; this outbreak's alerts may all lie elsewhere, see the test of choose_state).
    for alert in alerts.exclude(assigned_to=None).select_related("assigned_to"):
        assert alert.assigned_to is not None
        assert alert.assigned_to.role == Role.COUNTY_OFFICER
        assert in_jurisdiction(alert.assigned_to, alert.division_code)
    assert alerts.filter(status=AlertStatus.NEW, escalation_level__gt=0).exists()
    confirmed = alerts.filter(status=AlertStatus.CONFIRMED)
    assert all(a.cluster_id or a.linked_event for a in confirmed)
    assert all(a.dismissed_reason for a in alerts.filter(status=AlertStatus.DISMISSED))
    # The last night's alerts are mostly still waiting, as on any morning.
    last = alerts.filter(day=LAST)
    assert last.exists() and not last.filter(
        status__in=(AlertStatus.CONFIRMED, AlertStatus.DISMISSED)).exists()
    # Raised at the night's time, so the escalation job (run at the nights' times) found them.
    untouched = alerts.filter(escalation_level=0, day=LAST).first()
    assert untouched is not None
    assert untouched.verify_due_at == demo.night_time(LAST) + timedelta(hours=24)

    # Every action by a demo officer whose area covers the alert; assignees are its county's.
    actions = AlertHistory.objects.exclude(actor=None).select_related("alert", "actor")
    assert actions.exists()
    for h in actions:
        assert h.actor is not None and in_jurisdiction(h.actor, h.alert.division_code), h
    for a in alerts.exclude(assigned_to=None).select_related("assigned_to"):
        assert a.assigned_to is not None and a.assigned_to.role == Role.COUNTY_OFFICER
        assert a.division_code.startswith(a.assigned_to.division_code)
    hongshan = User.objects.get(username="demo-hongshan")
    assert not AlertHistory.objects.filter(actor=hongshan).exclude(
        alert__division_code__startswith="420111").exists()

    # The pages a demo officer opens show the last demo night, not an empty today.
    client.force_login(User.objects.get(username="demo-wuhan"))
    for url in ("/warning/rt/", "/warning/forecast/", "/warning/clusters/"):
        html = client.get(url).content.decode()
        assert f"预警计算日期 {LAST}" in html, url
    mine = last.filter(division_code__startswith="4201").first()
    assert mine is not None
    assert f"/warning/alerts/{mine.pk}/" in client.get("/warning/alerts/").content.decode()

    before = _state()
    again = DemoContext(scale=base.scale, seed=1, out=io.StringIO())
    demo.build_demo_warning(again)
    assert _state() == before
    assert again.notes == ctx.notes
    assert again.out.getvalue() == output  # type: ignore[attr-defined]
