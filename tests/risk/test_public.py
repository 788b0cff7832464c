"""The public risk pages and downloads (views/public.py, views/public_downloads.py): reachable
without login, data as published, 400 with the field named on bad parameters, and no personal
data in any response body."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from shouwang.risk.models import AreaRisk, RiskOverride
from shouwang.risk.reasons import reason_text
from tests.risk.levels_factory import publish_levels
from tests.tracing.cases import make_case

DAY = date(2026, 2, 10)
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


@pytest.fixture
def published(divisions: None) -> None:
    publish_levels(DAY - timedelta(days=1), {"420106": "medium"})
    publish_levels(DAY, {"420106": "high", "420111": "medium", "420111001": "high"},
                   since={"420106": DAY - timedelta(days=1)})


def _get(client: Client, name: str, *args: str, **params: str) -> Any:
    return client.get(reverse(f"risk-public:{name}", args=args), params)


def _english_reason(code: str) -> str:
    """The rule's reason of `code`'s row of DAY in English, as reasons.reason_text gives it."""
    row = AreaRisk.objects.get(day=DAY, division_code=code)
    with translation.override("en"):
        text = reason_text(row.reason_code, row.inputs)
    assert text and not re.search(r"[\u4e00-\u9fff]", text)
    return text


def _csv(response: Any) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.django_db
def test_every_public_page_and_download_opens_without_login(published: None) -> None:
    client = Client()
    day = {"date": DAY.isoformat()}
    for name, args, params in (("map", (), day), ("province", ("42",), day),
                               ("areas", (), day), ("search", (), {"q": "武昌", **day}),
                               ("levels-json", (), day), ("levels-csv", (), day)):
        response = _get(client, name, *args, **params)
        assert response.status_code == 200, name
        assert "public" in response["Cache-Control"] and "max-age" in response["Cache-Control"]
        assert response["ETag"]


@pytest.mark.django_db
def test_a_repeat_request_with_the_etag_gets_304(published: None) -> None:
    client = Client()
    first = _get(client, "levels-json", date=DAY.isoformat())
    again = client.get(reverse("risk-public:levels-json"), {"date": DAY.isoformat()},
                       HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    page = _get(client, "map", date=DAY.isoformat())
    fresh = Client().get(reverse("risk-public:map"), {"date": DAY.isoformat()},
                         HTTP_IF_NONE_MATCH=page["ETag"])
    assert fresh.status_code == 304     # the language form's fresh CSRF token is no change
    publish_levels(DAY + timedelta(days=1), {"420606": "high"})
    later = client.get(reverse("risk-public:map"), {"date": DAY.isoformat()},
                       HTTP_IF_NONE_MATCH=page["ETag"])
    assert later.status_code == 200    # the hint now names a later day


@pytest.mark.django_db
def test_the_map_page_shows_the_day_counts_lists_and_island(published: None) -> None:
    response = _get(Client(), "map", date=DAY.isoformat())
    html = response.content.decode()
    ctx = response.context
    assert ctx["snapshot"].counties_high == 1 and ctx["snapshot"].counties_medium == 1
    assert ctx["snapshot"].publication.day == DAY
    assert 'data-testid="count-high">1<' in html and 'data-testid="count-medium">1<' in html
    high = html[html.index('data-testid="list-high"'):html.index('data-testid="list-medium"')]
    assert "武昌区" in high and "珞南街道" in high and 'data-code="420111"' not in high
    assert "自 2026-02-09 起" in high           # since-when of 武昌区
    found = re.search(r'id="risk-map-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    island = json.loads(found.group(1))
    assert island["l"] == {"420106": "h", "420111": "m"}
    assert island["x"] == ["420111"]            # 珞南街道 (high) lies in 洪山区
    assert "420106" in island["s"]["2026-02-09"].split(",")
    assert "risk/map/china.json" in html and "<script>" not in html


@pytest.mark.django_db
def test_the_province_page_counts_only_its_province(published: None) -> None:
    publish_levels(DAY + timedelta(days=1), {"430102": "medium", "420106": "high"})
    response = _get(Client(), "province", "43", date=(DAY + timedelta(days=1)).isoformat())
    assert response.status_code == 200
    snap = response.context["snapshot"]
    assert snap.counties_medium == 1 and snap.counties_high == 0
    assert [a.code for a in snap.areas] == ["430102"]
    assert 'data-province="43"' in response.content.decode()
    assert _get(Client(), "province", "99").status_code == 404


@pytest.mark.django_db
def test_the_levels_in_force_at_the_end_of_a_past_day(published: None) -> None:
    before = _get(Client(), "levels-json", date=(DAY - timedelta(days=1)).isoformat()).json()
    levels = {r["code"]: r for r in before["levels"]}
    assert levels["420106"]["level"] == "medium" and levels["420111"]["level"] == "low"
    assert before["publication_day"] == (DAY - timedelta(days=1)).isoformat()
    nothing = _get(Client(), "levels-json", date="2020-01-01").json()
    assert nothing["levels"] == [] and nothing["publication_day"] == ""


@pytest.mark.django_db
def test_the_downloads_hold_every_column_and_agree(published: None) -> None:
    client = Client()
    body = _get(client, "levels-json", date=DAY.isoformat()).json()
    rows = _csv(_get(client, "levels-csv", date=DAY.isoformat()))
    assert list(rows[0]) == body["columns"] == [
        "code", "name", "name_en", "level", "since", "rule_set", "rule_set_version", "reason",
        "reason_en", "effective_at"]
    by_code = {r["code"]: r for r in rows}
    assert by_code["420106"] == {
        "code": "420106", "name": "武昌区", "name_en": "Wuchang Qu", "level": "high",
        "since": "2026-02-09", "rule_set": "cn-county-2020", "rule_set_version": "1",
        "reason": "test high",
        "reason_en": _english_reason("420106"),
        "effective_at": "2026-02-10T00:00:00+08:00"}
    assert by_code["420111001"]["rule_set"] == "cn-subcounty-2021"
    assert len(rows) == len(body["levels"]) == 5   # the four sample counties and a township
    assert body["counties_high"] == 1 and body["counties_medium"] == 1
    hubei = _csv(_get(client, "levels-csv", date=DAY.isoformat(), province="42"))
    assert {r["code"][:2] for r in hubei} == {"42"} and len(hubei) == 4


@pytest.mark.django_db
def test_an_override_in_force_shows_with_its_own_reason_and_moment(
        published: None, officers: dict[str, Any]) -> None:
    moment = timezone.make_aware(datetime.combine(DAY, time(15)))
    RiskOverride.objects.create(disease_id="covid19", division_code="430102", level="medium",
                                reason="专家研判", effective_at=moment,
                                created_by=officers["hunan"])
    rows = {r["code"]: r for r in _get(Client(), "levels-json",
                                      date=DAY.isoformat()).json()["levels"]}
    assert rows["430102"]["level"] == "medium" and rows["430102"]["reason"] == "专家研判"
    assert rows["430102"]["reason_en"] == "Overridden: 专家研判"
    assert rows["430102"]["effective_at"] == "2026-02-10T15:00:00+08:00"


@pytest.mark.django_db
def test_the_areas_list_filters_by_province_and_level(published: None) -> None:
    client = Client()
    rows = _get(client, "areas", date=DAY.isoformat()).context["areas"]
    assert [(a.code, a.above) for a in rows] == [
        ("420106", "湖北省 武汉市"), ("420111001", "湖北省 武汉市 洪山区"),
        ("420111", "湖北省 武汉市")]                           # high first
    medium = _get(client, "areas", date=DAY.isoformat(), level="medium").context["areas"]
    assert [a.code for a in medium] == ["420111"]
    hunan = _get(client, "areas", date=DAY.isoformat(), province="43")
    assert hunan.context["areas"] == [] and 'data-testid="areas-empty"' in hunan.content.decode()


@pytest.mark.django_db
def test_search_finds_a_place_with_its_level_and_the_level_a_traveller_carries(
        published: None) -> None:
    client = Client()
    hits = _get(client, "search", q="武昌", date=DAY.isoformat()).context["hits"]
    assert [(h.code, h.own_level, h.carried_level) for h in hits] == [("420106", "high", "high")]
    township = _get(client, "search", q="珞南", date=DAY.isoformat()).context["hits"][0]
    assert township.own_level == "high" and township.place == "湖北省 武汉市 洪山区"
    hongshan = _get(client, "search", q="洪山区", date=DAY.isoformat()).context["hits"][0]
    assert hongshan.own_level == "medium" and hongshan.carried_level == "medium"
    empty = _get(client, "search", q="不存在的地名", date=DAY.isoformat())
    assert 'data-testid="search-empty"' in empty.content.decode()


@pytest.mark.django_db
def test_the_hint_names_the_latest_day_with_a_medium_or_high_area(published: None) -> None:
    publish_levels(DAY + timedelta(days=2), {})
    response = _get(Client(), "map")
    assert response.context["risky_day"] == DAY
    assert f"?date={DAY.isoformat()}" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "params", "field"), [
    ("map", {"date": "2026-13-01"}, "date"),
    ("map", {"date": "yesterday"}, "date"),
    ("map", {"date": "2999-01-01"}, "date"),
    ("areas", {"province": "99"}, "province"),
    ("areas", {"province": "4201"}, "province"),
    ("areas", {"level": "extreme"}, "level"),
    ("search", {"q": "武" * 41}, "q"),
    ("levels-json", {"date": "2026-02-30"}, "date"),
    ("levels-csv", {"province": "xx"}, "province"),
])
def test_bad_parameters_answer_400_naming_the_field(published: None, name: str,
                                                    params: dict[str, str],
                                                    field: str) -> None:
    for language, word in (("zh-hans", "查询参数有误"), ("en", "")):
        response = Client(HTTP_ACCEPT_LANGUAGE=language).get(
            reverse(f"risk-public:{name}"), params)
        assert response.status_code == 400
        if name.startswith("levels"):
            body = response.json()
            assert body["code"] == "invalid_input" and field in body["fields"]
            message = body["fields"][field][0]
        else:
            html = response.content.decode()
            assert f'data-field="{field}"' in html
            message = html
        if language == "zh-hans":
            assert word in message or re.search(r"[\u4e00-\u9fff]", message)


@pytest.mark.django_db
def test_no_public_response_holds_personal_data(published: None) -> None:
    """Cases with ID numbers and phone numbers in the counties on the map: no body of any
    public page or download (either language) shows an ID number, a mobile number or a name
    (searching for a part of a name finds no person: only divisions are searched)."""
    names = ["欧阳明远", "司马静怡"]
    for i, name in enumerate(names):
        make_case("420106", onset=DAY - timedelta(days=6), name=name, phone=f"1391234567{i}")
    client = Client()
    pages = [("map", (), {}), ("province", ("42",), {}), ("areas", (), {}),
             ("search", (), {"q": "武昌"}), ("search", (), {"q": "欧阳"}),
             ("levels-json", (), {}), ("levels-csv", (), {}), ("area", ("420106",), {}),
             ("area", ("420111001",), {})]
    bodies = []
    for language in ("zh-hans", "en"):
        client.cookies["django_language"] = language
        for name, args, params in pages:
            for extra in ({}, {"date": DAY.isoformat()}, {"part": "panel"}):
                response = _get(client, name, *args, **params, **extra)
                assert response.status_code == 200
                bodies.append(response.content.decode("utf-8"))
    assert len(bodies) == 54
    for body in bodies:
        assert not ID_NUMBER.search(body), ID_NUMBER.search(body)
        assert not PHONE.search(body), PHONE.search(body)
        assert not any(n in body for n in names)


@pytest.mark.django_db
def test_the_login_page_links_the_public_map() -> None:
    html = Client().get(reverse("accounts:login")).content.decode()
    assert f'href="{reverse("risk-public:map")}"' in html


@pytest.mark.django_db
def test_search_carries_the_same_level_as_level_of_place(published: None,
                                                        officers: dict[str, Any]) -> None:
    from shouwang.risk.selectors.levels import level_of_place
    from shouwang.risk.selectors.public import place_search, public_moment

    RiskOverride.objects.create(
        disease_id="covid19", division_code="420100", level="high", reason="全市管控",
        effective_at=timezone.make_aware(datetime.combine(DAY, time(9))),
        created_by=officers["hubei"])
    at = public_moment(DAY)
    hits = place_search("区", at) + place_search("街道", at) + place_search("省", at)
    assert len(hits) >= 6
    for hit in hits:
        assert hit.carried_level == level_of_place(hit.code, at=at)[0], hit.code
    fancheng = next(h for h in hits if h.code == "420606")
    assert (fancheng.own_level, fancheng.carried_level) == ("low", "low")
    hongshan = next(h for h in hits if h.code == "420111")
    assert (hongshan.own_level, hongshan.carried_level, hongshan.carried_by) == (
        "medium", "high", "武汉市")
