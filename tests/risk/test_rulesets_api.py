"""/api/v1/risk/rulesets (api/rulesets.py; decision 1120)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.risk.models import RuleSet
from tests.accounts.helpers import bearer
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db

URL = "/api/v1/risk/rulesets"


def _get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, **bearer(user))


def _post(user: Any, body: dict[str, Any]) -> Any:
    return Client().post(URL, data=body, content_type="application/json", **bearer(user))


def _body(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "hb-county", "name": "湖北县域规则", "kind": "window_threshold",
        "levels": ["county"], "scope": "420000", "disease": "covid19",
        "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "params": {"window_days": 14, "high_threshold": 30, "classifications": ["confirmed"]}}
    body.update(over)
    return body


def test_list_shows_the_seeded_rules_in_force_and_the_kinds(officers):
    body = _get(officers["wuchang"], URL).json()
    assert "window_threshold" in body["kinds"]
    by_code = {i["code"]: i for i in body["items"]}
    county = by_code["cn-county-2020"]
    assert county["status"] == "in_force" and county["judges"] == ["county"]
    assert county["scope_name"] == "全国" and "窗口期 14 天" in county["description"]
    assert by_code["cn-subcounty-2021"]["judges"] == ["township", "village"]


def test_create_then_detail_with_versions(officers):
    made = _post(officers["hubei"], _body())
    assert made.status_code == 201, made.json()
    item = made.json()
    assert (item["version"], item["scope_prefix"], item["status"]) == (1, "42", "scheduled")
    again = _post(officers["hubei"], {"code": "hb-county", "effective_from": (
        timezone.localdate() + timedelta(days=3)).isoformat()})
    assert again.status_code == 201 and again.json()["version"] == 2
    detail = _get(officers["wuhan"], f"{URL}/{item['id']}").json()
    assert [v["version"] for v in detail["versions"]] == [2, 1]
    assert detail["params"]["high_threshold"] == 30


def test_field_errors_are_422_with_the_field_names(officers):
    response = _post(officers["hubei"], _body(
        levels=["province"], params={"window_days": 0, "classifications": []}))
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert {"levels", "params.window_days", "params.classifications"} <= set(fields)
    assert not RuleSet.objects.filter(code="hb-county").exists()


def test_a_change_on_a_published_day_is_refused(officers):
    day = timezone.localdate() + timedelta(days=1)
    publish_levels(day, {})
    response = _post(officers["china"], {"code": "cn-county-2020",
                                         "effective_from": day.isoformat()})
    assert response.status_code == 422 and "effective_from" in response.json()["fields"]
    assert RuleSet.objects.filter(code="cn-county-2020").count() == 1


def test_who_may_add(officers):
    assert _post(officers["wuchang"], _body(scope="420106")).status_code == 403
    assert _post(officers["hunan"], _body()).status_code == 404
    assert _post(officers["hunan"], _body(scope="430000", code="hn-county")).status_code == 201


def test_another_areas_rule_set_is_not_found(officers):
    item = _post(officers["hubei"], _body()).json()
    assert _get(officers["furong"], f"{URL}/{item['id']}").status_code == 404
    assert _get(officers["wuchang"], f"{URL}/{item['id']}").status_code == 200
    codes = {i["code"] for i in _get(officers["furong"], URL).json()["items"]}
    assert "hb-county" not in codes and "cn-county-2020" in codes
