"""/api/v1/risk: levels in force in the caller's jurisdiction, an area's history, the rollup, and
the overrides (list, create, revoke): field errors, 404 outside the jurisdiction, 403 without
risk.override."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.risk.models import RiskOverride
from tests.accounts.helpers import bearer
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db


def _get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params,
                        HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


def _post(user: Any, url: str, body: dict[str, Any]) -> Any:
    return Client().post(url, data=body, content_type="application/json",
                         HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


@pytest.fixture
def levels(officers: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    publish_levels(today - timedelta(days=1), {"420106": "medium"})
    publish_levels(today, {"420106": "high", "420111001": "medium", "430102": "high"},
                   since={"430102": today - timedelta(days=5)})
    return officers


def test_levels_in_force_in_the_jurisdiction(levels: dict[str, Any]) -> None:
    body = _get(levels["hubei"], "/api/v1/risk/levels").json()
    codes = [i["code"] for i in body["items"]]
    assert codes[:2] == ["420106", "420111001"] and "430102" not in codes
    assert body["counts"]["high"] == 1 and body["counts"]["medium"] == 1
    first = body["items"][0]
    assert (first["level"], first["since"], first["overridden"]) == (
        "high", timezone.localdate().isoformat(), False)
    assert "聚集性疫情" in first["reason"] and first["place"] == "湖北省 武汉市 武昌区"
    only = _get(levels["hubei"], "/api/v1/risk/levels", level="medium").json()["items"]
    assert [i["code"] for i in only] == ["420111001"]
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    past = _get(levels["wuchang"], "/api/v1/risk/levels", date=yesterday).json()
    assert [(i["code"], i["level"]) for i in past["items"]] == [("420106", "medium")]
    hunan = _get(levels["hunan"], "/api/v1/risk/levels").json()["items"]
    assert hunan[0]["since"] == (timezone.localdate() - timedelta(days=5)).isoformat()


def test_levels_field_errors(levels: dict[str, Any]) -> None:
    bad = _get(levels["hubei"], "/api/v1/risk/levels", level="extreme")
    assert bad.status_code == 422 and "level" in bad.json()["fields"]
    bad = _get(levels["hubei"], "/api/v1/risk/levels", date="2026-02-30")
    assert bad.status_code == 422 and "date" in bad.json()["fields"]
    far = (timezone.localdate() + timedelta(days=5)).isoformat()
    assert _get(levels["hubei"], "/api/v1/risk/levels", date=far).status_code == 422
    assert _get(levels["grid"], "/api/v1/risk/levels").status_code == 403


def test_area_history(levels: dict[str, Any]) -> None:
    body = _get(levels["wuchang"], "/api/v1/risk/areas/420106/history").json()
    assert body["level_in_force"] == "high"
    days = body["days"]
    assert [d["level"] for d in days] == ["medium", "high"]
    assert (days[-1]["rule_set"], days[-1]["rule_set_version"]) == ("cn-county-2020", 1)
    assert days[-1]["published"] and days[-1]["inputs"]["cumulative"] == 60
    assert days[-1]["reason_code"] == "over_threshold" and "聚集性疫情" in days[-1]["reason"]
    township = _get(levels["hubei"], "/api/v1/risk/areas/420111001/history").json()
    assert township["days"][0]["rule_set"] == "cn-subcounty-2021"
    today = timezone.localdate().isoformat()
    one = _get(levels["wuchang"], "/api/v1/risk/areas/420106/history",
               **{"from": today, "to": today}).json()["days"]
    assert len(one) == 1
    bad = _get(levels["wuchang"], "/api/v1/risk/areas/420106/history",
               **{"from": today, "to": "2020-01-01"})
    assert bad.status_code == 422 and "from" in bad.json()["fields"]


@pytest.mark.parametrize("who,code", [("hongshan", "420106"), ("hunan", "420106"),
                                      ("wuchang", "430102"), ("hubei", "999999")])
def test_history_of_another_area_is_404(levels: dict[str, Any], who: str, code: str) -> None:
    response = _get(levels[who], f"/api/v1/risk/areas/{code}/history")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_rollup(levels: dict[str, Any]) -> None:
    nation = {p["code"]: p for p in _get(levels["china"], "/api/v1/risk/rollup").json()}
    assert set(nation) == {"420000", "430000"}
    assert not nation["420000"]["all_low"] and nation["420000"]["counties_high"] == 1
    assert [a["code"] for a in nation["420000"]["medium"]] == ["420111001"]
    assert [a["code"] for a in nation["430000"]["high"]] == ["430102"]
    own = _get(levels["hunan"], "/api/v1/risk/rollup").json()
    assert [p["code"] for p in own] == ["430000"]


def test_override_create_list_and_revoke(levels: dict[str, Any]) -> None:
    url = "/api/v1/risk/overrides"
    made = _post(levels["hubei"], url, {"division_code": "420111", "level": "high",
                                        "reason": "发现聚集性疫情"})
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["level"], body["state"], body["created_by"]) == ("high", "active", "hubei")
    listed = _get(levels["wuhan"], url, division="420111").json()
    assert [o["id"] for o in listed] == [body["id"]]
    assert _get(levels["hunan"], url).json() == []
    assert _get(levels["hongshan"], "/api/v1/risk/levels").json()["items"][0]["overridden"]
    revoke = f"{url}/{body['id']}/revoke"
    assert _post(levels["hubei"], revoke, {"reason": " "}).status_code == 422
    assert _post(levels["hunan"], revoke, {"reason": "越权"}).status_code == 404
    assert _post(levels["wuhan"], revoke, {"reason": "无权"}).status_code == 403
    done = _post(levels["hubei"], revoke, {"reason": "核实为误报"})
    assert done.status_code == 200 and done.json()["state"] == "revoked"
    assert _get(levels["wuhan"], url, active=True).json() == []


def test_override_refusals(levels: dict[str, Any]) -> None:
    url = "/api/v1/risk/overrides"
    body = {"division_code": "420106", "level": "low", "reason": "核酸筛查全阴"}
    assert _post(levels["hunan"], url, body).status_code == 404
    assert _post(levels["wuchang"], url, body).status_code == 403
    missing = _post(levels["hubei"], url, {**body, "reason": "   "})
    assert missing.status_code == 422 and list(missing.json()["fields"]) == ["reason"]
    assert "理由" in missing.json()["fields"]["reason"][0]
    no_field = _post(levels["hubei"], url, {"division_code": "420106", "level": "low"})
    assert no_field.status_code == 422 and "reason" in no_field.json()["fields"]
    past = _post(levels["hubei"], url, {**body, "effective_at": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 422 and "effective_at" in past.json()["fields"]
    assert not RiskOverride.objects.exists()
