"""/api/v1/livelihood/households and /members: list, detail, writes, 404 outside, 409 stale,
422 with field errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.accounts.helpers import bearer
from tests.livelihood.factories import make_household, resident_id

pytestmark = pytest.mark.django_db
BASE = "/api/v1/livelihood/households"


def _call(user: Any, method: str, url: str, body: dict[str, Any] | None = None,
          **params: Any) -> Any:
    auth = bearer(user)["HTTP_AUTHORIZATION"]
    if method == "get":
        return Client().get(url, data=params, HTTP_AUTHORIZATION=auth)
    return getattr(Client(), method)(url, data=body or {}, content_type="application/json",
                                     HTTP_AUTHORIZATION=auth)


def test_create_list_detail(cadres: Any) -> None:
    made = _call(cadres["luonan"], "post", BASE, {"division_code": "420111001",
                                                  "household_number": "API-1"})
    assert made.status_code == 201, made.content
    hid = made.json()["id"]
    head = _call(cadres["luonan"], "post", f"{BASE}/{hid}/members", {
        "name": "张三", "id_number": resident_id(77), "relationship": "head"})
    assert head.status_code == 201, head.content
    listed = _call(cadres["officer"], "get", BASE, division="420111001").json()
    assert listed["total"] == 1 and listed["items"][0]["members"] == 1
    detail = _call(cadres["officer"], "get", f"{BASE}/{hid}").json()
    assert detail["members"][0]["masked"] and detail["members"][0]["name"] == "张*"
    assert _call(cadres["wuchang"], "get", f"{BASE}/{hid}").status_code == 404
    assert _call(cadres["wuchang"], "get", BASE, division="420111001").status_code == 404
    assert _call(cadres["officer"], "post", BASE, {"division_code": "420111001",
                                                   "household_number": "API-2"}
                 ).status_code == 403


def test_stale_version_409_and_field_errors_422(cadres: Any) -> None:
    h = make_household("420111001")
    url = f"{BASE}/{h.pk}"
    ok = _call(cadres["luonan"], "patch", url, {"version": h.version, "address_detail": "一组"})
    assert ok.status_code == 200 and ok.json()["version"] == h.version + 1
    assert _call(cadres["luonan"], "patch", url, {"version": h.version,
                                                  "address_detail": "二组"}).status_code == 409
    neg = _call(cadres["luonan"], "put", f"{url}/incomes", {"year": 2025, "component": "wages",
                                                             "amount": "-10"})
    assert neg.status_code == 422 and "amount" in str(neg.json())
    shock = _call(cadres["luonan"], "post", f"{url}/shocks", {
        "kind": "medical", "occurred_on": "2026-01-01", "amount": "-1"})
    assert shock.status_code == 422


def test_person_in_two_households_422_names_the_other(cadres: Any) -> None:
    first = make_household("420111001", household_number="API-A")
    idn = first.members.get().id_number
    second = make_household("420111001", members=0)
    r = _call(cadres["luonan"], "post", f"{BASE}/{second.pk}/members", {
        "name": "重复", "id_number": idn, "relationship": "head"})
    assert r.status_code == 422 and "API-A" in r.content.decode()


def test_incomes_and_shocks_round_trip(cadres: Any) -> None:
    h = make_household("420111001", members=2)
    url = f"{BASE}/{h.pk}"
    body = {"year": 2025, "component": "operating", "amount": "-300"}
    assert _call(cadres["luonan"], "put", f"{url}/incomes", body).status_code == 201
    assert _call(cadres["luonan"], "put", f"{url}/incomes", body).status_code == 200
    got = _call(cadres["officer"], "get", f"{url}/incomes").json()
    assert got["by_year"] == {"2025": {"operating": "-300.00"}} or \
        float(got["by_year"]["2025"]["operating"]) == -300
    s = {"kind": "disaster", "occurred_on": "2026-01-01", "amount": "5000", "source_key": "s1"}
    assert _call(cadres["luonan"], "post", f"{url}/shocks", s).status_code == 201
    assert _call(cadres["luonan"], "post", f"{url}/shocks", s).status_code == 200
    assert len(_call(cadres["officer"], "get", f"{url}/shocks").json()) == 1
