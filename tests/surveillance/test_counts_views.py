"""The epidemic-curve page: chart data island, table, empty state, errors, scoping, escaping."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.geo.models import Division
from shouwang.surveillance.services import cases as svc
from shouwang.surveillance.services.counts import daily_counts_rebuild
from tests.surveillance.cases_data import case_data, officer, resident_id

URL = "/surveillance/curve/"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = {"since": "2026-05-01", "until": "2026-05-07", "disease": "covid19"}


@pytest.fixture
def wuchang(divisions: None) -> Any:
    user = officer("420106")
    at = datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI)
    for seq, (cls, onset) in enumerate([("confirmed", date(2026, 5, 3)),
                                        ("suspected", date(2026, 5, 5))], start=1):
        svc.case_report_submit(actor=user, data=case_data(
            id_number=resident_id("420106", "19900101", f"{seq:03d}"), classification=cls,
            onset_date=onset, diagnosed_at=at, reported_at=at))
    daily_counts_rebuild()
    return user


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_county_officer_sees_chart_data_and_table(wuchang: Any) -> None:
    response = client_for(wuchang).get(URL, PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    island = re.search(r'<script id="epicurve-data" type="application/json">(.*?)</script>',
                       html, re.S)
    assert island is not None
    chart = json.loads(island.group(1))
    assert len(chart["days"]) == 7
    by_key = {s["key"]: s["counts"] for s in chart["series"]}
    assert by_key["confirmed"] == [0, 0, 1, 0, 0, 0, 0]
    assert by_key["suspected"] == [0, 0, 0, 0, 1, 0, 0]
    assert 'data-testid="curve-table"' in html and "2026-05-04" in html  # zero days listed
    assert "/geo/vendor/plotly.min.js" in html and "surveillance/epicurve.js" in html
    assert "<script>" not in html  # nothing inline for the CSP to block


def test_empty_state_when_no_cases(wuchang: Any) -> None:
    html = client_for(wuchang).get(URL, {**PERIOD, "since": "2026-01-01",
                                         "until": "2026-01-31"}).content.decode()
    assert 'data-testid="curve-empty"' in html and "epicurve-data" not in html


def test_opened_on_a_quiet_period_it_shows_the_days_up_to_the_last_case(wuchang: Any) -> None:
    html = client_for(wuchang).get(URL, {"disease": "covid19"}).content.decode()
    assert 'data-testid="curve-shifted"' in html and "2026-05-05" in html
    island = re.search(r'<script id="epicurve-data" type="application/json">(.*?)</script>',
                       html, re.S)
    assert island is not None
    chart = json.loads(island.group(1))
    assert chart["days"][-1] == "2026-05-05" and len(chart["days"]) == 60
    # Dates the user chose are kept, even when nothing falls in them.
    html = client_for(wuchang).get(URL, {**PERIOD, "since": "2026-01-01",
                                         "until": "2026-01-31"}).content.decode()
    assert 'data-testid="curve-shifted"' not in html


def test_bad_filters_are_shown_next_to_the_field(wuchang: Any) -> None:
    response = client_for(wuchang).get(URL, {**PERIOD, "since": "2026-05-09"})
    assert response.status_code == 200
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert "日期格式" in client_for(wuchang).get(URL, {"since": "yesterday"}).content.decode()


def test_sibling_gets_404_parent_gets_200(wuchang: Any) -> None:
    params = {**PERIOD, "division": "420106"}
    assert client_for(officer("420111")).get(URL, params).status_code == 404
    parent = client_for(officer("420100", Role.CITY_OFFICER)).get(URL, params)
    assert parent.status_code == 200 and "epicurve-data" in parent.content.decode()


def test_division_names_are_escaped(wuchang: Any) -> None:
    Division.objects.filter(code="420106").update(name="<b>武昌</b><script>x</script>")
    html = client_for(wuchang).get(URL, PERIOD).content.decode()
    assert "&lt;b&gt;武昌&lt;/b&gt;&lt;script&gt;" in html
    assert "<script>x</script>" not in html


def test_navigation_lists_the_curve(wuchang: Any) -> None:
    html = client_for(wuchang).get("/").content.decode()
    assert URL in html
