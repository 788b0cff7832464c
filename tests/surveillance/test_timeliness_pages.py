"""报告及时性: the rate per county as a chart data island and a table, the late reports and the
overdue verifications, period errors, scoping."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.surveillance.services import cases as svc
from tests.surveillance.cases_data import case_data, officer, resident_id

URL = "/surveillance/timeliness/"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def reports(divisions: None) -> None:
    """武昌区: 3 reports, one late; 洪山区: 2 reports, both on time."""
    now = timezone.now()
    for seq, (county, hours) in enumerate([("420106", 2), ("420106", 3), ("420106", 40),
                                           ("420111", 1), ("420111", 5)], start=1):
        diagnosed = now - timedelta(days=3, hours=seq)
        svc.case_report_submit(actor=officer(county), data=case_data(
            id_number=resident_id(county, "19800101", f"{seq:03d}"), division_code=county,
            reporting_division_code=county, onset_date=None, diagnosed_at=diagnosed,
            reported_at=diagnosed + timedelta(hours=hours)))


@pytest.mark.django_db
def test_city_officer_sees_rates_per_county(reports: None) -> None:
    html = client_for(officer("420100", role=Role.CITY_OFFICER)).get(URL).content.decode()
    island = re.search(r'<script id="timeliness-data" type="application/json">(.*?)</script>',
                       html, re.S)
    assert island is not None
    chart = json.loads(island.group(1))
    assert dict(zip(chart["labels"], chart["rates"], strict=True)) == {"武昌区": 66.7,
                                                                        "洪山区": 100.0}
    rows = re.findall(r'data-testid="timeliness-row"><td>(\S+)', html)
    assert "武昌区" in rows and "洪山区" in rows
    assert "67%" in html and "100%" in html
    assert html.count("<tr><td><a href=\"/surveillance/cases/") >= 1  # a late report listed
    assert 'data-testid="late-table"' in html and 'data-testid="overdue-table"' in html


@pytest.mark.django_db
def test_county_officer_sees_only_its_county(reports: None) -> None:
    html = client_for(officer("420111")).get(URL).content.decode()
    assert "武昌区" not in html and "洪山区" in html
    assert 'data-testid="late-table"' not in html


@pytest.mark.django_db
def test_period_errors_are_shown(reports: None) -> None:
    client = client_for(officer("420106"))
    html = client.get(URL, {"since": "2026-05-10", "until": "2026-05-01"}).content.decode()
    assert "结束日期不能早于开始日期" in html
    html = client.get(URL, {"since": "not-a-date"}).content.decode()
    assert "日期格式应为 YYYY-MM-DD" in html
    html = client.get(URL, {"level": "province"}).content.decode()
    assert 'data-testid="level-error"' in html
