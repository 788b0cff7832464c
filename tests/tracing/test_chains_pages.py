"""The chain pages: statistics with the key indicator, a case's chain with pseudonyms and its
data island, a case's infector panel with its actions (errors re-render, change nothing),
exports and the navigation entry."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.tracing.models import TransmissionLink
from shouwang.tracing.services.investigations import investigation_open
from shouwang.tracing.services.links import link_confirm
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import make_contact

pytestmark = pytest.mark.django_db


def _day(n: int) -> date:
    return timezone.localdate() - timedelta(days=60) + timedelta(days=n)


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_statistics_page_puts_the_follow_up_share_first(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    index = make_case("420106", onset=_day(0))
    found = make_case("420106", onset=_day(5))
    make_contact(index, w, seq=3, id_number=found.id_number)
    investigation_open(actor=w, case=found)
    investigation_open(actor=w, case=make_case("420106", onset=_day(6)))
    link_confirm(actor=w, infector=index, infectee=found)
    page = client(w).get("/tracing/chains/", {"start": _day(-30).isoformat(),
                                              "end": timezone.localdate().isoformat()})
    html = page.content.decode()
    assert page.status_code == 200
    # The control indicator is the first figure of the page.
    kpis = html.index('data-testid="chains-kpis"')
    assert html.index('data-testid="kpi-', kpis) == html.index('data-testid="kpi-follow-up"')
    assert re.search(r'<span class="value">50%</span>', html)
    assert "1 / 2" in html
    data = json.loads(re.search(r'id="chain-stats-data" type="application/json">(.*?)</script>',
                                html, re.S).group(1))   # type: ignore[union-attr]
    assert data["sizes"] == {"1": 1, "2": 1}
    assert 'data-testid="largest-chains"' in html and f"#{index.pk}" in html
    assert 'href="/tracing/chains/"' in client(w).get("/").content.decode()


def test_statistics_page_bad_filters_are_422(officers: dict[str, Any]) -> None:
    page = client(officers["wuchang"]).get("/tracing/chains/", {"start": "2026-02-30",
                                                                "division": "420111"})
    assert page.status_code == 422
    assert "日期格式应为 YYYY-MM-DD" in page.content.decode()
    page = client(officers["wuchang"]).get("/tracing/chains/", {"division": "420111"})
    assert page.status_code == 422 and "不在您的辖区内" in page.content.decode()


def test_chain_page_pseudonymises_and_carries_its_layout(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0), name="张三明")
    b = make_case("420111", onset=_day(4), name="李四", age_years=34)
    link_confirm(actor=officers["hongshan"], infector=a, infectee=b)
    page = client(officers["wuchang"]).get(f"/tracing/cases/{a.pk}/chain/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "李四" not in html and "LS · 30–39 岁 · 洪山区" in html
    assert 'data-testid="chain-pseudonym"' in html
    data = json.loads(re.search(r'id="chain-data" type="application/json">(.*?)</script>',
                                html, re.S).group(1))   # type: ignore[union-attr]
    assert set(data["nodes"]["id"]) == {a.pk, b.pk}
    assert data["confirmed"] == [[a.pk, b.pk]]
    assert data["labels"]["confirmed"] == "确认的传播关系"
    assert client(officers["furong"]).get(f"/tracing/cases/{a.pk}/chain/").status_code == 404
    assert client(officers["grid"]).get(f"/tracing/cases/{a.pk}/chain/").status_code == 200


def test_infector_panel_flow(officers: dict[str, Any]) -> None:
    w = officers["wuchang"]
    x = make_case("420106", onset=_day(20))
    near = make_case("420106", onset=_day(15))
    url = f"/tracing/cases/{x.pk}/infector/"
    c = client(w)
    assert 'data-testid="no-proposals"' in c.get(url).content.decode()
    assert c.post(url, {"action": "propose"}).status_code == 302
    html = c.get(url).content.decode()
    assert html.count('data-testid="proposal-row"') == 1 and "100%" in html
    link = TransmissionLink.objects.get(infectee=x)
    assert c.post(url, {"action": "confirm", "link_id": link.pk}).status_code == 302
    assert TransmissionLink.objects.get(pk=link.pk).status == "confirmed"
    # Naming another infector without replacing: 422, the page says why, nothing changes.
    other = make_case("420106", onset=_day(16))
    bad = c.post(url, {"action": "confirm_pair", "infector_id": str(other.pk)})
    assert bad.status_code == 422 and "替换" in bad.content.decode()
    assert TransmissionLink.objects.filter(infectee=x, status="confirmed").get().infector_id \
        == near.pk
    bad = c.post(url, {"action": "confirm_pair", "infector_id": "abc"})
    assert bad.status_code == 422 and 'data-field="infector_id"' in bad.content.decode()
    ok = c.post(url, {"action": "confirm_pair", "infector_id": f"#{other.pk}", "replace": "1",
                      "reason": "补充调查"})
    assert ok.status_code == 302
    assert TransmissionLink.objects.get(infectee=x, status="confirmed").infector_id == other.pk
    assert client(officers["grid"]).post(url, {"action": "propose"}).status_code == 403
    assert client(officers["hongshan"]).get(url).status_code == 404
    assert AuditEvent.objects.filter(object_type="tracing.case_links").exists()


def test_export_downloads(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=_day(0))
    b = make_case("420106", onset=_day(5))
    link_confirm(actor=officers["wuchang"], infector=a, infectee=b)
    c = client(officers["wuchang"])
    response = c.get(f"/tracing/cases/{a.pk}/chain/export/", {"format": "graphml"})
    assert response.status_code == 200 and b"<graphml" in response.content
    period = c.get("/tracing/chains/export/", {"format": "json", "disease": "covid19",
                                               "start": _day(0).isoformat(),
                                               "end": _day(10).isoformat()})
    assert len(json.loads(period.content)["nodes"]) == 2
    bad = client(officers["grid"]).get(f"/tracing/cases/{a.pk}/chain/export/",
                                       {"personal": "full"})
    assert bad.status_code == 422
