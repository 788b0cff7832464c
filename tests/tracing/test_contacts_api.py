"""/api/v1/tracing/contacts: register, list, detail (masked / pseudonymised), follow-ups,
release, and the hand-over round trip, with the shared error shape (422, 409, 404, 403)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.tracing.models import Contact, HandOver
from tests.accounts.helpers import bearer
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import contact_data, make_contact, resident_id

pytestmark = pytest.mark.django_db
URL = "/api/v1/tracing/contacts"


def post(user: Any, url: str, payload: dict[str, Any]) -> Any:
    return Client().post(url, data=payload, content_type="application/json", **bearer(user))


def get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, **bearer(user))


def test_register_twice_is_one_contact_and_bad_input_is_field_by_field(officers):
    case = make_case("420106")
    body = {**contact_data(1, residence="420111"), "index_case": case.pk, "source_key": "s1"}
    first = post(officers["wuchang"], URL, body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["created"] is True and data["person"]["label"] == "李娜"
    assert data["person"]["id_number"] == resident_id(1) and data["division_code"] == "420106"
    again = post(officers["wuchang"], URL, body)
    assert again.status_code == 200 and again.json()["id"] == data["id"]
    bad = post(officers["wuchang"], URL, {**body, "source_key": "s2",
                                          "id_number": "420106199003120010",
                                          "last_exposure_on": "2999-01-01"})
    assert bad.status_code == 422
    err = bad.json()
    assert err["code"] == "invalid_input" and {"id_number", "last_exposure_on"} <= set(
        err["fields"])
    assert Contact.objects.count() == 1


def test_two_counties_at_once_is_a_clear_422(officers):
    make_contact(make_case("420106"), officers["wuchang"], seq=5)
    other = make_case("420111")
    resp = post(officers["hongshan"], URL, {**contact_data(5), "index_case": other.pk})
    assert resp.status_code == 422
    assert resp.json()["code"] == "followed_elsewhere"
    assert "武昌区" in resp.json()["fields"]["id_number"][0]


def test_validate_derives_and_reports_without_storing(officers):
    case = make_case("420106")
    ok = post(officers["wuchang"], f"{URL}/validate", {**contact_data(1), "index_case": case.pk})
    assert ok.json()["valid"] is True and ok.json()["derived"]["birth_date"] == "1990-03-12"
    bad = post(officers["wuchang"], f"{URL}/validate",
               {**contact_data(1), "index_case": case.pk, "phone": "1"})
    assert bad.json()["valid"] is False and "phone" in bad.json()["errors"]
    assert Contact.objects.count() == 0


def test_detail_in_clear_is_audited_masked_without_surveillance_read_and_404_outside(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    url = f"{URL}/{contact.pk}"
    full = get(officers["wuchang"], url).json()
    assert full["person"] == {"label": "李娜", "full": True, "pseudonymised": False,
                              "id_number": resident_id(1), "phone": "13800138000"}
    grid = get(officers["grid"], url).json()["person"]
    assert grid["label"] == "李*" and grid["full"] is False
    assert resident_id(1) not in grid["id_number"] and grid["phone"] == "138****8000"
    assert get(officers["hongshan"], url).status_code == 404
    assert AuditEvent.objects.filter(action="read", object_type="tracing.contact",
                                     object_id=str(contact.pk)).count() == 1


def test_case_contacts_pseudonymise_those_followed_elsewhere(officers):
    case = make_case("420106")
    mine = make_contact(case, officers["wuchang"], seq=1, name="李娜")
    moved = make_contact(case, officers["wuchang"], seq=2, name="张三明", residence="420111")
    hand = post(officers["wuchang"], f"{URL}/{moved.pk}/hand-overs",
                {"version": moved.version, "to_division_code": "420111"}).json()
    post(officers["hongshan"], f"{URL}/hand-overs/{hand['id']}/accept", {})
    items = get(officers["wuchang"], f"{URL}/cases/{case.pk}").json()["items"]
    by_id = {i["id"]: i["person"] for i in items}
    assert by_id[mine.pk]["label"] == "李娜"
    assert by_id[moved.pk]["pseudonymised"] is True
    assert by_id[moved.pk]["label"].startswith("ZSM · 30–39 岁 · 洪山区")
    assert by_id[moved.pk]["id_number"] == "" and by_id[moved.pk]["phone"] == ""


def test_hand_over_refused_comes_back_with_the_reason(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"], residence="420111")
    sent = post(officers["wuchang"], f"{URL}/{contact.pk}/hand-overs",
                {"version": contact.version, "to_division_code": "420111", "note": "现住洪山"})
    assert sent.status_code == 200
    hid = sent.json()["id"]
    inbox = get(officers["hongshan"], f"{URL}/hand-overs").json()
    assert [h["id"] for h in inbox] == [hid]
    # The receiver sees the person it must act on (audited).
    detail = get(officers["hongshan"], f"{URL}/hand-overs/{hid}").json()
    assert detail["person"]["label"] == "李娜" and detail["person"]["full"] is True
    assert get(officers["furong"], f"{URL}/hand-overs/{hid}").status_code == 404
    assert post(officers["wuchang"], f"{URL}/hand-overs/{hid}/accept", {}).status_code == 403
    no_reason = post(officers["hongshan"], f"{URL}/hand-overs/{hid}/refuse", {"reason": " "})
    assert no_reason.status_code == 422 and "refusal_reason" in no_reason.json()["fields"]
    refused = post(officers["hongshan"], f"{URL}/hand-overs/{hid}/refuse",
                   {"reason": "住址不在本区"})
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    returned = get(officers["wuchang"], f"{URL}/hand-overs", box="returned").json()
    assert returned[0]["refusal_reason"] == "住址不在本区"
    assert post(officers["hongshan"], f"{URL}/hand-overs/{hid}/accept", {}).status_code == 409
    # A stale contact version when re-sending: 409, nothing stored.
    stale = post(officers["wuchang"], f"{URL}/{contact.pk}/hand-overs",
                 {"version": 1, "to_division_code": "430102"})
    assert stale.status_code == 409 and HandOver.objects.count() == 1


def test_follow_up_and_release(officers):
    today = timezone.localdate()
    case = make_case("420106", onset=today - timedelta(days=40))
    contact = make_contact(case, officers["wuchang"], last_exposure=today - timedelta(days=30),
                           identified_on=(today - timedelta(days=29)).isoformat())
    url = f"{URL}/{contact.pk}/follow-ups"
    first = post(officers["wuchang"], url, {"symptoms": ["cough"], "temperature_c": 36.6})
    assert first.status_code == 201
    assert post(officers["wuchang"], url, {"symptoms": ["cough"],
                                           "temperature_c": 36.6}).status_code == 200
    assert post(officers["wuchang"], url, {"symptoms": ["x"]}).status_code == 422
    listed = get(officers["wuchang"], URL, due=True).json()
    assert [i["id"] for i in listed["items"]] == [contact.pk] and listed["counts"]["due"] == 1
    version = Contact.objects.get(pk=contact.pk).version
    released = post(officers["wuchang"], f"{URL}/{contact.pk}/release", {"version": version})
    assert released.status_code == 200 and released.json()["status"] == "released"
    again = post(officers["wuchang"], f"{URL}/{contact.pk}/release", {"version": version})
    assert again.status_code in (409, 422)
    assert post(officers["grid"], f"{URL}/{contact.pk}/lost",
                {"version": version + 1}).status_code == 403


def test_bulk_release_reports_what_it_skipped(officers):
    today = timezone.localdate()
    case = make_case("420106", onset=today - timedelta(days=40))
    due = make_contact(case, officers["wuchang"], seq=1, last_exposure=today - timedelta(days=30),
                       identified_on=(today - timedelta(days=29)).isoformat())
    young = make_contact(case, officers["wuchang"], seq=2)
    foreign = make_contact(make_case("420111"), officers["hongshan"], seq=3)
    body = post(officers["wuchang"], f"{URL}/release",
                {"ids": [due.pk, young.pk, foreign.pk]}).json()
    assert body["released"] == [due.pk]
    assert set(body["skipped"]) == {str(young.pk), str(foreign.pk)}
    assert Contact.objects.get(pk=foreign.pk).status == "under_follow_up"


def test_the_receiving_county_registers_a_secondary_contact_through_its_close_contact(officers):
    case = make_case("420106")
    close = make_contact(case, officers["wuchang"], seq=1, residence="420111")
    hand = post(officers["wuchang"], f"{URL}/{close.pk}/hand-overs",
                {"version": close.version, "to_division_code": "420111"}).json()
    post(officers["hongshan"], f"{URL}/hand-overs/{hand['id']}/accept", {})
    body = {**contact_data(2, residence="420111"), "index_case": case.pk, "kind": "secondary"}
    # Without the close contact it came through, the index case (武昌区) is not hongshan's.
    assert post(officers["hongshan"], URL, body).status_code == 404
    resp = post(officers["hongshan"], URL, {**body, "via_contact": close.pk})
    assert resp.status_code == 201, resp.content
    assert resp.json()["division_code"] == "420111" and resp.json()["via_contact_id"] == close.pk
