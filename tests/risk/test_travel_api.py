"""/api/v1/risk/travel and /api/v1/risk/travel-policies (api/travel.py; decision 1120)."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.risk.defaults import TRAVEL_POLICY
from tests.accounts.helpers import bearer
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db

URL = "/api/v1/risk/travel"
POLICIES = "/api/v1/risk/travel-policies"


def _get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, **bearer(user))


def _cells() -> list[dict[str, Any]]:
    return [{"origin_level": o, "destination_level": d, **copy.deepcopy(m)}
            for (o, d), m in TRAVEL_POLICY["rules"].items()]


def test_the_answer_for_a_trip_from_a_high_risk_county(officers):
    publish_levels(timezone.localdate(), {"420106": "high"})
    response = _get(officers["furong"], URL, **{"from": "420106", "to": "430102"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["origin"]["level"] == "high" and body["destination"]["level"] == "low"
    assert body["origin"]["decided_by_code"] == "420106"
    assert body["policy"]["code"] == "cn-travel-2021" and body["policy"]["scope_name"] == "全国"
    assert body["applies"] is True
    assert body["measures"]["quarantine_kind"] == "centralised"
    assert body["measures"]["quarantine_days"] == 14
    assert "集中隔离 14 天" in body["summary"]


def test_english_readers_get_english_keys_and_a_summary(officers):
    publish_levels(timezone.localdate(), {})
    body = Client().get(URL, data={"from": "420106", "to": "430102"},
                        HTTP_ACCEPT_LANGUAGE="en", **bearer(officers["wuchang"])).json()
    assert body["applies"] is False and body["measures"]["quarantine_days"] == 0
    assert body["summary"].endswith(".")


def test_bad_places_and_dates_are_field_errors(officers):
    response = _get(officers["wuchang"], URL, **{"from": "999999", "to": "430102"})
    assert response.status_code == 422 and set(response.json()["fields"]) == {"from"}
    response = _get(officers["wuchang"], URL, **{"from": "420106", "to": "430102",
                                                 "date": "2026-13-01"})
    assert response.status_code == 422 and "date" in response.json()["fields"]
    response = _get(officers["wuchang"], URL, to="430102")
    assert response.status_code == 422


def test_port_officers_may_ask_and_auditors_may_not(officers, make_user):
    port = make_user(Role.PORT_OFFICER, "420000", username="port")
    auditor = make_user(Role.AUDITOR, "420000", username="auditor")
    params = {"from": "420106", "to": "430102"}
    assert _get(port, URL, **params).status_code == 200
    assert _get(auditor, URL, **params).status_code == 403


def test_policies_list_and_create(officers):
    listed = _get(officers["wuchang"], POLICIES).json()
    assert [p["code"] for p in listed] == ["cn-travel-2021"]
    assert listed[0]["status"] == "in_force" and len(listed[0]["rules"]) == 9
    body = {"code": "hb-travel", "name": "入鄂出行", "scope": "420000",
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "rules": _cells()}
    made = Client().post(POLICIES, data=body, content_type="application/json",
                         **bearer(officers["hubei"]))
    assert made.status_code == 201, made.json()
    assert made.json()["scope_prefix"] == "42" and made.json()["status"] == "scheduled"
    bad = copy.deepcopy(body)
    bad["rules"][3]["quarantine_days"] = 5  # medium → low without a kind
    response = Client().post(POLICIES, data=bad, content_type="application/json",
                             **bearer(officers["hubei"]))
    assert response.status_code == 422
    assert "rules.medium.low.quarantine_kind" in response.json()["fields"]
    assert Client().post(POLICIES, data=body, content_type="application/json",
                         **bearer(officers["hunan"])).status_code == 404
    assert Client().post(POLICIES, data=body, content_type="application/json",
                         **bearer(officers["wuchang"])).status_code == 403
    hunan_sees = [p["code"] for p in _get(officers["furong"], POLICIES).json()]
    assert hunan_sees == ["cn-travel-2021"]
