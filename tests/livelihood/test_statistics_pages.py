"""The statistics pages and API (views/statistics.py, api/statistics.py): the numbers of
statistics_data.py as shown, the period and level pickers, drill-down, the map's data, the
exit-standards report and its CSV, 404 outside the jurisdiction."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from shouwang.accounts.tokens import api_token_create
from shouwang.core.models import AuditEvent
from tests.livelihood.statistics_data import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(cadres: dict[str, Any]) -> dict[str, Any]:
    return build(cadres)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: Any) -> Client:
    _, raw = api_token_create(actor=user, user=user, name="stats")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_page_shows_the_areas_and_links_down(cadres, data):
    response = _client(cadres["hubei"]).get(
        reverse("livelihood:statistics-area", args=["420100"]), {"year": "2025"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="stat-row" data-code="420111"' in html
    assert 'data-testid="stat-row" data-code="420106"' in html
    assert reverse("livelihood:statistics-area", args=["420111"]) + "?year=2025" in html
    assert "80.0%" in html  # 洪山's incidence, 8 of 10
    # Crumbs link only inside the jurisdiction: 湖北省, not the nation.
    assert reverse("livelihood:statistics-area", args=["420000"]) + "?year=2025" in html
    assert 'href="' + reverse("livelihood:statistics-area", args=["000000"]) not in html
    rows = response.context["rows"]
    hongshan = next(r for r in rows if r["key"] == "420111")
    assert (hongshan["monitored"], hongshan["identified"], hongshan["in_time"],
            hongshan["assisted"], hongshan["eliminated"]) == (3, 3, 1, 2, 1)
    chart = response.context["chart"]
    assert dict(zip(chart["areas"], chart["monitored"], strict=True)) == {
        "武昌区": 0, "洪山区": 3}
    assert dict(zip(chart["areas"], chart["assisted"], strict=True))["洪山区"] == 2
    assert sum(chart["identified_m"]) == 3 and len(chart["months"]) == 12
    areas = response.context["map"]["data"]["areas"]
    assert areas["420111"]["incidence"] == pytest.approx(0.8)
    assert areas["420111"]["monitored_share"] == pytest.approx(3 / 6)
    assert response.context["map"]["config"]["prefix"] == "4201"


def test_default_is_the_readers_division_and_township_map_says_so(cadres, data):
    response = _client(cadres["hongshan"]).get(reverse("livelihood:statistics"),
                                               {"year": "2025"})
    assert response.status_code == 200
    assert response.context["stats"].parent.code == "420111"
    assert response.context["stats"].level == "township"
    config = response.context["map"]["config"]
    assert config["prefix"] == "420111" and config["note"]
    assert 'data-testid="map-note"' in response.content.decode()
    areas = response.context["map"]["data"]["areas"]
    assert list(areas) == ["420111"] and areas["420111"]["households"] == 6


def test_level_and_period_pickers(cadres, data):
    client = _client(cadres["hubei"])
    response = client.get(reverse("livelihood:statistics-area", args=["420100"]),
                          {"from": "2025-11-01", "to": "2025-11-30", "level": "village"})
    assert response.context["stats"].level == "village"
    assert response.context["total"]["identified"] == 1  # F2
    bad = client.get(reverse("livelihood:statistics-area", args=["420100"]),
                     {"from": "2025-12-01", "to": "2025-11-01", "level": "nation"})
    assert bad.status_code == 200
    html = bad.content.decode()
    assert 'data-testid="error-from"' in html and 'data-testid="error-level"' in html


def test_outside_the_jurisdiction_is_404(cadres, data):
    client = _client(cadres["hongshan"])
    for name in ("livelihood:statistics-area", "livelihood:statistics-exit-area",
                 "livelihood:statistics-exit-csv"):
        assert client.get(reverse(name, args=["420106"])).status_code == 404
        assert client.get(reverse(name, args=["420100"])).status_code == 404
        assert client.get(reverse(name, args=["abc"])).status_code == 404
    api = _api(cadres["hongshan"])
    assert api.get(reverse("api:livelihood_statistics"),
                   {"division": "420106"}).status_code == 404
    assert api.get(reverse("api:livelihood_statistics_exit"),
                   {"division": "420100"}).status_code == 404


def test_api_statistics(cadres, data):
    response = _api(cadres["wuhan"]).get(reverse("api:livelihood_statistics"),
                                        {"from": "2025-01-01", "to": "2025-12-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["division"], body["level"], body["from"], body["income_year"]) == (
        "420100", "county", "2025-01-01", 2025)
    areas = {a["key"]: a for a in body["areas"]}
    hs = areas["420111"]
    assert (hs["households"], hs["population"], hs["monitored"], hs["identified"],
            hs["from_signals"], hs["in_time"], hs["in_time_rate"]) == (6, 16, 3, 3, 2, 1, 0.5)
    assert (hs["assisted"], hs["caseload"], hs["eliminated"], hs["relapse_rate"],
            hs["repeat_rate"]) == (2, 4, 1, 1.0, 0.5)
    assert hs["incidence"] == pytest.approx(0.8)
    assert body["total"]["population"] == 18
    assert [m["identified"] for m in body["monthly"]][1:3] == [1, 1]
    bad = _api(cadres["wuhan"]).get(reverse("api:livelihood_statistics"),
                                    {"from": "2025-12-01", "to": "2025-01-01"})
    assert bad.status_code == 422 and "from" in json.dumps(bad.json())


def test_api_exit_report(cadres, data):
    response = _api(cadres["hubei"]).get(reverse("api:livelihood_statistics_exit"),
                                        {"division": "420100", "year": 2025})
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["western_provinces"]) == 12
    counties = {r["code"]: r for r in body["counties"]}
    assert counties["420111"]["status"] == "fails" and counties["420106"]["status"] == "meets"
    villages = {r["code"]: r for r in body["villages"]}
    assert villages["420111001002"]["status"] == "no_data"
    assert villages["420111001002"]["incidence"] is None


def test_exit_report_page_and_csv(cadres, data):
    client = _client(cadres["hubei"])
    page = client.get(reverse("livelihood:statistics-exit-area", args=["420100"]),
                      {"year": "2025"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-code="420111001002" data-status="no_data"' in html
    assert 'data-code="420106" data-status="meets"' in html
    assert "贵州省" in html and "新疆维吾尔自治区" in html  # the western provinces named
    response = client.get(reverse("livelihood:statistics-exit-csv", args=["420100"]),
                          {"year": "2025"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][1] == "区划代码 code" and rows[0][-1] == "是否达标 status"
    by_code = {r[1]: r for r in rows[1:]}
    assert by_code["420111"][9] == "0.800000" and by_code["420111"][10] == "未达标 fails"
    assert by_code["420111001002"][9] == "" and by_code["420111001002"][10] == "无数据 no_data"
    assert by_code["420106"][10] == "达标 meets"
    assert AuditEvent.objects.filter(object_type="livelihood.exitreport",
                                     object_id="420100").count() == 1


def test_navigation_entry(cadres):
    response = _client(cadres["officer"]).get(reverse("livelihood:statistics"))
    assert response.status_code == 200
    assert reverse("livelihood:statistics") in response.content.decode()


def test_english_page(cadres, data):
    client = _client(cadres["hubei"])
    response = client.get(reverse("livelihood:statistics-area", args=["420100"]),
                          {"year": "2025"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = response.context["rows"]
    assert {r["label"] for r in rows} >= {"Hongshan Qu", "Wuchang Qu"}
    assert "Hubei Sheng" in response.content.decode()  # the crumbs
    from shouwang.geo.models import Division, Level

    Division.objects.create(code="520000", name="贵州省", name_en="Guizhou Sheng",
                            level=Level.PROVINCE, parent_id="000000")
    report = client.get(reverse("livelihood:statistics-exit-area", args=["420100"]),
                        HTTP_ACCEPT_LANGUAGE="en")
    assert "Guizhou Sheng" in report.context["western"]
    assert "新疆维吾尔自治区" in report.context["western"]  # not in this division table


def test_the_nation_sees_provinces_on_a_province_map(cadres, data):
    from tests.factories import make_user
    from tests.risk.test_levels_pages import logged_in

    nation = make_user("national_officer", "000000", username="lh-stat-nation")
    response = logged_in(nation).get(reverse("livelihood:statistics"), {"year": "2025"})
    assert response.status_code == 200
    stats = response.context["stats"]
    assert (stats.parent.code, stats.level) == ("000000", "province")
    rows = {r.key: r for r in stats.rows}
    assert rows["42"].households == 7 and rows["43"].households == 0
    config = response.context["map"]["config"]
    assert config["geojson"].endswith("geo/provinces.geojson") and config["prefix"] == ""
    assert response.context["map"]["data"]["areas"]["420000"]["households"] == 7


def test_a_townships_map_is_its_county_as_far_as_the_reader_sees(cadres, data):
    response = _client(cadres["luonan"]).get(reverse("livelihood:statistics"), {"year": "2025"})
    assert response.context["stats"].level == "village"
    config = response.context["map"]["config"]
    assert config["prefix"] == "420111" and config["note"]
    areas = response.context["map"]["data"]["areas"]
    assert list(areas) == ["420111"] and areas["420111"]["households"] == 5
