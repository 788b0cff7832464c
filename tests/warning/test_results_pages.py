"""The R_t, nowcast/forecast and cluster pages: data islands, tables, empty states, errors,
scoping, English."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import User
from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED, Role
from shouwang.warning.models import Method, SeriesResult
from tests.factories import make_user
from tests.warning.results_factories import (
    COUNTIES,
    DAYS,
    make_results,
    make_run,
    outbreak,
    reported_by,
    reports,
)

DAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def results(divisions: None) -> None:
    make_results(DAY)


def user(role: str, code: str) -> User:
    name = f"{role}-{code}"
    return User.objects.filter(username=name).first() or make_user(role, code)


def logged_in(who: User) -> Client:
    """A client past login and, for national and provincial officers, the second factor."""
    client = Client()
    client.force_login(who)
    if who.role in SECOND_FACTOR_REQUIRED:
        device, _ = TOTPDevice.objects.get_or_create(user=who, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def page(who: User, url: str, **params: str) -> tuple[int, str]:
    response = logged_in(who).get(url, params)
    return response.status_code, response.content.decode()


def island(html: str, name: str) -> Any:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, f"no data island {name}"
    return json.loads(found.group(1))


def city() -> User:
    return user(Role.CITY_OFFICER, "420100")


def test_rt_page_has_the_band_the_counts_and_the_children(results: None) -> None:
    status, html = page(city(), "/warning/rt/")
    assert status == 200
    chart = island(html, "rt-data")
    assert len(chart["t"]) == 60 and chart["t"][-1] == "2026-05-20"
    assert len(chart["mean"]) == len(chart["lower"]) == len(chart["upper"]) == 60
    assert all(lo <= m <= hi for lo, m, hi in zip(chart["lower"], chart["mean"], chart["upper"],
                                                  strict=True))
    # The counts under the chart: the city's two counties summed, from the window's first day.
    counts = chart["counts"]
    assert counts["days"][0] == "2026-03-16" and counts["days"][-1] == "2026-05-20"
    both = sum(reported_by(*reports(outbreak(*COUNTIES[code], seed=i), seed=100 + i), DAYS)
               for i, code in enumerate(["420106", "420111"]))
    assert counts["values"] == both[-len(counts["days"]):].tolist()
    assert "区间高于 1：疫情在增长" in html or "区间跨过 1" in html
    # The children: a table coloured by class and the map's rows.
    table = html[html.index('data-testid="rt-children"'):]
    assert 'href="/warning/rt/420106/?disease=covid19"' in table
    assert re.search(r'<td class="rt-value rt-bin-[4-6]">1\.\d\d</td>', table)  # 武昌区, growing
    assert re.search(r'<td class="rt-value rt-bin-[0-2]">0\.\d\d</td>', table)  # 洪山区, falling
    rt_map = island(html, "rt-map-data")
    assert rt_map["geojson"] == "/static/geo/counties.geojson" and rt_map["prefix"] == "4201"
    assert [r["code"] for r in rt_map["rows"]] == ["420106", "420111"]
    assert len(rt_map["colours"]) == 7
    assert "/geo/vendor/plotly.min.js" in html and "warning/rt.js" in html
    assert "<script>" not in html and "style=" not in html  # nothing for the CSP to block


def test_nation_map_draws_provinces(results: None) -> None:
    _, html = page(user(Role.NATIONAL_OFFICER, "000000"), "/warning/rt/")
    rt_map = island(html, "rt-map-data")
    assert rt_map["geojson"] == "/static/geo/provinces.geojson" and rt_map["prefix"] == ""
    assert [r["prefix"] for r in rt_map["rows"]] == ["42", "43"]


def test_rt_page_of_a_child_and_its_breadcrumb(results: None) -> None:
    status, html = page(city(), "/warning/rt/420106/", disease="covid19")
    assert status == 200
    assert 'data-testid="results-division">武昌区 420106' in html
    start = html.index('data-testid="results-path"')
    crumbs = html[start:html.index("</nav>", start)]
    # The city is a link; the province above it is not the city officer's to open.
    assert 'href="/warning/rt/420100/?disease=covid19">武汉市</a>' in crumbs
    assert "湖北省" not in crumbs and "<strong>武昌区</strong>" in crumbs
    assert "本区划" in html


def test_rt_page_scoping_and_capability(results: None) -> None:
    assert page(user(Role.COUNTY_OFFICER, "420111"), "/warning/rt/420106/")[0] == 404
    assert page(city(), "/warning/rt/430100/")[0] == 404
    assert page(city(), "/warning/rt/nonsense/")[0] == 404
    assert page(user(Role.LABORATORY, "420106"), "/warning/rt/")[0] == 403
    assert Client().get("/warning/rt/").status_code == 302  # to the login page


def test_empty_states(divisions: None) -> None:
    status, html = page(city(), "/warning/rt/", disease="covid19")
    assert status == 200 and 'data-testid="results-empty"' in html
    assert "还没有预警计算结果——请运行 <code>shouwang run-jobs early-warning</code>" in html
    assert "rt-data" not in html and "plotly" not in html
    for url in ("/warning/forecast/", "/warning/clusters/"):
        assert 'data-testid="results-empty"' in page(city(), url, disease="covid19")[1]
    make_run(DAY)  # a run, but nothing for this division
    _, html = page(city(), "/warning/rt/", disease="covid19")
    assert 'data-testid="rt-empty"' in html and 'data-testid="rt-children-empty"' in html
    _, html = page(city(), "/warning/forecast/", disease="covid19")
    assert 'data-testid="forecast-empty"' in html
    _, html = page(city(), "/warning/clusters/", disease="covid19")
    assert 'data-testid="clusters-empty"' in html
    _, html = page(city(), "/warning/rt/", disease="covid19", day="2026-05-01")
    assert "2026-05-01 没有已完成的预警计算" in html


def test_bad_filters_are_shown_by_their_field(results: None) -> None:
    status, html = page(city(), "/warning/rt/", disease="nope", day="2026-05-45")
    assert status == 200
    assert '<span class="error">未知病种。</span>' in html
    assert '<span class="error">日期格式应为 YYYY-MM-DD。</span>' in html
    assert "rt-data" not in html


def test_the_default_disease_is_that_of_the_latest_run(divisions: None) -> None:
    make_run(date(2026, 5, 19), disease="influenza")
    _, html = page(city(), "/warning/rt/")
    assert '<option value="influenza" selected>' in html


def test_forecast_page(results: None) -> None:
    status, html = page(city(), "/warning/forecast/")
    assert status == 200
    chart = island(html, "forecast-data")
    assert chart["today"] == "2026-05-20"
    assert len(chart["counts"]["days"]) == 60 and chart["counts"]["days"][-1] == "2026-05-20"
    forecast = chart["forecast"]
    assert forecast["t"][0] == "2026-05-21" and len(forecast["t"]) == 14
    for i in range(14):
        assert forecast["lower"][i] <= forecast["lower_50"][i] <= forecast["median"][i]
        assert forecast["median"][i] <= forecast["upper_50"][i] <= forecast["upper"][i]
    # Only the days the nowcast corrects are drawn, and they end on the run's day.
    nowcast = chart["nowcast"]
    assert 1 < len(nowcast["t"]) < 28 and nowcast["t"][-1] == "2026-05-20"
    assert nowcast["upper"][-1] > nowcast["observed"][-1]
    # What the run saw reported is what the counts hold (nothing was reported since).
    assert nowcast["observed"] == chart["counts"]["values"][-len(nowcast["t"]):]
    assert 'data-testid="nowcast-table"' in html and 'data-testid="forecast-table"' in html
    assert chart["labels"]["today"] == "数据截止 2026-05-20"


def test_forecast_page_without_a_forecast(divisions: None) -> None:
    latest = make_run(DAY)
    SeriesResult.objects.create(
        run=latest, method=Method.NOWCAST, division_code="420100", level="prefecture",
        data={"t": ["2026-05-19", "2026-05-20"], "observed": [3, 1], "nowcast": [3.5, 4.0],
              "median": [3, 4], "lower": [3, 1], "upper": [5, 9]},
        latest=4, latest_lower=1, latest_upper=9)
    _, html = page(city(), "/warning/forecast/")
    chart = island(html, "forecast-data")
    assert chart["forecast"] is None and chart["nowcast"]["t"] == ["2026-05-19", "2026-05-20"]
    assert 'data-testid="forecast-none"' in html


def test_cluster_page(results: None) -> None:
    status, html = page(user(Role.PROVINCIAL_OFFICER, "420000"), "/warning/clusters/")
    assert status == 200
    data = island(html, "cluster-data")
    assert data["prefix"] == "42" and [c["rank"] for c in data["clusters"]] == [1, 2]
    first = data["clusters"][0]
    assert first["members"] == ["420106", "420111"] and first["radiusKm"] == 9.5
    assert first["centre"]["name"] == "武昌区"
    assert first["centre"]["lon"] == pytest.approx(114.3384)
    table = html[html.index('data-testid="cluster-table"'):]
    assert table.count("<tr data-rank=") == 2
    assert "武昌区、洪山区" in table and "2026-05-16 – 2026-05-20" in table
    assert "40 / 14.5" in table and "<td>0.001</td>" in table and "0.210" in table
    # A county's map shows its city around it; the sibling county sees no cluster.
    _, html = page(user(Role.COUNTY_OFFICER, "420106"), "/warning/clusters/")
    assert island(html, "cluster-data")["prefix"] == "4201"
    _, html = page(user(Role.COUNTY_OFFICER, "420111"), "/warning/clusters/")
    assert 'data-testid="clusters-empty"' in html


def test_cluster_page_shows_member_cases_and_belongs_to_the_county_with_most(
        results: None) -> None:
    from shouwang.warning.models import ScanCluster

    # The circle is centred on 武昌区, but the cases are in 洪山区: the cluster (and its alert)
    # is 洪山区's.
    ScanCluster.objects.filter(rank=1, centre_code="420106").update(
        focus_code="420111", member_counts=[0, 40])
    _, html = page(user(Role.COUNTY_OFFICER, "420111"), "/warning/clusters/")
    table = html[html.index('data-testid="cluster-table"'):]
    assert "武昌区（0 例）、洪山区（40 例）" in table
    _, html = page(user(Role.COUNTY_OFFICER, "420106"), "/warning/clusters/")
    assert 'data-testid="clusters-empty"' in html
    text = logged_in(user(Role.COUNTY_OFFICER, "420111")).get(
        "/warning/clusters/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "(0 cases)" in text and "(40 cases)" in text


def test_cluster_page_of_a_chosen_division(results: None) -> None:
    nation = user(Role.NATIONAL_OFFICER, "000000")
    _, html = page(nation, "/warning/clusters/430000/")
    assert [c["rank"] for c in island(html, "cluster-data")["clusters"]] == [3]
    assert page(city(), "/warning/clusters/430000/")[0] == 404


def test_pages_in_english(results: None) -> None:
    client = logged_in(city())
    with translation.override("en"):
        html = client.get("/warning/forecast/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Nowcast and forecast" in html and "Data up to 2026-05-20" in html
        html = client.get("/warning/rt/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Latest Rt of the divisions below" in html and "Wuhan Shi" in html
        html = client.get("/warning/clusters/", {"disease": "influenza"},
                          HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "No early-warning run yet for Influenza" in html


def _queries(who: User, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(who)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_children_or_clusters(results: None) -> None:
    from shouwang.geo.models import Division
    from shouwang.warning.selectors.results import run_latest
    from tests.warning.results_factories import add_cluster, add_rt

    officer = city()
    before = (_queries(officer, "/warning/rt/"), _queries(officer, "/warning/clusters/"))
    latest = run_latest(disease="covid19")
    assert latest is not None
    for i in range(20):
        code = f"4201{50 + i:02d}"
        Division(code=code, name=f"测试区{i}", level="county", parent_id="420100").save()
        add_rt(latest, code, "county", outbreak(0.01 * (i % 5), 0.0, seed=i))
        add_cluster(latest, 10 + i, code, [code, "420106"])
    _, html = page(officer, "/warning/rt/")
    assert len(island(html, "rt-map-data")["rows"]) == 22
    assert len(island(page(officer, "/warning/clusters/")[1], "cluster-data")["clusters"]) == 21
    assert (_queries(officer, "/warning/rt/"), _queries(officer, "/warning/clusters/")) == before


def test_english_pages_have_no_untranslated_chinese(results: None) -> None:
    client = logged_in(city())
    with translation.override("en"):
        for url in ("/warning/rt/", "/warning/forecast/", "/warning/clusters/",
                    "/warning/rt/?day=2026-01-01", "/warning/rt/?disease=x&day=bad"):
            html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
            main = html[html.index("<main"):]
            # The data islands included: the charts' legends and hover labels come from them.
            texts = re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), main)
            assert not re.findall(r"[\u4e00-\u9fff]+", texts), url
