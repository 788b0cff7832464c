"""The signal pages: tabs with the overdue badge, the navigation badge, the decide form, 404
outside the jurisdiction, the cadre's visit form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.livelihood.models import Signal, SignalStatus
from shouwang.livelihood.services.signals import signal_receive
from tests.livelihood.signals_data import household_with_head

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _two() -> tuple[Signal, Signal]:
    household, _ = household_with_head("H-1")
    late = signal_receive(source="self_report", household=household, summary="务工中断",
                          details={}, received_at=timezone.now() - timedelta(days=16))
    fresh = signal_receive(source="cadre_visit", household=household, summary="患大病",
                           details={})
    return late, fresh


def test_tabs_and_badges(divisions: None, cadres: dict[str, Any]) -> None:
    late, _ = _two()
    c = _client(cadres["hongshan"])
    page = c.get("/livelihood/signals/").content.decode()
    assert 'data-testid="overdue-badge">1<' in page
    assert page.count('data-testid="signal-row"') == 2
    overdue = c.get("/livelihood/signals/?tab=overdue").content.decode()
    assert overdue.count('data-testid="signal-row"') == 1 and f'data-id="{late.pk}"' in overdue
    assert 'data-code="420111001">' in page and "珞南街道" in page  # counts by township
    assert "监测线索" in c.get("/").content.decode()
    other = _client(cadres["wuchang"]).get("/livelihood/signals/").content.decode()
    assert 'data-testid="signal-row"' not in other and "overdue-badge" not in other


def test_decide_on_the_page(divisions: None, cadres: dict[str, Any]) -> None:
    late, _ = _two()
    url = f"/livelihood/signals/{late.pk}/"
    assert _client(cadres["wuchang"]).get(url).status_code == 404
    assert _client(cadres["wuchang"]).post(url, {"decision": "identified",
                                                  "reason": "x"}).status_code == 404
    reader = _client(cadres["officer"])
    assert 'data-testid="decide-form"' not in reader.get(url).content.decode()
    assert reader.post(url, {"decision": "identified", "reason": "x"}).status_code == 403
    c = _client(cadres["hongshan"])
    assert 'data-testid="signal-overdue"' in c.get(url).content.decode()
    missing = c.post(url, {"decision": "identified", "reason": ""})
    assert missing.status_code == 422 and 'data-testid="error-reason"' in missing.content.decode()
    done = c.post(url, {"decision": "not_identified", "reason": "收入稳定，已就业"})
    assert done.status_code == 302
    late.refresh_from_db()
    assert late.status == SignalStatus.NOT_IDENTIFIED and late.decision_reason
    assert 'data-testid="signal-decided-late"' in c.get(url).content.decode()
    decided = c.get("/livelihood/signals/?tab=decided").content.decode()
    assert 'data-testid="row-decided-late"' in decided


def test_a_cadres_visit(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    household_with_head("W-1", "420106001001", head_seq=2)
    c = _client(cadres["hongshan"])
    outside = c.post("/livelihood/signals/new/", {"household_number": "W-1", "summary": "x"})
    assert outside.status_code == 422 and Signal.objects.count() == 0
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    made = c.post("/livelihood/signals/new/", {
        "household_number": "h-1", "summary": "外出务工返乡，无收入", "kind": "job_loss",
        "occurred_on": day, "amount": "3000", "description": "工厂停工"})
    assert made.status_code == 302
    signal = Signal.objects.get()
    assert signal.household == household and signal.source == "cadre_visit"
    assert signal.shock is not None and signal.shock.kind == "job_loss"
    assert _client(cadres["officer"]).get("/livelihood/signals/new/").status_code == 403
