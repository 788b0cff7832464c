"""Telling the cadres about overdue signals (services/overdue.py, the daily job)."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.livelihood.models import DataSource, Signal
from shouwang.livelihood.services.overdue import KIND, overdue_notify
from shouwang.livelihood.services.signals import decision_days, signal_decide, signal_receive
from shouwang.warning.models import Notification
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    _audit_triggers_restored,
    live_db,
)
from tests.livelihood.factories import make_household
from tests.livelihood.signals_data import _ensure_division, household_with_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(cadres: Any, make_user: Any) -> dict[str, Any]:
    """The cadres fixture plus a cadre of the village 420111001001 and of another village."""
    household_with_head("H-0", "420111001002", head_seq=90)   # makes the villages
    household_with_head("H-00", "420111001001", head_seq=91)
    return {**cadres,
            "village": make_user(Role.LIVELIHOOD_CADRE, "420111001001", username="lh-village"),
            "other_village": make_user(Role.LIVELIHOOD_CADRE, "420111001002",
                                       username="lh-village-2")}


def signal_received(days_ago: float, number: str = "H-1", seq: int = 1,
                    division: str = "420111001001") -> Signal:
    household, _head = household_with_head(number, division, head_seq=seq)
    return signal_receive(source=DataSource.CADRE_VISIT, household=household,
                          summary="走访发现：户主患病住院", details={},
                          received_at=timezone.now() - timedelta(days=days_ago))


def told(user: Any) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=KIND))


def test_overdue_signal_told_once_to_village_township_and_county(people: Any) -> None:
    signal = signal_received(decision_days() + 2)
    result = overdue_notify()
    # The two village cadres (ours and the factory's who registered the household), the
    # township's and the county's.
    assert result == {"signals": 1, "notifications": 4, "unreached": 0}
    for who in ("village", "luonan", "hongshan"):
        notes = told(people[who])
        assert len(notes) == 1
        assert "H-1" in notes[0].body and f"/livelihood/signals/{signal.pk}/" in notes[0].body
        assert "已超时 2 天" in notes[0].body
        assert notes[0].subject == "1 条监测线索已超过研判时限"
    signal.refresh_from_db()
    assert signal.overdue_notified_at is not None
    # The next day's run tells nobody again.
    assert overdue_notify()["signals"] == 0
    assert Notification.objects.filter(kind=KIND).count() == 4


def test_only_cadres_whose_jurisdiction_holds_the_household(people: Any) -> None:
    signal_received(decision_days() + 1)
    overdue_notify()
    for who in ("other_village", "wuchang", "officer"):
        assert told(people[who]) == []
    # City and province cadres are not paged for a village's lead.
    assert told(people["wuhan"]) == [] and told(people["hubei"]) == []


def test_not_before_due(people: Any) -> None:
    signal = signal_received(decision_days() - 0.5)
    assert overdue_notify()["signals"] == 0
    assert Notification.objects.filter(kind=KIND).count() == 0
    signal.refresh_from_db()
    assert signal.overdue_notified_at is None
    # Once the time limit passes, it is told.
    assert overdue_notify(at=signal.decision_due + timedelta(minutes=1))["signals"] == 1


def test_decided_signals_are_not_told(people: Any) -> None:
    signal = signal_received(decision_days() + 3)
    signal_decide(actor=people["luonan"], signal=signal, identified=False, reason="核实无风险")
    assert overdue_notify()["signals"] == 0
    assert Notification.objects.filter(kind=KIND).count() == 0


def test_one_message_per_cadre_listing_theirs(people: Any) -> None:
    signal_received(decision_days() + 1, "H-1", 1, "420111001001")
    signal_received(decision_days() + 4, "H-2", 2, "420111001002")
    result = overdue_notify()
    assert result["signals"] == 2
    county = told(people["hongshan"])
    assert len(county) == 1 and "H-1" in county[0].body and "H-2" in county[0].body
    assert county[0].subject.startswith("2 ")
    village = told(people["village"])
    assert len(village) == 1 and "H-2" not in village[0].body
    assert ["H-2" in n.body for n in told(people["other_village"])] == [True]


def test_each_cadre_in_their_language(people: Any) -> None:
    people["hongshan"].preferred_language = "en"
    people["hongshan"].save(update_fields=["preferred_language"])
    signal_received(decision_days() + 1)
    overdue_notify()
    assert "Test 001" in told(people["hongshan"])[0].body      # the village's English name
    assert "测试001" in told(people["village"])[0].body


def test_a_signal_without_cadres_is_stamped_and_counted(make_user: Any, divisions: None) -> None:
    # Registered by a city cadre of 长沙: nobody at the village, township or county.
    _ensure_division("430102001001")
    household = make_household("430102001001", actor=make_user(
        Role.LIVELIHOOD_CADRE, "430100", username="lh-changsha"))
    signal = signal_receive(source=DataSource.SELF_REPORT, household=household, summary="申报",
                            details={}, received_at=timezone.now() - timedelta(days=20))
    assert overdue_notify() == {"signals": 1, "notifications": 0, "unreached": 1}
    signal.refresh_from_db()
    assert signal.overdue_notified_at is not None


def test_channels_after_commit(people: Any, django_capture_on_commit_callbacks: Any,
                               settings: Any) -> None:
    settings.SHOUWANG_NOTIFY_BACKENDS = ["shouwang.warning.services.notify.LoggingSmsBackend"]
    signal_received(decision_days() + 1)
    with django_capture_on_commit_callbacks(execute=True):
        overdue_notify()
    assert told(people["hongshan"])[0].channels == ["app", "sms"]


def test_daily_job_and_beat(people: Any) -> None:
    from shouwang.config.celery import app
    from shouwang.core.jobs import scheduled_jobs
    from shouwang.livelihood import tasks

    assert "livelihood-overdue-signals" in scheduled_jobs()
    entry = app.conf.beat_schedule["livelihood-overdue-signals-daily"]
    assert entry["task"] == tasks.OVERDUE_TASK
    signal_received(decision_days() + 1)
    # A past day counts what was overdue by its end: this one was not yet.
    out = StringIO()
    long_ago = (timezone.localdate() - timedelta(days=decision_days() + 5)).isoformat()
    call_command("run-jobs", "livelihood-overdue-signals", "--date", long_ago, stdout=out)
    assert json.loads(out.getvalue().split(": ", 1)[1])["signals"] == 0
    out = StringIO()
    call_command("run-jobs", "livelihood-overdue-signals", "--date",
                 timezone.localdate().isoformat(), stdout=out)
    assert json.loads(out.getvalue().split(": ", 1)[1])["signals"] == 1
    assert tasks.overdue_signals_daily()["signals"] == 0


def test_two_runs_at_once_tell_each_signal_once(live_db: None) -> None:  # noqa: F811
    """Two jobs at the same moment, in two real transactions (PostgreSQL only: SQLite's
    in-memory test database cannot hold two writing connections from two threads)."""
    import threading

    from django.db import connection, connections

    from tests.factories import ensure_sample_divisions, make_user

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/pg.sh run -- pytest …)")
    ensure_sample_divisions()
    make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-race-county")
    for n in range(5):
        signal_received(decision_days() + 1, f"R-{n}", 10 + n)
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def act(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[name] = overdue_notify()
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(v, dict) for v in outcomes.values()), outcomes
    assert sorted(v["signals"] for v in outcomes.values()) == [0, 5]
    county = Notification.objects.filter(kind=KIND, user__username="lh-race-county")
    assert county.count() == 1 and all(f"R-{n}" in county[0].body for n in range(5))
