"""The household registry pages (views/households.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shouwang.livelihood.models import IncomeRecord, Shock
from tests.livelihood.factories import make_flag, make_household, resident_id

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_village_list_page(cadres: Any) -> None:
    make_household("420111001", household_number="P-1", members=3,
                   incomes={2025: {"wages": 9000}},
                   shocks=[{"kind": "disaster", "occurred_on": "2026-01-02", "amount": 100}])
    r = _client(cadres["officer"]).get("/livelihood/households/?division=420111001")
    body = r.content.decode()
    assert r.status_code == 200
    assert "P-1" in body and "灾害损失" in body and "lh-status-data" in body
    assert "农户台账" in body
    assert _client(cadres["wuchang"]).get(
        "/livelihood/households/?division=420111001").status_code == 404


def test_detail_page_masks_and_forms_write(cadres: Any) -> None:
    h = make_household("420111001", members=1, incomes={2024: {"wages": 5000},
                                                        2025: {"operating": -100}})
    head = h.members.get()
    officer = _client(cadres["officer"]).get(f"/livelihood/households/{h.pk}/").content.decode()
    assert head.id_number not in officer and "income-chart" in officer
    assert "geo/plotly" in officer or "plotly" in officer
    cadre = _client(cadres["luonan"])
    assert head.id_number in cadre.get(f"/livelihood/households/{h.pk}/").content.decode()
    bad = cadre.post(f"/livelihood/households/{h.pk}/", {
        "action": "income", "year": "2025", "component": "transfer", "amount": "-5"})
    assert bad.status_code == 422 and "error-amount" in bad.content.decode()
    ok = cadre.post(f"/livelihood/households/{h.pk}/", {
        "action": "income", "year": "2025", "component": "transfer", "amount": "5"})
    assert ok.status_code == 302 and IncomeRecord.objects.filter(component="transfer").exists()
    cadre.post(f"/livelihood/households/{h.pk}/", {
        "action": "shock", "kind": "medical", "occurred_on": "2026-01-01", "amount": "10",
        "member": str(head.pk)})
    assert Shock.objects.filter(member=head).exists()
    added = cadre.post(f"/livelihood/households/{h.pk}/", {
        "action": "member", "name": "新成员", "id_number": resident_id(555),
        "relationship": "child", "work": "migrant"})
    assert added.status_code == 422 and "error-migrant_destination" in added.content.decode()
    assert _client(cadres["officer"]).post(f"/livelihood/households/{h.pk}/", {
        "action": "income"}).status_code == 403
    assert _client(cadres["wuchang"]).get(f"/livelihood/households/{h.pk}/").status_code == 404


def test_household_and_member_forms(cadres: Any) -> None:
    cadre = _client(cadres["luonan"])
    assert cadre.get("/livelihood/households/new/?division=420111001").status_code == 200
    r = cadre.post("/livelihood/households/new/?division=420111001", {
        "household_number": "F-1", "poverty_status": "lifted_out", "lifted_out_year": ""})
    assert r.status_code == 422 and "error-lifted_out_year" in r.content.decode()
    r = cadre.post("/livelihood/households/new/?division=420111001", {
        "household_number": "F-1", "poverty_status": "lifted_out", "lifted_out_year": "2019"})
    assert r.status_code == 302
    h = make_household("420111001", members=1)
    edit = cadre.post(f"/livelihood/households/{h.pk}/edit/", {
        "household_number": h.household_number, "version": str(h.version),
        "poverty_status": "never_poor", "address_detail": "五组"})
    assert edit.status_code == 302
    stale = cadre.post(f"/livelihood/households/{h.pk}/edit/", {
        "household_number": h.household_number, "version": str(h.version),
        "poverty_status": "never_poor", "address_detail": "六组"})
    assert stale.status_code == 422
    head = h.members.get()
    assert cadre.get(f"/livelihood/members/{head.pk}/edit/").status_code == 200
    assert cadre.post(f"/livelihood/members/{head.pk}/edit/", {
        "name": "改名", "relationship": "head", "health": "chronic"}).status_code == 302
    assert _client(cadres["wuchang"]).get(
        f"/livelihood/members/{head.pk}/edit/").status_code == 404


def test_detail_page_links_the_household_flags(cadres: Any) -> None:
    household = make_household("420111001", members=2)
    quiet = make_household("420111001")
    flag = make_flag(household, reason="人均纯收入低于监测标准")
    c = Client()
    c.force_login(cadres["luonan"])
    html = c.get(f"/livelihood/households/{household.pk}/").content.decode()
    assert f'href="/livelihood/flags/{flag.pk}/"' in html and "人均纯收入低于监测标准" in html
    assert 'data-testid="household-flags"' not in c.get(
        f"/livelihood/households/{quiet.pk}/").content.decode()
