"""/api/v1/tracing/investigations: list and counts, detail, open (idempotent), exposures (422 by
field, 409 on a stale version), source, complete, reopen, settings; scoping and capabilities."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from shouwang.tracing.models import Exposure, Investigation, Setting
from shouwang.tracing.services import investigations as svc
from tests.accounts.helpers import bearer
from tests.tracing.cases import make_case

URL = "/api/v1/tracing/investigations"
ONSET = date(2026, 3, 20)


def post(user: Any, url: str, payload: dict[str, Any]) -> Any:
    return Client().post(url, data=payload, content_type="application/json",
                         HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


def get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


@pytest.fixture
def inv(officers: dict[str, Any]) -> Investigation:
    case = make_case("420106", onset=ONSET, name="李娜")
    return svc.investigation_open(actor=officers["wuchang"], case=case)[0]


def test_open_is_idempotent_and_scoped(officers: dict[str, Any]) -> None:
    case = make_case("420106", onset=ONSET, classification="clinical")
    first = post(officers["wuchang"], f"{URL}/open", {"case_id": case.pk})
    assert first.status_code == 201
    body = first.json()
    assert body["case_id"] == case.pk and body["source_status"] == "pending"
    assert body["exposure_window_end"] == ONSET.isoformat()
    again = post(officers["wuhan"], f"{URL}/open", {"case_id": case.pk})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert post(officers["hongshan"], f"{URL}/open", {"case_id": case.pk}).status_code == 404
    assert post(officers["grid"], f"{URL}/open", {"case_id": case.pk}).status_code == 403
    assert Investigation.objects.count() == 1


def test_list_counts_and_filters(officers: dict[str, Any], inv: Investigation) -> None:
    other = svc.investigation_open(actor=None, case=make_case("420111", onset=ONSET))[0]
    svc.investigation_set_source(actor=officers["wuhan"], investigation=other, version=1,
                                 source_status="unknown")
    body = get(officers["wuhan"], URL).json()
    assert body["total"] == 2
    assert body["counts"]["unknown"] == 1 and body["counts"]["pending"] == 1
    flagged = get(officers["wuhan"], URL, source_status="unknown").json()["items"]
    assert [i["id"] for i in flagged] == [other.pk] and flagged[0]["unknown_source"] is True
    assert get(officers["wuchang"], URL).json()["total"] == 1
    assert get(officers["wuhan"], URL, state="completed").json()["total"] == 0
    bad = get(officers["wuhan"], URL, source_status="aliens")
    assert bad.status_code == 422 and "source_status" in bad.json()["fields"]
    # The grid worker reads (tracing.read) but does not write.
    assert get(officers["grid"], URL).status_code == 200


def test_detail_with_exposures_and_history(officers: dict[str, Any], inv: Investigation) -> None:
    response = post(officers["wuchang"], f"{URL}/{inv.pk}/exposures", {
        "kind": "gathering", "setting_label": "某酒楼聚餐", "place_division_code": "420106",
        "started_on": str(ONSET - timedelta(days=5)), "ended_on": str(ONSET - timedelta(days=5)),
        "description": "与 12 人聚餐"})
    assert response.status_code == 200
    body = get(officers["wuhan"], f"{URL}/{inv.pk}").json()
    assert body["case_name"] == "李娜" and body["version"] == 2
    exposure = body["exposures"][0]
    assert exposure["setting"]["label"] == "某酒楼聚餐"
    assert exposure["description"] == "与 12 人聚餐"
    assert exposure["place_division_name"] == "武昌区"
    assert [h["summary"] for h in body["history"]] == [
        "investigation open", "investigation exposure add v2"]
    assert get(officers["hongshan"], f"{URL}/{inv.pk}").status_code == 404


def test_exposure_errors_by_field(officers: dict[str, Any], inv: Investigation) -> None:
    base = {"kind": "workplace", "setting_label": "某车间", "place_division_code": "420106"}
    outside = post(officers["wuchang"], f"{URL}/{inv.pk}/exposures", {
        **base, "started_on": str(ONSET - timedelta(days=15)), "ended_on": str(ONSET)})
    assert outside.status_code == 422 and set(outside.json()["fields"]) == {"started_on"}
    reversed_ = post(officers["wuchang"], f"{URL}/{inv.pk}/exposures", {
        **base, "started_on": str(ONSET - timedelta(days=2)),
        "ended_on": str(ONSET - timedelta(days=4))})
    assert reversed_.status_code == 422 and "ended_on" in reversed_.json()["fields"]
    missing = post(officers["wuchang"], f"{URL}/{inv.pk}/exposures", {"kind": "workplace"})
    assert missing.status_code == 422 and "started_on" in missing.json()["fields"]
    stale = post(officers["wuchang"], f"{URL}/{inv.pk}/exposures", {
        **base, "version": 7, "started_on": str(ONSET - timedelta(days=2)),
        "ended_on": str(ONSET - timedelta(days=1))})
    assert stale.status_code == 409
    assert not Exposure.objects.exists() and not Setting.objects.exists()


def test_remove_source_complete_reopen(officers: dict[str, Any], inv: Investigation) -> None:
    exposure = svc.exposure_add(actor=officers["wuchang"], investigation=inv, data={
        "kind": "household", "started_on": ONSET - timedelta(days=14), "ended_on": ONSET})
    officer = officers["wuchang"]
    removed = post(officer, f"{URL}/{inv.pk}/exposures/{exposure.pk}/remove",
                   {"version": 2, "reason": "重复录入"})
    assert removed.status_code == 200 and removed.json()["exposures"] == []
    early = post(officer, f"{URL}/{inv.pk}/complete", {"version": 3})
    assert early.status_code == 422 and "source_status" in early.json()["fields"]
    source = post(officer, f"{URL}/{inv.pk}/source", {"version": 3,
                                                      "source_status": "known_contact"})
    assert source.status_code == 200 and source.json()["source_status"] == "known_contact"
    assert post(officer, f"{URL}/{inv.pk}/source", {
        "version": 3, "source_status": "unknown"}).status_code == 409
    done = post(officer, f"{URL}/{inv.pk}/complete", {"version": 4, "summary": "家庭聚集"})
    assert done.status_code == 200 and done.json()["completed_at"] is not None
    assert done.json()["investigator"] == "wuchang" and done.json()["summary"] == "家庭聚集"
    reopened = post(officer, f"{URL}/{inv.pk}/reopen", {"version": 5, "reason": "新线索"})
    assert reopened.status_code == 200 and reopened.json()["completed_at"] is None


def test_setting_register_is_idempotent(officers: dict[str, Any], inv: Investigation) -> None:
    payload = {"kind": "school", "label": "某小学三年级二班", "division_code": "420106",
               "source_key": "school:42"}
    first = post(officers["wuchang"], f"{URL}/settings", payload)
    assert first.status_code == 201
    again = post(officers["wuchang"], f"{URL}/settings", payload)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    home = post(officers["wuchang"], f"{URL}/settings", {
        "kind": "household", "division_code": "420106", "index_case_id": inv.case_id})
    assert home.status_code == 201 and home.json()["label"] == f"病例 {inv.case_id} 的家庭"
    bad = post(officers["wuchang"], f"{URL}/settings", {"kind": "school", "label": "x",
                                                        "division_code": "420100"})
    assert bad.status_code == 422 and "division_code" in bad.json()["fields"]
    assert post(officers["hongshan"], f"{URL}/settings", {
        "kind": "household", "division_code": "420106",
        "index_case_id": inv.case_id}).status_code == 404
