"""/api/v1/tracing/clusters and the cluster pages: list, detail with members pseudonymised
outside the reader's jurisdiction, visibility through a member, detection on demand."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from shouwang.surveillance.models import Disease
from shouwang.tracing.models import Cluster
from shouwang.tracing.services import investigations as svc
from shouwang.tracing.services.clusters import clusters_detect
from shouwang.tracing.services.settings_registry import setting_register
from tests.accounts.helpers import bearer
from tests.tracing.cases import make_case

URL = "/api/v1/tracing/clusters"
DAY0 = date(2026, 3, 1)
AS_OF = date(2026, 3, 20)


@pytest.fixture
def cluster(officers: dict[str, Any]) -> Cluster:
    """A workplace in 武昌区 with two workers living there and one living in 洪山区."""
    officer = officers["wuhan"]
    setting, _ = setting_register(actor=officer, kind="workplace", label="某物流公司分拣车间",
                                  division_code="420106")
    for day, code, name in ((0, "420106", "张伟"), (3, "420106", "王芳"), (6, "420111", "刘洋")):
        case = make_case(code, onset=DAY0 + timedelta(days=day), name=name, age_years=34)
        inv = svc.investigation_open(actor=officer, case=case)[0]
        svc.exposure_add(actor=officer, investigation=inv, data={
            "kind": "workplace", "setting_id": setting.pk,
            "started_on": DAY0 - timedelta(days=3), "ended_on": DAY0 - timedelta(days=1)})
    clusters_detect(disease=Disease.objects.get(code="covid19"), as_of=AS_OF)
    return Cluster.objects.get()


def _api(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


def _page(user: Any, url: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(url)


def test_api_list_and_detail(officers: dict[str, Any], cluster: Cluster) -> None:
    body = _api(officers["wuchang"], URL).json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["setting_kind"], item["case_count"], item["status"]) == ("workplace", 3, "open")
    assert item["division_name"] == "武昌区"
    assert _api(officers["wuchang"], URL, kind="school").json()["total"] == 0
    assert _api(officers["wuchang"], URL, status="gone").status_code == 422
    detail = _api(officers["wuchang"], f"{URL}/{cluster.pk}").json()
    labels = [(m["label"], m["pseudonymised"], m["case_id"] is None) for m in detail["members"]]
    assert labels[:2] == [("张伟", False, False), ("王芳", False, False)]
    # The 洪山区 worker, seen from 武昌区: initials, age band, county; no case id.
    assert labels[2] == ("LY · 30–39 岁 · 洪山区", True, True)
    assert _api(officers["furong"], f"{URL}/{cluster.pk}").status_code == 404


def test_a_member_county_sees_the_cluster_pseudonymised(officers: dict[str, Any],
                                                         cluster: Cluster) -> None:
    detail = _api(officers["hongshan"], f"{URL}/{cluster.pk}").json()
    assert [m["pseudonymised"] for m in detail["members"]] == [True, True, False]
    assert detail["members"][2]["label"] == "刘洋"
    assert "张伟" not in json.dumps(detail, ensure_ascii=False)


def _post(user: Any, url: str, payload: dict[str, Any]) -> Any:
    return Client().post(url, data=payload, content_type="application/json",
                         HTTP_AUTHORIZATION=bearer(user)["HTTP_AUTHORIZATION"])


def test_detect_on_demand(officers: dict[str, Any], cluster: Cluster) -> None:
    response = _post(officers["wuchang"], f"{URL}/detect",
                     {"disease": "covid19", "as_of": str(AS_OF)})
    assert response.status_code == 200 and response.json()["unchanged"] == 1
    bad = _post(officers["wuchang"], f"{URL}/detect", {"disease": "nope"})
    assert bad.status_code == 422 and "disease" in bad.json()["fields"]
    assert _post(officers["grid"], f"{URL}/detect", {"disease": "covid19"}).status_code == 403


def test_list_page_has_charts_and_rows(officers: dict[str, Any], cluster: Cluster) -> None:
    html = _page(officers["wuchang"], "/tracing/clusters/").content.decode()
    assert html.count('data-testid="cluster-row"') == 1
    island = re.search(r'<script id="cluster-chart-data" type="application/json">(.*?)</script>',
                       html, re.S)
    assert island is not None
    data = json.loads(island.group(1))
    assert data["kinds"] == ["工作单位"] and data["counts"] == [1]
    assert data["spans"][0]["start"] == DAY0.isoformat()
    assert _page(officers["wuchang"], "/tracing/clusters/?kind=spaceship").status_code == 422


def test_detail_page_members_and_curve(officers: dict[str, Any], cluster: Cluster) -> None:
    response = _page(officers["wuchang"], f"/tracing/clusters/{cluster.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "某物流公司分拣车间" in html and "张伟" in html and "刘洋" not in html
    assert html.count('data-testid="member-pseudonym"') == 1
    assert html.count('data-testid="member-investigation"') == 2
    island = re.search(r'<script id="cluster-curve-data" type="application/json">(.*?)</script>',
                       html, re.S)
    assert island is not None
    members = json.loads(island.group(1))["members"]
    assert [m["generation"] for m in members] == [1, 1, 1]
    assert "刘洋" not in island.group(1)


def test_detect_button(officers: dict[str, Any], cluster: Cluster) -> None:
    client = Client()
    client.force_login(officers["wuchang"])
    response = client.post("/tracing/clusters/detect/", {"disease": "covid19"}, follow=True)
    assert response.status_code == 200
    assert "识别出 1 起聚集性疫情" in response.content.decode()
