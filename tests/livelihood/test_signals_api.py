"""/api/v1/livelihood/signals and department-signals: list with overdue, decide, 404 outside the
jurisdiction, 403 without livelihood.write, a department batch all or nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.livelihood.models import Signal
from shouwang.livelihood.services.signals import signal_receive
from tests.accounts.helpers import bearer
from tests.livelihood.monitoring_data import at_risk
from tests.livelihood.signals_data import household_with_head, resident_id

pytestmark = pytest.mark.django_db


def _get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


def _post(user: Any, url: str, body: Any) -> Any:
    return Client().post(url, data=body, content_type="application/json",
                         HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


def _two() -> tuple[Signal, Signal]:
    household, _ = household_with_head("H-1")
    at_risk(household)   # identified opens the flag only when the rules find a risk
    late = signal_receive(source="cadre_visit", household=household, summary="务工中断",
                          details={}, received_at=timezone.now() - timedelta(days=16))
    fresh = signal_receive(source="cadre_visit", household=household, summary="大病",
                           details={})
    return late, fresh


def test_list_overdue_and_counts(divisions: None, cadres: dict[str, Any]) -> None:
    late, fresh = _two()
    body = _get(cadres["hongshan"], "/api/v1/livelihood/signals").json()
    assert [s["id"] for s in body] == [late.pk, fresh.pk]
    assert [s["overdue"] for s in body] == [True, False]
    overdue = _get(cadres["hongshan"], "/api/v1/livelihood/signals", overdue="true").json()
    assert [s["id"] for s in overdue] == [late.pk]
    assert _get(cadres["wuchang"], "/api/v1/livelihood/signals").json() == []
    counts = _get(cadres["wuhan"], "/api/v1/livelihood/signals/counts", level="county").json()
    assert counts == [{"division_code": "420111", "pending": 2, "overdue": 1,
                       "identified": 0, "not_identified": 0}]


def test_decide_scoped_and_with_reason(divisions: None, cadres: dict[str, Any]) -> None:
    late, _ = _two()
    url = f"/api/v1/livelihood/signals/{late.pk}/decide"
    assert _get(cadres["wuchang"], f"/api/v1/livelihood/signals/{late.pk}").status_code == 404
    assert _post(cadres["wuchang"], url, {"identified": True, "reason": "x"}).status_code == 404
    assert _post(cadres["officer"], url, {"identified": True, "reason": "x"}).status_code == 403
    missing = _post(cadres["hongshan"], url, {"identified": True, "reason": ""})
    assert missing.status_code == 422 and "reason" in missing.json()["fields"]
    done = _post(cadres["hongshan"], url, {"identified": True, "reason": "年收入低于监测线"})
    assert done.status_code == 200 and done.json()["status"] == "identified"


def test_department_batch_all_or_nothing(divisions: None, cadres: dict[str, Any]) -> None:
    household_with_head("H-1")
    day = (timezone.localdate() - timedelta(days=2)).isoformat()
    good = {"department": "emergency_management", "record_id": "EM-1",
            "id_number": resident_id(1), "kind": "disaster", "occurred_on": day,
            "amount": "12000", "summary": "洪涝冲毁房屋"}
    bad = {**good, "record_id": "EM-2", "id_number": resident_id(500)}
    url = "/api/v1/livelihood/department-signals"
    refused = _post(cadres["hongshan"], url, {"records": [good, bad]})
    assert refused.status_code == 422
    assert list(refused.json()["fields"]) == ["records.1.id_number"]
    assert Signal.objects.count() == 0
    assert _post(cadres["officer"], url, {"records": [good]}).status_code == 403
    made = _post(cadres["hongshan"], url, {"records": [good]})
    assert made.status_code == 201 and made.json()[0]["created"] is True
    again = _post(cadres["hongshan"], url, {"records": [good]})
    assert again.json()[0]["created"] is False
    assert Signal.objects.count() == 1
