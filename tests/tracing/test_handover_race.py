"""Two officers act on the same contact or hand-over at the same moment, in two real
transactions: one wins, the other is told, and the contact is never with two counties.

PostgreSQL only (run it with scripts/pg.sh): SQLite's in-memory test database cannot hold two
writing connections from two threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput
from shouwang.tracing.models import Contact, HandOver, HandOverStatus
from shouwang.tracing.services.contacts import ContactConflict
from shouwang.tracing.services.handover import (
    HandOverConflict,
    handover_accept,
    handover_create,
    handover_refuse,
)
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    _audit_triggers_restored,
    live_db,
)
from tests.factories import ensure_sample_divisions, make_user
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import make_contact

REFUSED = (ContactConflict, HandOverConflict, InvalidInput)


def _race(calls: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    barrier = threading.Barrier(len(calls))
    outcomes: dict[str, Any] = {}

    def act(name: str, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[name] = call()
        except REFUSED as exc:
            outcomes[name] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(k, v)) for k, v in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def _setup() -> tuple[Any, Any, Contact]:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/pg.sh run -- pytest …)")
    ensure_sample_divisions()
    wuchang = make_user(Role.COUNTY_OFFICER, "420106", username="race-wuchang")
    wuhan = make_user(Role.CITY_OFFICER, "420100", username="race-wuhan")
    contact = make_contact(make_case("420106"), wuchang)
    return wuchang, wuhan, contact


def test_two_hand_overs_to_two_counties_at_once_one_wins(live_db: None) -> None:  # noqa: F811
    wuchang, wuhan, contact = _setup()
    outcomes = _race({
        "hongshan": lambda: handover_create(actor=wuchang, contact=contact, version=1,
                                            to_division_code="420111"),
        "furong": lambda: handover_create(actor=wuhan, contact=contact, version=1,
                                          to_division_code="430102"),
    })
    won = [k for k, v in outcomes.items() if isinstance(v, HandOver)]
    lost = [k for k, v in outcomes.items() if isinstance(v, REFUSED)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert HandOver.objects.filter(contact=contact, status=HandOverStatus.PENDING).count() == 1


def test_accept_and_refuse_at_once_one_decision(live_db: None) -> None:  # noqa: F811
    wuchang, wuhan, contact = _setup()
    hongshan = make_user(Role.COUNTY_OFFICER, "420111", username="race-hongshan")
    hand_over = handover_create(actor=wuchang, contact=contact, version=1,
                                to_division_code="420111")
    outcomes = _race({
        "accept": lambda: handover_accept(actor=hongshan, hand_over=hand_over),
        "refuse": lambda: handover_refuse(actor=wuhan, hand_over=hand_over, reason="并发"),
    })
    won = [k for k, v in outcomes.items() if isinstance(v, HandOver)]
    lost = [k for k, v in outcomes.items() if isinstance(v, HandOverConflict)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    fresh = HandOver.objects.get(pk=hand_over.pk)
    moved = Contact.objects.get(pk=contact.pk).division_code == "420111"
    assert (fresh.status == HandOverStatus.ACCEPTED) == moved
