"""Two daily jobs computing the same day at the same moment, in two real transactions: the
second waits for the first (an advisory lock per disease), then replaces its unpublished rows;
neither fails and the day has one row per area. Without the lock the second's insert hit the
unique (disease, day, area) constraint.

PostgreSQL only (run it with scripts/pg.sh): SQLite's in-memory test database cannot hold two
writing connections from two threads."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections
from django.utils import timezone

from shouwang.risk.models import AreaRisk
from shouwang.risk.services.compute import levels_compute
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    _audit_triggers_restored,
    live_db,
)
from tests.factories import ensure_sample_divisions
from tests.tracing.cases import make_case


def test_two_computations_of_one_day_at_once(live_db: None) -> None:  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/pg.sh run -- pytest …)")
    ensure_sample_divisions()
    day = timezone.localdate() - timedelta(days=5)
    make_case("420106", onset=day - timedelta(days=5))
    make_case("420111001", onset=day - timedelta(days=5))
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def act(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[name] = levels_compute(disease="covid19", day=day)
        except Exception as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(n,)) for n in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(not isinstance(v, Exception) for v in outcomes.values()), outcomes
    assert len(outcomes) == 2
    codes = list(AreaRisk.objects.filter(day=day).values_list("division_code", flat=True))
    assert sorted(codes) == ["420106", "420111", "420111001", "420606", "430102"]
    assert AreaRisk.objects.get(day=day, division_code="420106").level == "medium"
