"""/api/v1/warning: runs, series, the children's R_t and the clusters; scoping, 404s, 422s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.warning.models import Method, RunStatus, SeriesResult
from tests.accounts.helpers import bearer
from tests.factories import make_user
from tests.warning.results_factories import make_results, make_run

URL = "/api/v1/warning"
DAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def results(divisions: None) -> None:
    make_results(DAY, counts=False)


def get(user: Any, path: str, **params: Any) -> Any:
    return Client().get(URL + path, data=params, **bearer(user))


def city() -> Any:
    return User.objects.filter(username="city-420100").first() or make_user(
        Role.CITY_OFFICER, "420100", username="city-420100")


def test_series_of_each_method(results: None) -> None:
    user = city()
    rt = get(user, "/series/420106", disease="covid19")
    assert rt.status_code == 200
    body = rt.json()
    assert (body["day"], body["disease"], body["basis"], body["division_name"], body["method"],
            body["level"]) == ("2026-05-20", "covid19", "onset", "武昌区", "rt", "county")
    assert set(body["data"]) == {"t", "mean", "sd", "lower", "median", "upper"}
    assert len(body["data"]["t"]) == 60 and body["data"]["t"][-1] == "2026-05-20"
    assert body["latest"] == body["data"]["mean"][-1]
    assert body["latest_lower"] < body["latest"] < body["latest_upper"]
    nowcast = get(user, "/series/420106", disease="covid19", method="nowcast").json()
    assert set(nowcast["data"]) == {"t", "observed", "nowcast", "median", "lower", "upper"}
    # The correction adds cases to the latest days only: reported ≤ median ≤ upper there.
    last = {k: v[-1] for k, v in nowcast["data"].items()}
    assert last["observed"] <= last["median"] <= last["upper"]
    province = make_user(Role.PROVINCIAL_OFFICER, "420000")
    forecast = get(province, "/series/420000", disease="covid19", method="forecast").json()
    assert forecast["level"] == "province" and forecast["data"]["t"][0] == "2026-05-21"
    assert set(forecast["data"]) == {"t", "median", "lower", "upper", "lower_50", "upper_50"}


def test_the_run_of_a_chosen_day(results: None) -> None:
    make_results(date(2026, 5, 13), counts=False)
    user = city()
    assert get(user, "/series/420106", disease="covid19").json()["day"] == "2026-05-20"
    older = get(user, "/series/420106", disease="covid19", day="2026-05-13")
    assert older.status_code == 200 and older.json()["data"]["t"][-1] == "2026-05-13"
    missing = get(user, "/series/420106", disease="covid19", day="2026-05-14")
    assert missing.status_code == 404
    assert missing.json()["message"] == "所选日期没有已完成的预警计算。"


@pytest.mark.parametrize("path", ["/series/420106", "/rt/420106/children"])
def test_outside_the_jurisdiction_or_unknown_is_404(results: None, path: str) -> None:
    sibling = make_user(Role.COUNTY_OFFICER, "420111")
    response = get(sibling, path, disease="covid19")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert get(city(), path.replace("420106", "430102"), disease="covid19").status_code == 404
    assert get(city(), path.replace("420106", "999999"), disease="covid19").status_code == 404
    assert get(city(), path, disease="covid19").status_code == 200


def test_no_run_yet_and_no_series_are_404_with_their_reason(divisions: None) -> None:
    user = city()
    none_yet = get(user, "/series/420106", disease="covid19")
    assert none_yet.status_code == 404
    assert none_yet.json()["message"] == "该病种还没有已完成的预警计算。"
    assert get(user, "/clusters", disease="covid19").status_code == 404
    make_run(DAY, status=RunStatus.FAILED)
    assert get(user, "/series/420106", disease="covid19").status_code == 404
    make_run(DAY)  # finished, but without a series for the division
    no_series = get(user, "/series/420106", disease="covid19")
    assert no_series.status_code == 404
    assert no_series.json()["message"] == "本次预警计算没有该区划的此项结果。"


@pytest.mark.parametrize(("params", "field"), [
    ({}, "disease"),
    ({"disease": "no-such-disease"}, "disease"),
    ({"disease": "covid19", "method": "scan"}, "method"),
    ({"disease": "covid19", "method": "rt-mean"}, "method"),
    ({"disease": "covid19", "day": "2026-13-01"}, "day"),
])
def test_bad_filters_are_field_errors(results: None, params: dict[str, str], field: str) -> None:
    response = get(city(), "/series/420106", **params)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input" and list(body["fields"]) == [field]


def test_children_rt(results: None) -> None:
    body = get(city(), "/rt/420100/children", disease="covid19").json()
    assert body["division_name"] == "武汉市" and body["day"] == "2026-05-20"
    assert [(c["code"], c["name"], c["trend"]) for c in body["children"]] == [
        ("420106", "武昌区", "up"), ("420111", "洪山区", "down")]
    for child in body["children"]:
        assert child["lower"] < child["mean"] < child["upper"] and child["level"] == "county"
    nation = make_user(Role.NATIONAL_OFFICER, "000000")
    body = get(nation, "/rt/000000/children", disease="covid19").json()
    assert [c["code"] for c in body["children"]] == ["420000", "430000"]


def test_a_child_with_no_series_has_nulls(results: None) -> None:
    SeriesResult.objects.filter(method=Method.RT, division_code="420111").delete()
    children = get(city(), "/rt/420100/children", disease="covid19").json()["children"]
    assert children[1] == {"code": "420111", "name": "洪山区", "level": "county", "mean": None,
                           "lower": None, "upper": None, "trend": None}


def test_clusters_are_those_with_their_cases_in_the_jurisdiction(results: None) -> None:
    body = get(city(), "/clusters", disease="covid19").json()
    assert body["day"] == "2026-05-20"
    assert len(body["clusters"]) == 1
    cluster = body["clusters"][0]
    assert (cluster["rank"], cluster["centre_code"], cluster["centre_name"]) == (
        1, "420106", "武昌区")
    assert cluster["division_codes"] == ["420106", "420111"]
    assert cluster["division_names"] == ["武昌区", "洪山区"]
    assert cluster["focus_code"] == "420106" and cluster["member_counts"] == []
    assert (cluster["start"], cluster["end"], cluster["observed"]) == (
        "2026-05-16", "2026-05-20", 40)
    assert cluster["observed_over_expected"] == pytest.approx(40 / 14.5)
    hongshan = make_user(Role.COUNTY_OFFICER, "420111")
    assert get(hongshan, "/clusters", disease="covid19").json()["clusters"] == []
    province = make_user(Role.PROVINCIAL_OFFICER, "420000")
    assert [c["rank"] for c in get(province, "/clusters", disease="covid19").json()[
        "clusters"]] == [1, 2]


def test_runs(divisions: None) -> None:
    make_run(date(2026, 5, 18))
    make_run(date(2026, 5, 19), status=RunStatus.FAILED)
    make_run(date(2026, 5, 19), disease="influenza")
    user = make_user(Role.COUNTY_OFFICER, "430102")
    body = get(user, "/runs").json()
    assert [(r["day"], r["disease"], r["status"]) for r in body] == [
        ("2026-05-19", "covid19", "failed"), ("2026-05-19", "influenza", "done"),
        ("2026-05-18", "covid19", "done")]
    assert [r["day"] for r in get(user, "/runs", disease="covid19", status="done").json()] == [
        "2026-05-18"]
    bad = get(user, "/runs", status="finished", since="2026-05-02", until="2026-05-01")
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"status", "until"}
    assert list(get(user, "/runs", limit=0).json()["fields"]) == ["limit"]
    assert get(user, "/runs", disease="nope").json()["fields"] == {"disease": ["未知病种。"]}


def test_capability_and_login_are_required(results: None) -> None:
    lab = make_user(Role.LABORATORY, "420106")  # labs do not read early-warning results
    for path in ["/runs", "/series/420106", "/rt/420106/children", "/clusters"]:
        assert get(lab, path, disease="covid19").status_code == 403
        assert Client().get(URL + path, {"disease": "covid19"}).status_code == 401


def test_errors_in_english(results: None) -> None:
    with translation.override("en"):
        response = Client().get(URL + "/series/420106", {"disease": "covid19", "day": "2026-05-01"},
                                HTTP_ACCEPT_LANGUAGE="en", **bearer(city()))
    assert response.json()["message"] == "No finished early-warning run on the chosen day."
