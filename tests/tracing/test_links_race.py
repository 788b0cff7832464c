"""Two investigators close a cycle from both ends at the same moment, in two real
transactions: each link alone is sound, together they would form a cycle. One is stored, the
other refused with the cycle named, and the stored links stay a forest.

PostgreSQL only (run it with scripts/pg.sh): SQLite's in-memory test database cannot hold two
writing connections from two threads."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.db import connection, connections
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput
from shouwang.epi.chains import link_problems
from shouwang.tracing.models import TransmissionLink
from shouwang.tracing.services.links import link_confirm
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    _audit_triggers_restored,
    live_db,
)
from tests.factories import make_user
from tests.tracing.cases import make_case


def test_a_cycle_closed_from_both_ends_at_once(live_db: None) -> None:  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/pg.sh run -- pytest …)")
    a = make_user(Role.COUNTY_OFFICER, "420106", username="race-links-a")
    b = make_user(Role.CITY_OFFICER, "420100", username="race-links-b")
    onset = timezone.localdate() - timedelta(days=20)
    u1, v1, u2, v2 = (make_case("420106", onset=onset) for _ in range(4))
    # Stored: v1 → u2 and v2 → u1. New: u1 → v1 and u2 → v2 — together u1 → v1 → u2 → v2 → u1.
    link_confirm(actor=a, infector=v1, infectee=u2)
    link_confirm(actor=a, infector=v2, infectee=u1)
    barrier = threading.Barrier(2)
    outcomes: dict[str, Any] = {}

    def act(name: str, actor: Any, infector: Any, infectee: Any) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[name] = link_confirm(actor=actor, infector=infector, infectee=infectee)
        except InvalidInput as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=("one", a, u1, v1)),
               threading.Thread(target=act, args=("two", b, u2, v2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stored = [k for k, v in outcomes.items() if isinstance(v, TransmissionLink)]
    refused = [k for k, v in outcomes.items() if isinstance(v, InvalidInput)]
    assert len(stored) == 1 and len(refused) == 1, outcomes
    assert "循环" in " ".join(str(m) for m in outcomes[refused[0]].fields["infector"])
    links = list(TransmissionLink.objects.filter(status="confirmed")
                 .values_list("infector_id", "infectee_id"))
    assert len(links) == 3
    ids = sorted({i for pair in links for i in pair})
    parent = np.full(len(ids), -1)
    for infector, infectee in links:
        parent[ids.index(infectee)] = ids.index(infector)
    assert link_problems(parent) == []
