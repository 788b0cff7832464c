from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.usefixtures("real_divisions")
URL = "/api/v1/geo/normalize-address"


@pytest.fixture
def client_in(make_user: object) -> Client:
    user = make_user("county_officer", "420111")  # type: ignore[operator]
    client = Client()
    client.force_login(user)
    return client


def test_normalize_address_placed(client_in: Client) -> None:
    r = client_in.post(URL, {"address": "湖北武汉洪山区珞喻路1037号"},
                       content_type="application/json")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "placed" and body["code"] == "420111" and body["name"] == "洪山区"
    assert body["level"] == "county" and 0 < body["confidence"] <= 1
    assert [m["code"] for m in body["matched"]] == ["420000", "420100", "420111"]
    assert body["matched"][1]["name"] == "武汉市"
    assert body["reason"] == "" and body["rest"] == "珞喻路1037号"


def test_normalize_address_ambiguous_and_unplaced(client_in: Client) -> None:
    body = client_in.post(URL, {"address": "鼓楼区"}, content_type="application/json").json()
    assert (body["status"], body["code"], body["reason"]) == ("ambiguous", None, "ambiguous")
    assert len(body["candidates"]) == 4 and body["message"]
    body = client_in.post(URL, {"address": "<b>火星</b>'; DROP TABLE x"},
                          content_type="application/json").json()
    assert (body["status"], body["reason"]) == ("unplaced", "no_division")


@pytest.mark.parametrize("payload", [{}, {"address": ""}, {"address": "湖" * 501}])
def test_normalize_address_bad_input(client_in: Client, payload: dict[str, str]) -> None:
    r = client_in.post(URL, payload, content_type="application/json")
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid_input" and "address" in body["fields"]


def test_normalize_address_needs_login(db: None) -> None:
    r = Client().post(URL, {"address": "湖北"}, content_type="application/json")
    assert r.status_code == 401


def test_division_list_and_detail(client_in: Client) -> None:
    r = client_in.get("/api/v1/geo/divisions", {"level": "province", "limit": 50})
    assert r.status_code == 200 and r.json()["count"] == 34
    r = client_in.get("/api/v1/geo/divisions", {"parent": "420100", "limit": 50})
    assert {d["code"] for d in r.json()["items"]} >= {"420111", "420106"}
    d = client_in.get("/api/v1/geo/divisions/420111").json()
    assert (d["name_en"], d["parent_code"], d["kind"]) == ("Hongshan Qu", "420100", "市辖区")
    assert client_in.get("/api/v1/geo/divisions/999999").status_code == 404
    assert client_in.get("/api/v1/geo/divisions", {"parent": "x'"}).status_code == 422
