"""The result pages and API on what the real nightly job stores (not the factory's rows): the
planted outbreak in 武昌区 goes through the case service, `run_early_warning` computes the night,
and the pages and API read it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from shouwang.accounts.roles import Role
from shouwang.warning.models import ScanCluster
from shouwang.warning.services.nightly import run_early_warning
from shouwang.warning.services.nightly_config import NightlySettings
from tests.accounts.helpers import bearer
from tests.factories import make_user
from tests.warning.nightly_data import DAY, place_divisions, planted_outbreak, submit

FAST = NightlySettings(nowcast_samples=200, forecast_samples=200, scan_replicates=99)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def night(divisions: None) -> None:
    place_divisions()
    submit(planted_outbreak())
    run_early_warning(day=DAY, diseases=["covid19"], settings=FAST)


def island(html: str, name: str) -> Any:
    found = re.search(rf'<script id="{name}" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None, f"no data island {name}"
    return json.loads(found.group(1))


def test_pages_and_api_read_the_nightly_job(night: None) -> None:
    city = make_user(Role.CITY_OFFICER, "420100")
    client = Client()
    client.force_login(city)
    html = client.get("/warning/rt/420106/", {"disease": "covid19"}).content.decode()
    chart = island(html, "rt-data")
    assert chart["t"][-1] == DAY.isoformat()
    assert any(m is not None for m in chart["mean"])
    assert sum(chart["counts"]["values"]) > 0  # the onset counts under the chart
    rows = island(client.get("/warning/rt/", {"disease": "covid19"}).content.decode(),
                  "rt-map-data")["rows"]
    assert {r["code"] for r in rows} == {"420106", "420111"}
    assert next(r for r in rows if r["code"] == "420106")["mean"] is not None
    html = client.get("/warning/forecast/420106/", {"disease": "covid19"}).content.decode()
    fc = island(html, "forecast-data")
    assert fc["today"] == DAY.isoformat() and len(fc["forecast"]["t"]) == 14
    assert fc["nowcast"] is not None and fc["nowcast"]["t"][-1] == DAY.isoformat()
    series = client.get("/api/v1/warning/series/420106",
                        {"disease": "covid19", "method": "ears_c3"}, **bearer(city)).json()
    assert {"observed", "expected", "upperbound", "alarm"} <= set(series["data"])
    # Clusters, when the scan found any with their cases in the city, are on its map and table.
    html = client.get("/warning/clusters/", {"disease": "covid19"}).content.decode()
    visible = ScanCluster.objects.filter(focus_code__startswith="4201").count()
    if visible:
        assert len(island(html, "cluster-data")["clusters"]) == visible
    else:
        assert 'data-testid="clusters-empty"' in html
