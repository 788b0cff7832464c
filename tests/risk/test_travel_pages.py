"""The travel pages: /risk/travel/ (table, versions, checker), /risk/travel/new/, and the public
check /public/risk/travel/ and /public/risk/travel.json (decision 1120)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED
from shouwang.risk.defaults import TRAVEL_POLICY
from shouwang.risk.models import TravelPolicy
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    if user.role in SECOND_FACTOR_REQUIRED:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _form(**over: str) -> dict[str, str]:
    form = {"code": "hb-travel", "name": "入鄂出行", "scope": "420000", "disease": "covid19",
            "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "note": ""}
    for (o, d), m in TRAVEL_POLICY["rules"].items():
        key = f"cell-{o}-{d}-"
        if m["certificate_check"]:
            form[key + "certificate_check"] = "on"
        if m["test_on_arrival"]:
            form[key + "test_on_arrival"] = "on"
        form[key + "test_within_hours"] = str(m["test_within_hours"] or "")
        form[key + "quarantine_kind"] = m["quarantine_kind"]
        form[key + "quarantine_days"] = str(m["quarantine_days"])
        form[key + "health_monitoring_days"] = str(m["health_monitoring_days"])
        form[key + "advice"] = m["advice"]
    form.update(over)
    return form


def test_the_page_shows_the_policy_as_a_three_by_three_table_and_its_versions(officers):
    html = _client(officers["wuchang"]).get("/risk/travel/").content.decode()
    assert html.count('data-testid="cell-') == 9
    cell = re.search(r'data-testid="cell-high-low"[^>]*>(.*?)</td>', html, re.S)
    assert cell is not None and "集中隔离 14 天" in cell.group(1)
    low = re.search(r'data-testid="cell-low-low"[^>]*>(.*?)</td>', html, re.S)
    assert low is not None and "无限制" in low.group(1)
    assert 'data-code="cn-travel-2021"' in html and 'data-status="in_force"' in html
    assert 'data-testid="travel-add"' not in html


def test_the_checker_on_the_officer_page(officers):
    publish_levels(timezone.localdate(), {"420111": "medium"})
    page = _client(officers["wuchang"]).get("/risk/travel/", {"from": "420111001",
                                                              "to": "430102"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="answer-origin" data-level="medium"' in html
    assert "健康监测 14 天" in html and "洪山区" in html
    bad = _client(officers["wuchang"]).get("/risk/travel/", {"from": "123", "to": "430102"})
    assert bad.status_code == 422 and 'data-testid="error-from"' in bad.content.decode()


def test_adding_a_provincial_policy_through_the_form(officers):
    client = _client(officers["hubei"])
    page = client.get("/risk/travel/new/")
    assert page.status_code == 200 and page.content.decode().count('data-testid="form-cell-') == 9
    posted = client.post("/risk/travel/new/", _form(**{
        "cell-medium-low-quarantine_kind": "home", "cell-medium-low-quarantine_days": "7"}))
    assert posted.status_code == 302, posted.content.decode()[:2000]
    policy = TravelPolicy.objects.get(code="hb-travel")
    cell = policy.rules.get(origin_level="medium", destination_level="low")
    assert (cell.quarantine_kind, cell.quarantine_days, cell.test_within_hours) == ("home", 7, 48)
    assert policy.rules.get(origin_level="low", destination_level="low").certificate_check is False
    again = client.get("/risk/travel/new/?code=hb-travel")
    assert again.status_code == 200 and 'value="hb-travel"' in again.content.decode()


def test_form_errors_by_cell_and_nothing_written(officers):
    response = _client(officers["hubei"]).post("/risk/travel/new/", _form(**{
        "cell-high-low-quarantine_kind": ""}))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="error-high-low-quarantine_kind"' in html
    assert not TravelPolicy.objects.filter(code="hb-travel").exists()
    assert _client(officers["hunan"]).post("/risk/travel/new/", _form()).status_code == 404
    assert _client(officers["wuchang"]).get("/risk/travel/new/").status_code == 403


def test_the_public_check_without_login(officers):
    publish_levels(timezone.localdate(), {"420106": "high"})
    page = Client().get("/public/risk/travel/", {"from": "武汉市武昌区", "to": "430102"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="answer-origin" data-level="high"' in html and "集中隔离" in html
    empty = Client().get("/public/risk/travel/")
    assert empty.status_code == 200 and 'data-testid="travel-answer"' not in empty.content.decode()
    data = Client().get("/public/risk/travel.json", {"from": "420106", "to": "430102"})
    assert data.status_code == 200
    body = data.json()
    assert body["origin"]["level"] == "high" and body["measures"]["quarantine_days"] == 14
    assert body["policy"]["code"] == "cn-travel-2021"
    for response in (page, data):
        text = response.content.decode()
        assert not ID_NUMBER.search(text) and not MOBILE.search(text)
        assert "created_by" not in text


def test_public_bad_parameters_answer_400_naming_the_field(officers):
    response = Client().get("/public/risk/travel.json", {"from": "420106", "to": "999999"})
    assert response.status_code == 400 and set(response.json()["fields"]) == {"to"}
    response = Client().get("/public/risk/travel.json")
    assert response.status_code == 400 and {"from", "to"} <= set(response.json()["fields"])
    response = Client().get("/public/risk/travel.json", {"from": "420106", "to": "430102",
                                                         "date": "soon"})
    assert response.status_code == 400 and "date" in response.json()["fields"]
    page = Client().get("/public/risk/travel/", {"from": "", "to": "430102"})
    assert page.status_code == 400 and 'data-testid="error-from"' in page.content.decode()


def test_add_version_links_only_where_the_officer_governs_the_scope(officers):
    hubei = _client(officers["hubei"]).get("/risk/travel/").content.decode()
    assert 'data-testid="travel-add"' in hubei
    assert 'data-testid="travel-add-version"' not in hubei  # the national policy
    china = _client(officers["china"]).get("/risk/travel/").content.decode()
    assert 'data-testid="travel-add-version"' in china
