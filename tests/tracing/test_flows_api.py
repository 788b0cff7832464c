"""/api/v1/tracing/flows and the page "输入与外溢": scoping, defaults, levels, field errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from shouwang.accounts.roles import Role
from tests.accounts.helpers import bearer
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db

URL = "/api/v1/tracing/flows"
DAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


def get(user: Any, **params: Any) -> Any:
    return Client().get(URL, data=params, **bearer(user))


def imported(code: str, **over: Any) -> Any:
    return make_case(code, onset=DAY, imported=True, **over)


@pytest.fixture
def cases(officers: dict[str, Any]) -> None:
    imported("420106", origin_division_code="430102")
    imported("420106", origin_division_code="430102")
    imported("420106", origin_country="SGP")
    imported("420111", origin_division_code="420106")


def test_defaults_to_the_jurisdictions_latest_cases(officers: dict[str, Any],
                                                     cases: None) -> None:
    res = get(officers["wuchang"])
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["disease"] == "covid19" and body["level"] == "county"
    assert body["jurisdiction"] == "420106"
    assert date.fromisoformat(body["until"]) - date.fromisoformat(body["since"]) == \
        timedelta(days=182)
    assert body["imported_total"] == 3 and body["imported_unknown_origin"] == 0
    assert [(f["origin_code"], f["destination_code"], f["count"], f["direction"])
            for f in body["imported"]] == [("430102", "420106", 2, "inbound"),
                                           ("420106", "420111", 1, "outbound")]
    assert body["imported"][0]["origin_name"] == "芙蓉区"
    assert body["country_totals"] == [{"country": "SGP", "country_name": "新加坡", "count": 1}]
    assert {p["code"] for p in body["places"]} == {"430102", "420106", "420111"}


def test_a_sibling_sees_only_its_own(officers: dict[str, Any], cases: None) -> None:
    body = get(officers["hongshan"], disease="covid19", since="2026-01-01",
               until="2026-06-01").json()
    assert [(f["origin_code"], f["direction"]) for f in body["imported"]] == [
        ("420106", "inbound")]
    assert body["countries"] == [] and body["imported_total"] == 1


def test_levels_and_english_names(officers: dict[str, Any], cases: None) -> None:
    body = get(officers["hubei"], level="province").json()
    assert [(f["origin_code"], f["destination_code"], f["count"]) for f in body["imported"]] == [
        ("430000", "420000", 2)]
    with translation.override("en"):
        res = Client().get(URL, data={"level": "prefecture"}, HTTP_ACCEPT_LANGUAGE="en",
                           **bearer(officers["wuhan"]))
    names = {f["origin_name"] for f in res.json()["imported"]}
    assert names == {"Changsha Shi"}, res.json()


def test_bad_filters_answer_422_by_field(officers: dict[str, Any], cases: None) -> None:
    res = get(officers["wuchang"], disease="nope", level="street", since="2026-05-01",
              until="2026-04-01")
    assert res.status_code == 422
    assert set(res.json()["fields"]) == {"disease", "level", "until"}
    assert get(officers["wuchang"], since="2026-13-01").status_code == 422


def test_needs_tracing_read_and_a_disease_without_cases(officers: dict[str, Any],
                                                        make_user: Any) -> None:
    lab = make_user(Role.LIVELIHOOD_CADRE, "420606", username="cadre")
    assert get(lab).status_code == 403
    res = get(officers["furong"])
    assert res.status_code == 422 and "disease" in res.json()["fields"]
    assert get(officers["furong"], disease="covid19").json()["imported"] == []


def test_the_page_shows_tables_map_data_and_the_nav_entry(officers: dict[str, Any],
                                                          cases: None) -> None:
    client = Client()
    client.force_login(officers["wuchang"])
    res = client.get("/tracing/flows/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "输入与外溢" in html and 'data-testid="flows-imported"' in html
    assert 'href="/tracing/flows/"' in html  # the navigation entry
    assert "芙蓉区" in html and "新加坡" in html and 'data-testid="flow-map"' in html
    island = html.split('id="flow-data" type="application/json">')[1].split("</script>")[0]
    data = json.loads(island)
    # A county is drawn among the counties of its city.
    assert data["prefix"] == "4201" and data["jurisdiction"] == "420106"
    assert data["imported"][0]["count"] == 2
    assert {p["code"] for p in data["places"]} >= {"430102", "420106"}
    # Bad filters are shown by field; the page falls back to the defaults.
    res = client.get("/tracing/flows/", {"since": "2026-99-01", "level": "street"})
    assert res.status_code == 200
    html = res.content.decode()
    assert "日期格式应为 YYYY-MM-DD。" in html and "取值无效" in html
    assert 'data-testid="flows-imported"' in html


def test_the_page_in_english_names_divisions_in_english(officers: dict[str, Any],
                                                       cases: None) -> None:
    client = Client()
    client.force_login(officers["wuchang"])
    with translation.override("en"):
        html = client.get("/tracing/flows/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    heading = html.split('data-testid="flows-division">')[1].split("</small>")[0]
    assert heading.startswith("Wuchang Qu"), heading
    assert "Furong Qu" in html


def test_the_page_for_a_jurisdiction_without_cases(officers: dict[str, Any]) -> None:
    client = Client()
    client.force_login(officers["furong"])
    html = client.get("/tracing/flows/").content.decode()
    assert 'data-testid="flows-no-cases"' in html
    html = client.get("/tracing/flows/", {"disease": "covid19"}).content.decode()
    assert 'data-testid="flows-empty"' in html
