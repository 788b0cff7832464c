"""The rules and thresholds pages and API (views/rules.py, api/rules.py, selectors/rules.py)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.test import Client

from shouwang.livelihood.models import MonitoringRuleSet, MonitoringThreshold
from shouwang.livelihood.selectors.rules import describe_params
from shouwang.livelihood.services.rules import ruleset_create, threshold_set
from tests.accounts.helpers import bearer
from tests.livelihood.test_rules_thresholds import national, stored_run

pytestmark = pytest.mark.django_db
__all__ = ["national"]


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api(user: Any, method: str, url: str, body: Any = None, **params: Any) -> Any:
    auth = bearer(user)["HTTP_AUTHORIZATION"]
    if method == "get":
        return Client().get(url, data=params, HTTP_AUTHORIZATION=auth)
    return Client().post(url, data=body, content_type="application/json",
                         HTTP_AUTHORIZATION=auth)


def _hubei(cadres: Any, **extra: Any) -> MonitoringRuleSet:
    return ruleset_create(actor=cadres["hubei"], data={
        "code": "hb-relapse", "name": "湖北省防返贫监测规则", "name_en": "Hubei rules",
        "kind": "relapse_monitoring", "scope": "420000", "effective_from": "2026-01-01",
        "params": {"drop_pct": 25}, **extra})


# --- rule sets --------------------------------------------------------------------------------


def test_list_shows_status_scope_and_words(cadres: Any) -> None:
    _hubei(cadres)
    ruleset_create(actor=cadres["hubei"], data={"code": "hb-relapse",
                                                "effective_from": "2099-01-01"})
    page = _client(cadres["hongshan"]).get("/livelihood/rules/").content.decode()
    rows = re.findall(r'data-code="([^"]+)" data-version="(\d+)" data-status="(\w+)"', page)
    assert sorted(rows) == [("cn-relapse-2021", "1", "in_force"), ("hb-relapse", "1", "in_force"),
                            ("hb-relapse", "2", "future")]
    assert "较上年同期下降 25% 及以上" in page and "湖北省" in page
    # 湖南's cadres do not see Hubei's rules.
    from tests.factories import make_user

    hunan = make_user("livelihood_cadre", "430000", username="lh-hunan")
    assert "hb-relapse" not in _client(hunan).get("/livelihood/rules/").content.decode()


def test_superseded_when_a_later_version_is_in_force(cadres: Any) -> None:
    v1 = _hubei(cadres)
    ruleset_create(actor=cadres["hubei"], data={"code": "hb-relapse",
                                                "effective_from": "2026-02-01"})
    page = _client(cadres["hubei"]).get(f"/livelihood/rules/{v1.pk}/").content.decode()
    assert 'data-testid="status-superseded"' in page
    assert page.count('data-testid="version-row"') == 2
    assert "rules/new/?code=hb-relapse" in page      # the province's cadre may add a version
    county = _client(cadres["hongshan"]).get(f"/livelihood/rules/{v1.pk}/").content.decode()
    assert "rules/new/?code=hb-relapse" not in county


def test_english_reader_gets_english_words(cadres: Any) -> None:
    _hubei(cadres)
    c = _client(cadres["hongshan"])
    c.cookies["django_language"] = "en"
    page = c.get("/livelihood/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Hubei rules" in page


def test_describe_params_follows_the_parameters() -> None:
    words = describe_params("relapse_monitoring", {"shock_amount": None, "shock_share_pct": None,
                                                   "drop_against": "previous_window",
                                                   "elimination_income": "month"})
    assert "突发严重困难户" not in words and "上一窗口期" in words and "当月收入 × 12" in words
    assert "window_months = 3" in describe_params("other_kind", {"window_months": 3})


def test_form_shows_each_parameter_error_beside_the_field(cadres: Any) -> None:
    c = _client(cadres["hubei"])
    form = c.get("/livelihood/rules/new/").content.decode()
    assert 'data-testid="param-help"' in form and "elimination_income" in form
    response = c.post("/livelihood/rules/new/", {
        "code": "hb-x", "name": "x", "kind": "relapse_monitoring", "scope": "420000",
        "effective_from": "2026-07-01", "params": '{"drop_pct": 130, "colour": 1}'})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-param="drop_pct"' in page and "应为 0 到 100 之间的数。" in page
    assert 'data-param="colour"' in page and "130" in page    # the JSON as typed stays
    assert not MonitoringRuleSet.objects.filter(code="hb-x").exists()
    bad_json = c.post("/livelihood/rules/new/", {"code": "hb-x", "name": "x",
                                                  "params": "{not json"})
    assert bad_json.status_code == 422 and "参数不是有效的 JSON" in bad_json.content.decode()


def test_form_saves_a_version_and_redirects(cadres: Any) -> None:
    _hubei(cadres)
    c = _client(cadres["hubei"])
    form = c.get("/livelihood/rules/new/?code=hb-relapse").content.decode()
    assert 'value="hb-relapse"' in form and "readonly" in form
    response = c.post("/livelihood/rules/new/", {
        "code": "hb-relapse", "name": "湖北省规则（二）", "kind": "relapse_monitoring",
        "scope": "420000", "effective_from": "2026-09-01", "params": '{"drop_pct": 20}'})
    assert response.status_code == 302
    v2 = MonitoringRuleSet.objects.get(code="hb-relapse", version=2)
    assert response["Location"] == f"/livelihood/rules/{v2.pk}/"
    assert v2.params["drop_pct"] == 20


def test_form_refuses_readers_and_hides_other_codes(cadres: Any) -> None:
    _hubei(cadres)
    assert _client(cadres["officer"]).get("/livelihood/rules/new/").status_code == 403
    assert _client(cadres["hongshan"]).get(
        "/livelihood/rules/new/?code=hb-relapse").status_code == 404
    response = _client(cadres["hubei"]).post("/livelihood/rules/new/", {
        "code": "hn", "name": "x", "kind": "relapse_monitoring", "scope": "430000",
        "effective_from": "2026-07-01", "params": "{}"})
    assert response.status_code == 404


def test_api_rules(cadres: Any) -> None:
    body = _api(cadres["hubei"], "post", "/api/v1/livelihood/rules", {
        "code": "hb-api", "name": "接口规则", "scope": "420000", "kind": "relapse_monitoring",
        "effective_from": "2026-03-01", "params": {"elimination_months": 12}})
    assert body.status_code == 201, body.content
    made = body.json()
    assert made["version"] == 1 and made["params"]["elimination_months"] == 12
    assert made["status"] == "in_force" and "连续 12 个月" in made["description"]
    bad = _api(cadres["hubei"], "post", "/api/v1/livelihood/rules", {
        "code": "hb-api", "effective_from": "2026-04-01", "params": {"window_months": 99}})
    assert bad.status_code == 422
    assert "params.window_months" in str(bad.json())
    listed = _api(cadres["hongshan"], "get", "/api/v1/livelihood/rules").json()
    assert {i["code"] for i in listed["items"]} == {"cn-relapse-2021", "hb-api"}
    assert "relapse_monitoring" in listed["kinds"]
    assert _api(cadres["officer"], "post", "/api/v1/livelihood/rules", {
        "code": "x", "effective_from": "2026-04-01"}).status_code == 403
    detail = _api(cadres["wuhan"], "get", f"/api/v1/livelihood/rules/{made['id']}").json()
    assert [v["version"] for v in detail["versions"]] == [1]


# --- thresholds -------------------------------------------------------------------------------


def test_threshold_table_and_form(cadres: Any) -> None:
    threshold_set(actor=cadres["hubei"], data={"year": 2026, "province_code": "420000",
                                               "poverty_line": "4000", "multiple": "1.6"})
    stored_run(date(2022, 5, 1), "420111")
    c = _client(cadres["hubei"])
    page = c.get("/livelihood/thresholds/").content.decode()
    years = re.findall(r'data-testid="threshold-row" data-year="(\d+)"', page)
    assert years == ["2026", "2022", "2021"]
    assert "6400" in page
    assert page.count('data-testid="threshold-used"') == 4   # 2021, 2022 × national, Hubei
    assert 'data-testid="threshold-form"' in page
    assert '<option value="">' not in page    # the nation's line is not the province's to set
    response = c.post("/livelihood/thresholds/", {"year": "2027", "province_code": "420000",
                                                  "poverty_line": "-5"})
    assert response.status_code == 422
    assert 'data-testid="error-poverty-line"' in response.content.decode()
    response = c.post("/livelihood/thresholds/", {"year": "2027", "province_code": "420000",
                                                  "poverty_line": "4000"})
    assert response.status_code == 302
    assert MonitoringThreshold.objects.get(year=2027, province_code="420000").amount == 6000
    locked = c.post("/livelihood/thresholds/", {"year": "2022", "province_code": "420000",
                                                "poverty_line": "4000"})
    assert locked.status_code == 422 and 'data-testid="error-year"' in locked.content.decode()


def test_threshold_form_only_for_province_and_nation(cadres: Any, national: Any) -> None:
    county = _client(cadres["hongshan"]).get("/livelihood/thresholds/").content.decode()
    assert 'data-testid="threshold-table"' in county
    assert 'data-testid="threshold-form"' not in county
    assert _client(cadres["hongshan"]).post("/livelihood/thresholds/", {
        "year": "2027", "province_code": "420000", "poverty_line": "4000"}).status_code == 404
    nation = _client(national).get("/livelihood/thresholds/").content.decode()
    assert '<option value="" selected>' in nation


def test_api_thresholds(cadres: Any, national: Any) -> None:
    made = _api(cadres["hubei"], "post", "/api/v1/livelihood/thresholds", {
        "year": 2026, "province_code": "420000", "poverty_line": 4000, "amount": 6500})
    assert made.status_code == 200, made.content
    assert made.json()["multiple"] == "1.63"   # 1.625 rounded half up
    hunan_sees = _api(national, "get", "/api/v1/livelihood/thresholds", year=2026).json()
    assert [(t["province_code"], t["amount"]) for t in hunan_sees] == [("420000", "6500.00")]
    county = _api(cadres["hongshan"], "get", "/api/v1/livelihood/thresholds").json()
    assert {t["province_code"] for t in county} == {"", "420000"}
    bad = _api(cadres["hubei"], "post", "/api/v1/livelihood/thresholds", {
        "year": 2026, "province_code": "420000", "poverty_line": 0})
    assert bad.status_code == 422 and "poverty_line" in str(bad.json())
    outside = _api(cadres["hubei"], "post", "/api/v1/livelihood/thresholds", {
        "year": 2026, "province_code": "430000", "poverty_line": 4000})
    assert outside.status_code == 404
