"""/api/v1/livelihood/assistance: measures, visits, elimination and its evidence (404 outside,
403 without livelihood.write, 422 with field errors)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.livelihood.models import AssistanceMeasure, FollowUpVisit
from tests.accounts.helpers import bearer
from tests.livelihood.assistance_data import recovering_household
from tests.livelihood.factories import make_flag, make_household

pytestmark = pytest.mark.django_db
BASE = "/api/v1/livelihood/assistance"
SEEN = {"food_clothing_secure": True, "education_secure": True, "medical_secure": True,
        "housing_secure": True, "water_secure": True}


def _call(user: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    auth = bearer(user)["HTTP_AUTHORIZATION"]
    if method == "get":
        return Client().get(url, HTTP_AUTHORIZATION=auth)
    return getattr(Client(), method)(url, data=body or {}, content_type="application/json",
                                     HTTP_AUTHORIZATION=auth)


def test_measures_add_list_end(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    today = timezone.localdate()
    body = {"category": "medical", "description": "大病保险二次报销",
            "responsible": cadres["luonan"].pk,
            "started_on": (today - timedelta(days=20)).isoformat(), "amount": "3200.5"}
    made = _call(cadres["luonan"], "post", f"{BASE}/flags/{flag.pk}/measures", body)
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == "3200.50" and made.json()["ended_on"] is None
    listed = _call(cadres["officer"], "get", f"{BASE}/flags/{flag.pk}/measures").json()
    assert [m["id"] for m in listed] == [made.json()["id"]]
    ended = _call(cadres["luonan"], "post", f"{BASE}/measures/{made.json()['id']}/end",
                  {"ended_on": today.isoformat()})
    assert ended.status_code == 200 and ended.json()["ended_on"] == today.isoformat()


def test_measure_errors_are_field_maps(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    bad = _call(cadres["luonan"], "post", f"{BASE}/flags/{flag.pk}/measures", {
        "category": "x", "description": "", "responsible": cadres["wuchang"].pk,
        "started_on": "2026-01-01", "ended_on": "2025-01-01", "amount": "-1"})
    assert bad.status_code == 422
    assert set(bad.json()["fields"]) == {"category", "description", "responsible", "ended_on",
                                         "amount"}
    assert _call(cadres["wuchang"], "post", f"{BASE}/flags/{flag.pk}/measures", {
        "category": "medical", "description": "x", "responsible": 1,
        "started_on": "2026-01-01"}).status_code == 404
    assert _call(cadres["officer"], "post", f"{BASE}/flags/{flag.pk}/measures", {
        "category": "medical", "description": "x", "responsible": cadres["luonan"].pk,
        "started_on": "2026-01-01"}).status_code == 403
    assert not AssistanceMeasure.objects.exists()


def test_visits_created_then_updated(cadres: Any) -> None:
    household = make_household("420111001")
    url = f"{BASE}/households/{household.pk}/visits"
    body = {"visited_on": timezone.localdate().isoformat(), "notes": "走访", "guarantees": SEEN}
    first = _call(cadres["luonan"], "post", url, body)
    again = _call(cadres["luonan"], "post", url, {**body, "notes": "补记"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert FollowUpVisit.objects.get().notes == "补记"
    assert [v["notes"] for v in _call(cadres["officer"], "get", url).json()] == ["补记"]
    missing = _call(cadres["luonan"], "post", url, {**body, "guarantees": {}})
    assert missing.status_code == 422 and "guarantees.food_clothing_secure" in missing.json()[
        "fields"]
    assert _call(cadres["wuchang"], "post", url, body).status_code == 404


def test_elimination_refused_then_evidence(cadres: Any) -> None:
    _h, early = recovering_household(good_months=2)
    outlook = _call(cadres["officer"], "get", f"{BASE}/flags/{early.pk}/elimination").json()
    assert outlook["good_months"] == 2 and outlook["required_months"] == 6
    assert not outlook["eligible"] and "需连续 6 个月" in outlook["refusal"]
    refused = _call(cadres["luonan"], "post", f"{BASE}/flags/{early.pk}/elimination",
                    {"evidence_note": "核实"})
    assert refused.status_code == 422
    assert "需连续 6 个月" in refused.json()["fields"]["elimination"][0]

    _h, ready = recovering_household(good_months=7)
    assert _call(cadres["officer"], "get",
                 f"{BASE}/flags/{ready.pk}/elimination").json()["refusal"] is None
    done = _call(cadres["luonan"], "post", f"{BASE}/flags/{ready.pk}/elimination",
                 {"evidence_note": "核实：收入稳定"})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "eliminated" and done.json()["eliminated_by"] == "lh-luonan"
    evidence = _call(cadres["officer"], "get", f"{BASE}/flags/{ready.pk}/evidence").json()
    assert evidence["elimination_evidence"]["evaluation"]["good_months"] == 7
    assert evidence["elimination_evidence"]["note"] == "核实：收入稳定"
    assert _call(cadres["wuchang"], "get", f"{BASE}/flags/{ready.pk}/evidence").status_code == 404
