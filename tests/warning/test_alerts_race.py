"""Two officers act on the same alert at the same moment, in two real transactions: one wins,
the other is told someone else changed it, and exactly one change is recorded.

PostgreSQL only (run it with scripts/pg.sh): SQLite's in-memory test database cannot hold two
writing connections from two threads."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from shouwang.accounts.roles import Role
from shouwang.warning.models import Alert, AlertHistory
from shouwang.warning.services.alerts import (
    AlertConflict,
    alert_dismiss,
    alert_start_verification,
)
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    _audit_triggers_restored,
    live_db,
)
from tests.factories import make_user
from tests.warning.factories import make_alert


def test_two_simultaneous_actions_one_wins(live_db: None) -> None:  # noqa: F811
    """live_db: real transactions, and the append-only audit rows can be flushed after."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/pg.sh run -- pytest …)")
    a = make_user(Role.COUNTY_OFFICER, "420106", username="race-a")
    b = make_user(Role.CITY_OFFICER, "420100", username="race-b")
    alert = make_alert("420106")
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def act(name: str, call: Any) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[name] = call().status
        except AlertConflict as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=("start", lambda: alert_start_verification(
            actor=a, alert=alert, version=1))),
        threading.Thread(target=act, args=("dismiss", lambda: alert_dismiss(
            actor=b, alert=alert, version=1, reason="重复信号"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    won = [k for k, v in outcomes.items() if isinstance(v, str)]
    lost = [k for k, v in outcomes.items() if isinstance(v, AlertConflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert outcomes[lost[0]].current_version == 2
    fresh = Alert.objects.get(pk=alert.pk)
    assert fresh.version == 2 and fresh.status == outcomes[won[0]]
    assert AlertHistory.objects.filter(alert=alert).count() == 2
