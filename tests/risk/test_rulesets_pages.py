"""The rule-set pages: /risk/rules/, /risk/rules/<id>/, /risk/rules/new/ (decision 1120)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED
from shouwang.risk.models import RuleSet
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    """Logged in and, for national and provincial officers, past the second factor."""
    client = Client()
    client.force_login(user)
    if user.role in SECOND_FACTOR_REQUIRED:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def _form(**over: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "code": "hb-county", "name": "湖北县域规则", "name_en": "", "kind": "window_threshold",
        "disease": "covid19", "scope": "420000", "levels": ["county"],
        "classifications": ["confirmed", "clinical"],
        "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "params": json.dumps({"window_days": 14, "high_threshold": 30}), "note": ""}
    form.update(over)
    return form


def test_the_list_shows_versions_scope_dates_status_and_words(officers):
    page = _client(officers["wuchang"]).get("/risk/rules/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-code="cn-county-2020"' in html and 'data-status="in_force"' in html
    assert "窗口期 14 天" in html and "2020-02-17" in html and "全国" in html
    assert 'data-testid="ruleset-add"' not in html  # a county officer may not add
    assert 'data-testid="ruleset-add"' in _client(officers["hubei"]).get(
        "/risk/rules/").content.decode()


def test_the_detail_page_with_its_versions(officers):
    county = RuleSet.objects.get(code="cn-county-2020", version=1)
    html = _client(officers["wuhan"]).get(f"/risk/rules/{county.pk}/").content.decode()
    assert "cn-county-2020" in html and "high_threshold" in html
    assert html.count('data-testid="version-row"') == 1
    assert 'data-testid="ruleset-add-version"' not in html
    assert 'data-testid="ruleset-add-version"' in _client(officers["china"]).get(
        f"/risk/rules/{county.pk}/").content.decode()


def test_adding_a_version_through_the_form(officers):
    client = _client(officers["china"])
    form = client.get("/risk/rules/new/?code=cn-county-2020")
    assert form.status_code == 200
    html = form.content.decode()
    assert 'value="cn-county-2020"' in html and "high_threshold" in html
    posted = client.post("/risk/rules/new/", _form(
        code="cn-county-2020", scope="", name="县域风险等级标准（修订）",
        params=json.dumps({"window_days": 14, "high_threshold": 40})))
    assert posted.status_code == 302
    made = RuleSet.objects.get(code="cn-county-2020", version=2)
    assert posted["Location"] == f"/risk/rules/{made.pk}/"
    assert made.params["high_threshold"] == 40 and made.scope_prefix == ""


def test_a_new_provincial_rule_through_the_form(officers):
    posted = _client(officers["hubei"]).post("/risk/rules/new/", _form(scope="42"))
    assert posted.status_code == 302
    assert RuleSet.objects.get(code="hb-county").scope_prefix == "42"


def test_form_errors_answer_422_by_field_and_write_nothing(officers):
    client = _client(officers["hubei"])
    response = client.post("/risk/rules/new/", _form(
        levels=[], classifications=[], params=json.dumps({"window_days": 0})))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="error-levels"' in html
    assert 'data-testid="error-classifications"' in html
    assert "params.window_days" in html
    response = client.post("/risk/rules/new/", _form(params="{not json"))
    assert response.status_code == 422 and "JSON" in response.content.decode()
    publish_levels(timezone.localdate() + timedelta(days=1), {})
    response = client.post("/risk/rules/new/", _form())
    assert response.status_code == 422
    assert 'data-testid="error-effective-from"' in response.content.decode()
    assert not RuleSet.objects.filter(code="hb-county").exists()


def test_outside_the_jurisdiction_is_404_and_without_the_right_403(officers):
    assert _client(officers["hunan"]).post("/risk/rules/new/", _form()).status_code == 404
    assert _client(officers["hubei"]).get(
        "/risk/rules/new/?code=cn-county-2020").status_code == 404
    assert _client(officers["wuchang"]).get("/risk/rules/new/").status_code == 403
    assert not RuleSet.objects.filter(code="hb-county").exists()
