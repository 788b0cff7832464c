"""The investigation pages: list with filters, one investigation with the timeline data and its
forms (errors under the fields, versions), opening from a case, and the case page's link."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.core.models import AuditEvent
from shouwang.tracing.models import Exposure, Investigation, SourceStatus
from shouwang.tracing.services import investigations as svc
from shouwang.tracing.views.investigations import optional_url
from tests.tracing.cases import make_case

ONSET = date(2026, 3, 20)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def inv(officers: dict[str, Any]) -> Investigation:
    case = make_case("420106", onset=ONSET, name="李娜")
    return svc.investigation_open(actor=officers["wuchang"], case=case)[0]


def test_list_flags_unknown_sources_and_filters(officers: dict[str, Any],
                                                inv: Investigation) -> None:
    other = svc.investigation_open(actor=None, case=make_case("420106", onset=ONSET))[0]
    svc.investigation_set_source(actor=officers["wuchang"], investigation=other, version=1,
                                 source_status="unknown")
    client = _client(officers["wuchang"])
    page = client.get("/tracing/investigations/").content.decode()
    assert page.count('data-testid="investigation-row"') == 2
    assert page.count('data-testid="unknown-source-tag"') == 1
    assert "李娜" not in page  # a list shows case numbers, not persons
    only = client.get("/tracing/investigations/?source_status=unknown").content.decode()
    assert only.count('data-testid="investigation-row"') == 1
    assert client.get("/tracing/investigations/?state=done").status_code == 422
    assert client.get("/tracing/investigations/?follow_up=1").content.decode().count(
        'data-testid="investigation-row"') == 0
    sibling = _client(officers["hongshan"]).get("/tracing/investigations/").content.decode()
    assert 'data-testid="investigation-row"' not in sibling


def test_detail_shows_window_timeline_and_audits_the_read(officers: dict[str, Any],
                                                          inv: Investigation) -> None:
    svc.exposure_add(actor=officers["wuchang"], investigation=inv, data={
        "kind": "gathering", "setting_label": "某酒楼聚餐", "place_division_code": "420106",
        "started_on": ONSET - timedelta(days=5), "ended_on": ONSET - timedelta(days=5)})
    response = _client(officers["wuhan"]).get(f"/tracing/investigations/{inv.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "李娜" in html and "某酒楼聚餐" in html
    # The other parts' pages of the same case, where they exist.
    for name in ("case-contacts", "case-chain", "case-links"):
        url = optional_url(f"tracing:{name}", inv.case_id)
        assert not url or f'href="{url}"' in html
    island = re.search(r'<script id="investigation-timeline-data" type="application/json">'
                       r"(.*?)</script>", html, re.S)
    assert island is not None
    data = json.loads(island.group(1))
    assert data["window"] == [(ONSET - timedelta(days=14)).isoformat(), ONSET.isoformat()]
    assert data["exposures"][0]["start"] == (ONSET - timedelta(days=5)).isoformat()
    assert AuditEvent.objects.filter(action="read", object_type="tracing.investigation",
                                     object_id=str(inv.pk), actor_username="wuhan").exists()


def test_add_exposure_errors_under_fields_and_resend_refused(officers: dict[str, Any],
                                                             inv: Investigation) -> None:
    client = _client(officers["wuchang"])
    url = f"/tracing/investigations/{inv.pk}/exposures/"
    bad = client.post(url, {"version": 1, "kind": "workplace", "setting_label": "某车间",
                            "place_division_code": "420106",
                            "started_on": (ONSET - timedelta(days=20)).isoformat(),
                            "ended_on": (ONSET - timedelta(days=3)).isoformat()})
    assert bad.status_code == 422
    assert "开始日期须在暴露追溯期" in bad.content.decode()
    good = {"version": 1, "kind": "workplace", "setting_label": "某车间",
            "place_division_code": "420106", "started_on": (ONSET - timedelta(days=6)).isoformat(),
            "ended_on": (ONSET - timedelta(days=3)).isoformat()}
    assert client.post(url, good).status_code == 200
    assert client.post(url, good).status_code == 409  # the same form again: refused
    assert Exposure.objects.count() == 1


def test_bulk_opened_history_starts_with_the_system(officers: dict[str, Any]) -> None:
    case = make_case("420106", onset=ONSET)
    svc.investigations_open_bulk()
    inv = Investigation.objects.get(case=case)
    html = _client(officers["wuchang"]).get(f"/tracing/investigations/{inv.pk}/").content.decode()
    assert html.count('data-testid="history-entry"') == 1 and "系统自动开始流调" in html


def test_source_and_complete_forms(officers: dict[str, Any], inv: Investigation) -> None:
    client = _client(officers["wuchang"])
    base = f"/tracing/investigations/{inv.pk}"
    refused = client.post(f"{base}/complete/", {"version": 1, "summary": "x"})
    assert refused.status_code == 422
    assert 'data-testid="error-complete-source"' in refused.content.decode()
    assert client.post(f"{base}/source/", {"version": 1, "source_status": "imported"}
                       ).status_code == 200
    done = client.post(f"{base}/complete/", {"version": 2, "summary": "输入病例"})
    assert done.status_code == 200 and 'data-testid="completed-tag"' in done.content.decode()
    inv.refresh_from_db()
    assert inv.source_status == SourceStatus.IMPORTED and inv.completed_at is not None
    assert _client(officers["grid"]).post(f"{base}/reopen/", {
        "version": 3, "reason": "x"}).status_code == 403


def test_open_from_the_case(officers: dict[str, Any]) -> None:
    case = make_case("420106", onset=ONSET, classification="suspected")
    client = _client(officers["wuchang"])
    url = f"/tracing/cases/{case.pk}/investigation/"
    offer = client.get(url)
    assert offer.status_code == 200 and 'data-testid="investigation-open"' in offer.content.decode()
    opened = client.post(url)
    inv = Investigation.objects.get(case=case)
    assert opened.status_code == 302 and opened["Location"] == (
        f"/tracing/investigations/{inv.pk}/")
    assert client.get(url)["Location"] == f"/tracing/investigations/{inv.pk}/"
    assert client.post(url).status_code == 302 and Investigation.objects.count() == 1
    assert _client(officers["hongshan"]).get(url).status_code == 404
    assert _client(officers["grid"]).post(url).status_code == 403


def test_case_page_links_to_its_investigation(officers: dict[str, Any], make_user: Any) -> None:
    case = make_case("420106", onset=ONSET)
    html = _client(officers["wuchang"]).get(f"/surveillance/cases/{case.pk}/").content.decode()
    assert f'href="/tracing/cases/{case.pk}/investigation/"' in html
    lab = make_user(Role.LABORATORY, "420106", username="lab")  # no tracing.read
    html = _client(lab).get(f"/surveillance/cases/{case.pk}/").content.decode()
    assert "病例报告" in html and "/investigation/" not in html


def test_navigation_has_the_entries(officers: dict[str, Any]) -> None:
    html = _client(officers["grid"]).get("/tracing/investigations/").content.decode()
    assert 'href="/tracing/investigations/"' in html and 'href="/tracing/clusters/"' in html
