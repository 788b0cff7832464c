"""The public pages in English (views/public.py, views/public_downloads.py): every place name
reads as the division's `name_en` (pinyin) — lists, rollup, search, the map's names payload —
the lists give each area's reason in the reader's language with its rule set, and the
Chinese page stays as it was."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from shouwang.risk.models import AreaRisk, RiskOverride
from shouwang.risk.reasons import reason_text
from tests.risk.levels_factory import publish_levels

DAY = date(2026, 2, 10)
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def published(divisions: None) -> None:
    publish_levels(DAY, {"420106": "high", "420111": "medium", "420111001": "high"},
                   since={"420106": DAY - timedelta(days=1)})


def _get(language: str, name: str, *args: str, **params: str) -> Any:
    client = Client()
    client.cookies["django_language"] = language
    return client.get(reverse(f"risk-public:{name}", args=args), {"date": DAY.isoformat(),
                                                                   **params})


def _reason(code: str, language: str) -> str:
    row = AreaRisk.objects.get(day=DAY, division_code=code)
    with translation.override(language):
        return reason_text(row.reason_code, row.inputs)


def _between(html: str, start: str, end: str) -> str:
    return html[html.index(start):html.index(end)]


@pytest.mark.django_db
def test_the_english_map_names_every_place_in_english(published: None) -> None:
    response = _get("en", "map")
    html = response.content.decode()
    high = _between(html, 'data-testid="list-high"', 'data-testid="list-medium"')
    assert "Wuchang Qu" in high and "Luonan Jiedao" in high and "武昌区" not in high
    assert "Wuhan Shi, Hubei Sheng" in high                     # the path above Wuchang
    assert "Hongshan Qu, Wuhan Shi, Hubei Sheng" in high       # above the township
    rollup = _between(html, 'data-testid="rollup"', "</table>")
    assert "Hubei Sheng" in rollup and not CJK.search(rollup)
    found = re.search(r'id="risk-map-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    names = json.loads(found.group(1))["n"]
    assert names["420106"] == "Wuchang Qu" and names["420000"] == "Hubei Sheng"
    assert "420100" not in names and "420111001" not in names   # the map draws neither


@pytest.mark.django_db
def test_the_chinese_map_is_unchanged(published: None) -> None:
    html = _get("zh-hans", "map").content.decode()
    high = _between(html, 'data-testid="list-high"', 'data-testid="list-medium"')
    assert "武昌区" in high and "湖北省 武汉市" in high and "Wuchang" not in high
    found = re.search(r'id="risk-map-data" type="application/json">(.*?)</script>', html)
    assert found is not None and "n" not in json.loads(found.group(1))


@pytest.mark.django_db
def test_the_english_province_page_is_titled_in_english(published: None) -> None:
    html = _get("en", "province", "42").content.decode()
    assert re.search(r'data-testid="scope-name">\s*Hubei Sheng', html)


@pytest.mark.django_db
def test_the_lists_give_the_reason_and_rule_set_in_the_readers_language(
        published: None) -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            rule = gettext("依据 %(code)s 第 %(v)s 版") % {"code": "cn-county-2020", "v": 1}
        if language == "zh-hans":
            assert rule == "依据 cn-county-2020 第 1 版"
        html = _get(language, "map").content.decode()
        high = _between(html, 'data-testid="list-high"', 'data-testid="list-medium"')
        assert _reason("420106", language) in high, language
        assert rule in high and "cn-subcounty-2021" in high
        areas = _get(language, "areas").content.decode()
        assert _reason("420111", language) in areas
        assert _reason("420111001", language) in areas and rule in areas
    english = _get("en", "areas").content.decode()
    table = _between(english, 'data-testid="areas-table"', "</table>")
    # The rule set's line is English once the lead merges its msgid (public2.po).
    assert "Hongshan Qu" in table and not CJK.search(re.sub(r'<small class="rule">[^<]*', "",
                                                            table))


@pytest.mark.django_db
def test_an_override_reads_as_an_override_with_its_reason(
        published: None, officers: dict[str, Any]) -> None:
    RiskOverride.objects.create(
        disease_id="covid19", division_code="430102", level="medium", reason="专家研判",
        effective_at=timezone.make_aware(datetime.combine(DAY, time(15))),
        created_by=officers["hunan"])
    zh = _get("zh-hans", "areas").content.decode()
    en = _get("en", "areas").content.decode()
    assert "人工调整：专家研判" in zh and "Overridden: 专家研判" in en


@pytest.mark.django_db
def test_english_search_finds_and_names_places_in_english(published: None) -> None:
    hits = _get("en", "search", q="武昌").context["hits"]
    assert [(h.name, h.place) for h in hits] == [("Wuchang Qu", "Wuhan Shi, Hubei Sheng")]
    by_pinyin = _get("en", "search", q="luonan").context["hits"]
    assert [(h.code, h.own_level) for h in by_pinyin] == [("420111001", "high")]
    carried = _get("en", "search", q="Hongshan Qu").context["hits"][0]
    assert carried.code == "420111" and carried.carried_level == "medium"
    html = _get("en", "search", q="武昌").content.decode()
    assert f'href="{reverse("risk-public:area", args=["420106"])}?date={DAY}"' in html
    chinese = _get("zh-hans", "search", q="武昌").context["hits"]
    assert [(h.name, h.place) for h in chinese] == [("武昌区", "湖北省 武汉市")]


@pytest.mark.django_db
def test_the_downloads_carry_both_names_and_both_reasons_whatever_the_language(
        published: None) -> None:
    for language in ("zh-hans", "en"):
        rows = {r["code"]: r for r in _get(language, "levels-json").json()["levels"]}
        township = rows["420111001"]
        assert (township["name"], township["name_en"]) == ("珞南街道", "Luonan Jiedao")
        assert township["reason"] == "test high"            # as published
        assert township["reason_en"] == _reason("420111001", "en")
