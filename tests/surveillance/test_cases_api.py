"""/api/v1/surveillance/cases: submit, list, detail, changes, 409 on concurrent edits, errors."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.surveillance.models import CaseReport, CaseStatus
from shouwang.surveillance.services.cases import case_report_submit
from tests.accounts.helpers import bearer
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer, resident_id

URL = "/api/v1/surveillance/cases"


def body(**over: Any) -> dict[str, Any]:
    data = case_data(**over)
    return json.loads(json.dumps(data, default=str))


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def post(user: Any, url: str, payload: dict[str, Any], **headers: Any) -> Any:
    return Client().post(url, data=payload, content_type="application/json",
                         **bearer(user), **headers)


def get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, **bearer(user))


@pytest.mark.django_db
def test_submit_returns_201_and_the_detail(wuchang):
    r = post(wuchang, URL, body())
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["name"] == "张伟" and out["id_number"] == ZHANG_WEI and out["version"] == 1
    assert out["duplicate_of"] is None


@pytest.mark.django_db
def test_idempotency_key_header_and_source_key_field(wuchang):
    payload = body()
    r1 = post(wuchang, URL, payload, HTTP_IDEMPOTENCY_KEY="clinic-7-0001")
    r2 = post(wuchang, URL, payload, HTTP_IDEMPOTENCY_KEY="clinic-7-0001")
    assert (r1.status_code, r2.status_code) == (201, 200)
    assert r1.json()["id"] == r2.json()["id"]
    other = {**body(id_number=resident_id(seq="246")), "source_key": "k2"}
    r3 = post(wuchang, URL, other)
    r4 = post(wuchang, URL, other)
    assert (r3.status_code, r4.status_code) == (201, 200)
    assert CaseReport.objects.count() == 2
    # The same key with another report's content is refused, on the key.
    r5 = post(wuchang, URL, {**other, "name": "李娜"})
    assert r5.status_code == 422 and "source_key" in r5.json()["fields"]


@pytest.mark.django_db
def test_a_repeat_of_an_existing_case_answers_200_with_duplicate_of(wuchang):
    first = post(wuchang, URL, body(classification="suspected")).json()
    r = post(wuchang, URL, body(classification="confirmed",
                                reporting_facility="武汉大学人民医院"))
    assert r.status_code == 200
    out = r.json()
    assert out["id"] == first["id"] and out["duplicate_of"] == first["id"]
    assert out["classification"] == "confirmed"
    dup = CaseReport.objects.get(pk=out["duplicate_report_id"])
    assert dup.status == CaseStatus.MERGED and dup.merged_into_id == first["id"]


@pytest.mark.django_db
def test_field_errors_are_422_with_the_error_body(wuchang):
    future = (timezone.now() + timedelta(days=3)).isoformat()
    r = post(wuchang, URL, body(division_code="429999", diagnosed_at=future,
                                id_number=ZHANG_WEI[:17] + "0"))
    assert r.status_code == 422
    err = r.json()
    assert err["code"] == "invalid_input" and err["message"]
    assert {"division_code", "diagnosed_at", "id_number"} <= set(err["fields"])
    r = post(wuchang, URL, {"disease": "covid19"})
    assert r.status_code == 422 and "name" in r.json()["fields"]


@pytest.mark.django_db
def test_english_error_messages(wuchang):
    r = post(wuchang, URL, body(division_code="429999"), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert r.json()["fields"]["division_code"] == ["Unknown division code: 429999."]


@pytest.mark.django_db
def test_a_laboratory_account_cannot_submit_cases(divisions):
    lab = officer("420106", role=Role.LABORATORY)
    assert post(lab, URL, body()).status_code == 403


@pytest.mark.django_db
def test_list_is_scoped_paged_and_filtered(wuchang):
    hongshan = officer("420111")
    for seq in ("111", "113", "115"):
        case_report_submit(actor=wuchang, data=case_data(id_number=resident_id(seq=seq)))
    case_report_submit(actor=hongshan, data=case_data(division_code="420111",
                                                      reporting_division_code="420111"))
    # A county officer of 420111 does not see 武昌区's cases.
    r = get(hongshan, URL)
    assert r.status_code == 200
    assert [c["division_code"] for c in r.json()["items"]] == ["420111"]
    # The city sees all four, two per page, newest report first.
    city = officer("420100", role=Role.CITY_OFFICER)
    page = get(city, URL, limit=2, with_total="true").json()
    assert len(page["items"]) == 2 and page["has_next"] and page["total"] == 4
    times = [c["reported_at"] for c in page["items"]]
    assert times == sorted(times, reverse=True)
    last = get(city, URL, limit=2, offset=2).json()
    assert len(last["items"]) == 2 and not last["has_next"] and last["total"] is None
    assert "name" not in page["items"][0]  # the list carries no personal fields
    assert get(city, URL, division_code="420111").json()["items"][0]["division_code"] == "420111"
    # Exact person search through the keyed hashes.
    found = get(city, URL, id_number=resident_id(seq="113").lower()).json()["items"]
    assert len(found) == 1
    assert len(get(city, URL, name="张伟").json()["items"]) == 4
    assert len(get(city, URL, phone="+86 138-0013-8000").json()["items"]) == 4
    assert get(city, URL, name="李娜").json()["items"] == []
    assert get(city, URL, verified="true").json()["items"] == []
    assert len(get(city, URL, classification="confirmed", disease="covid19",
                   reported_from=timezone.localdate() - timedelta(days=3)).json()["items"]) == 4


@pytest.mark.django_db
def test_detail_is_audited_as_a_read_and_history_is_masked(wuchang):
    case, _ = case_report_submit(actor=wuchang, data=case_data())
    city = officer("420100", role=Role.CITY_OFFICER)
    r = get(city, f"{URL}/{case.pk}")
    assert r.status_code == 200 and r.json()["name"] == "张伟"
    read = AuditEvent.objects.get(action=AuditAction.READ, object_id=str(case.pk),
                                  object_type="surveillance.casereport")
    assert read.actor_id == city.pk and "张伟" not in json.dumps(read.changes)
    history = get(city, f"{URL}/{case.pk}/history").json()
    assert history[0]["kind"] == "create" and history[0]["changes"]["name"] == [None, "***"]
    assert get(officer("420111"), f"{URL}/{case.pk}").status_code == 404


@pytest.mark.django_db
def test_two_officers_editing_at_once_the_second_gets_409(wuchang):
    case, _ = case_report_submit(actor=wuchang, data=case_data())
    colleague = officer("420106", username="officer-wuchang-2")
    url = f"{URL}/{case.pk}/correct"
    a = post(wuchang, url, {"version": 1, "changes": {"occupation": "worker"},
                            "reason": "职业订正"})
    b = post(colleague, url, {"version": 1, "changes": {"occupation": "farmer"},
                              "reason": "职业订正"})
    assert a.status_code == 200 and a.json()["version"] == 2
    assert b.status_code == 409
    assert b.json()["code"] == "conflict" and "已被他人修改" in b.json()["message"]
    assert b.json()["fields"] == {}
    case.refresh_from_db()
    assert case.occupation == "worker"


@pytest.mark.django_db
def test_change_endpoints(wuchang):
    case, _ = case_report_submit(actor=wuchang, data=case_data(classification="suspected"))
    u = f"{URL}/{case.pk}"
    r = post(wuchang, f"{u}/reclassify", {"version": 1, "classification": "confirmed",
                                           "reason": "核酸阳性"})
    assert r.status_code == 200 and r.json()["classification"] == "confirmed"
    r = post(wuchang, f"{u}/outcome", {"version": 2, "outcome": "died"})
    assert r.status_code == 422 and "outcome_date" in r.json()["fields"]
    r = post(wuchang, f"{u}/verify", {"version": 2})
    assert r.status_code == 200 and r.json()["verified_at"]
    r = post(wuchang, f"{u}/revoke", {"version": 3, "reason": ""})
    assert r.status_code == 422
    r = post(wuchang, f"{u}/revoke", {"version": 3, "reason": "重复录入"})
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    r = post(wuchang, f"{u}/restore", {"version": 4})
    assert r.status_code == 200 and r.json()["status"] == "active"
    r = post(wuchang, f"{u}/unmerge", {})
    assert r.status_code == 422


@pytest.mark.django_db
def test_bulk_verify_endpoint(wuchang):
    ids = [case_report_submit(actor=wuchang, data=case_data(
        id_number=resident_id(seq=f"{i:03d}")))[0].pk for i in range(5)]
    r = post(wuchang, f"{URL}/bulk/verify", {"case_ids": [*ids, 999999]})
    assert r.status_code == 200
    assert sorted(r.json()["changed"]) == sorted(ids) and r.json()["skipped"] == [999999]


@pytest.mark.django_db
def test_duplicate_candidates_list_merge_and_dismiss(wuchang):
    for hours in (50, 30, 10):
        case_report_submit(actor=wuchang, data=case_data(
            id_type="none", id_number="", birth_date="1985-03-12",
            diagnosed_at=timezone.now() - timedelta(hours=hours),
            reported_at=timezone.now() - timedelta(hours=hours - 1)))
    listed = get(wuchang, f"{URL}/duplicates").json()
    assert len(listed) == 3  # 2nd~1st, 3rd~1st, 3rd~2nd
    assert set(listed[0]["reasons"]) >= {"name", "birth_date"}
    assert get(officer("420111"), f"{URL}/duplicates").json() == []
    r = post(wuchang, f"{URL}/duplicates/{listed[0]['id']}/merge", {})
    assert r.status_code == 200
    r = post(wuchang, f"{URL}/duplicates/{listed[0]['id']}/merge", {})
    assert r.status_code == 422
    r = post(wuchang, f"{URL}/duplicates/{listed[1]['id']}/dismiss", {"reason": "不同人"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    assert len(get(wuchang, f"{URL}/duplicates").json()) == 1


@pytest.mark.django_db
def test_english_conflict_and_date_messages(wuchang):
    case, _ = case_report_submit(actor=wuchang, data=case_data())
    r = post(wuchang, f"{URL}/{case.pk}/verify", {"version": 7}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409
    assert r.json()["message"].startswith("This case report has been changed by someone else")
    r = post(wuchang, URL, body(onset_date=timezone.localdate() + timedelta(days=3)),
             HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["fields"]["onset_date"] == ["The onset date cannot be later than today."]
