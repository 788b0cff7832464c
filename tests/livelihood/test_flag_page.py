"""The flag's page, the household's monitoring dossier (views/flags_detail.py)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.livelihood.models import AssistanceMeasure, FlagStatus, FollowUpVisit
from tests.livelihood.assistance_data import recovering_household
from tests.livelihood.factories import make_flag, make_household

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _chart(body: str) -> dict[str, Any]:
    marker = 'id="lh-flag-income-data" type="application/json">'
    start = body.index(marker) + len(marker)
    data: dict[str, Any] = json.loads(body[start:body.index("</script>", start)])
    return data


def test_dossier_shows_rule_numbers_chart_and_outlook(cadres: Any) -> None:
    household, flag = recovering_household(good_months=3, household_number="DOS-1")
    r = _client(cadres["officer"]).get(f"/livelihood/flags/{flag.pk}/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "DOS-1" in body and f"/livelihood/households/{household.pk}/" in body
    assert "cn-relapse-2021 v1" in body and "边缘易致贫户" in body
    assert "人均纯收入低于监测标准" in body  # the trigger, by its label
    assert "监测标准（元/人·年）" in body and "6,000.00" in body  # the numbers table
    chart = _chart(body)
    assert len(chart["months"]) == 24 and chart["threshold"][-1] == 6000.0
    assert chart["month_income"][-1] == 900 * 12 and chart["month_income"][0] == 200 * 12
    assert chart["window_income"][-1] == 900 * 12 * 8 / 12 + 200 * 12 * 4 / 12
    assert 'data-testid="elimination-progress"' in body and 'aria-valuenow="3"' in body
    assert "需连续 6 个月" in body
    # A reader sees no forms.
    assert "measure-form" not in body and "eliminate-form" not in body
    assert _client(cadres["wuchang"]).get(f"/livelihood/flags/{flag.pk}/").status_code == 404


def test_measure_form_and_end(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    cadre = _client(cadres["luonan"])
    page = cadre.get(f"/livelihood/flags/{flag.pk}/").content.decode()
    assert "measure-form" in page and f'value="{cadres["hongshan"].pk}"' in page
    today = timezone.localdate()
    bad = cadre.post(f"/livelihood/flags/{flag.pk}/", {
        "action": "measure", "category": "housing", "description": "危房改造",
        "responsible": cadres["luonan"].pk, "started_on": today.isoformat(), "amount": "-1"})
    assert bad.status_code == 422 and "error-amount" in bad.content.decode()
    assert "危房改造" in bad.content.decode()  # the form keeps what was typed
    ok = cadre.post(f"/livelihood/flags/{flag.pk}/", {
        "action": "measure", "category": "housing", "description": "危房改造",
        "responsible": cadres["luonan"].pk, "started_on": today.isoformat(), "amount": "20000"})
    assert ok.status_code == 302 and ok["Location"].endswith("#measures")
    measure = AssistanceMeasure.objects.get()
    page = cadre.get(f"/livelihood/flags/{flag.pk}/").content.decode()
    assert "住房安全保障" in page and "帮扶措施已登记" in page
    ended = cadre.post(f"/livelihood/flags/{flag.pk}/", {
        "action": "measure_end", "measure": measure.pk, "ended_on": today.isoformat()})
    assert ended.status_code == 302
    measure.refresh_from_db()
    assert measure.ended_on == today


def test_visit_form_updates_guarantees(cadres: Any) -> None:
    household = make_household("420111001")
    flag = make_flag(household)
    cadre = _client(cadres["luonan"])
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    r = cadre.post(f"/livelihood/flags/{flag.pk}/", {
        "action": "visit", "visited_on": day, "notes": "饮水井干涸",
        "food_clothing_secure": "on", "education_secure": "on", "medical_secure": "on",
        "housing_secure": "on"})
    assert r.status_code == 302
    visit = FollowUpVisit.objects.get()
    assert visit.flag == flag and visit.guarantees["water_secure"] is False
    household.refresh_from_db()
    assert household.water_secure is False
    page = cadre.get(f"/livelihood/flags/{flag.pk}/").content.decode()
    assert "饮水井干涸" in page and "未保障" in page
    missing = cadre.post(f"/livelihood/flags/{flag.pk}/", {"action": "visit", "visited_on": day})
    assert missing.status_code == 422 and "error-notes" in missing.content.decode()


def test_elimination_refused_on_the_page_then_done(cadres: Any) -> None:
    _h, early = recovering_household(good_months=4)
    cadre = _client(cadres["luonan"])
    r = cadre.post(f"/livelihood/flags/{early.pk}/", {"action": "eliminate",
                                                      "evidence_note": "核实"})
    body = r.content.decode()
    assert r.status_code == 422 and 'data-testid="error-elimination"' in body
    assert "连续 4 个月" in body and "需连续 6 个月" in body

    _h, ready = recovering_household(good_months=6)
    assert "elimination-eligible" in cadre.get(f"/livelihood/flags/{ready.pk}/").content.decode()
    done = cadre.post(f"/livelihood/flags/{ready.pk}/", {"action": "eliminate",
                                                         "evidence_note": "入户核实：收入稳定"})
    assert done.status_code == 302
    ready.refresh_from_db()
    assert ready.status == FlagStatus.ELIMINATED
    page = cadre.get(f"/livelihood/flags/{ready.pk}/").content.decode()
    assert "elimination-evidence" in page and "入户核实：收入稳定" in page
    assert "eliminate-form" not in page and "measure-form" not in page


def test_reader_cannot_post(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    r = _client(cadres["officer"]).post(f"/livelihood/flags/{flag.pk}/", {
        "action": "eliminate", "evidence_note": "x"})
    assert r.status_code == 403
    assert _client(cadres["wuchang"]).post(f"/livelihood/flags/{flag.pk}/", {
        "action": "eliminate", "evidence_note": "x"}).status_code == 404


def test_english_reason_and_labels(cadres: Any) -> None:
    _h, flag = recovering_household(good_months=3)
    c = _client(cadres["officer"])
    body = c.get(f"/livelihood/flags/{flag.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en"' in body and "cn-relapse-2021 v1" in body


def test_query_count_does_not_grow_with_measures_and_visits(cadres: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shouwang.livelihood.services.assistance import measure_add, visit_record

    household, flag = recovering_household(good_months=3)
    cadre = _client(cadres["luonan"])
    url = f"/livelihood/flags/{flag.pk}/"
    cadre.get(url)
    with CaptureQueriesContext(connection) as before:
        cadre.get(url)
    today = timezone.localdate()
    for i in range(6):
        measure_add(actor=cadres["luonan"], flag_id=flag.pk, data={
            "category": "other", "description": f"措施{i}", "responsible": cadres["hongshan"].pk,
            "started_on": today - timedelta(days=i)})
        visit_record(actor=cadres["luonan"] if i % 2 else cadres["hongshan"],
                     household_id=household.pk, data={
                         "visited_on": today - timedelta(days=i), "notes": f"走访{i}",
                         "guarantees": {"food_clothing_secure": True, "education_secure": True,
                                        "medical_secure": True, "housing_secure": True,
                                        "water_secure": True}})
    with CaptureQueriesContext(connection) as after:
        body = cadre.get(url).content.decode()
    assert "措施5" in body and "走访5" in body
    assert len(after) == len(before)
