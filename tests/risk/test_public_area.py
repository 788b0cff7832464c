"""One area's public page (views/public_area.py, selectors.public.area_public): its level in
force with the reason, rule set and since-when, the level a traveller from there carries, and
its published levels over the last 90 days as a step chart and a table of the changes."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from shouwang.risk.models import AreaRisk, RiskOverride
from shouwang.risk.reasons import reason_text
from shouwang.risk.selectors.public import area_public, public_moment
from shouwang.risk.views.public_area import step_chart
from tests.risk.levels_factory import publish_levels

DAY = date(2026, 2, 10)


@pytest.fixture
def history(divisions: None) -> None:
    """武昌区 low → medium → high → medium over four published days; one day unpublished; a
    day older than 90 days (outside the window)."""
    publish_levels(DAY - timedelta(days=120), {"420106": "high"})
    publish_levels(DAY - timedelta(days=5), {})
    publish_levels(DAY - timedelta(days=4), {"420106": "medium"})
    publish_levels(DAY - timedelta(days=2), {"420106": "high", "420111001": "high"},
                   since={"420106": DAY - timedelta(days=2)})
    publish_levels(DAY, {"420106": "medium", "420111": "medium"})


def _page(code: str, language: str = "zh-hans", **params: str) -> Any:
    client = Client()
    client.cookies["django_language"] = language
    return client.get(reverse("risk-public:area", args=[code]),
                      {"date": DAY.isoformat(), **params})


@pytest.mark.django_db
def test_the_history_lists_every_change_of_the_last_90_days_with_its_reason(
        history: None) -> None:
    area = area_public("420106", public_moment(DAY))
    assert area is not None
    assert area.start == DAY - timedelta(days=89) and area.end == DAY
    assert [d for d, _ in area.series] == [DAY - timedelta(days=5), DAY - timedelta(days=4),
                                           DAY - timedelta(days=2), DAY]
    assert [(c.day, c.before, c.after) for c in area.changes] == [
        (DAY - timedelta(days=5), "", "low"), (DAY - timedelta(days=4), "low", "medium"),
        (DAY - timedelta(days=2), "medium", "high"), (DAY, "high", "medium")]
    row = AreaRisk.objects.get(division_code="420106", day=DAY - timedelta(days=2))
    assert area.changes[2].reason == reason_text(row.reason_code, row.inputs)
    assert (area.level, area.rule_set, area.rule_set_version) == ("medium", "cn-county-2020", 1)
    # As of an earlier day, a later publication is not shown.
    earlier = area_public("420106", public_moment(DAY - timedelta(days=3)))
    assert earlier is not None and earlier.level == "medium" and len(earlier.series) == 2


@pytest.mark.django_db
def test_a_township_without_a_row_is_low_and_carries_its_countys_level(history: None) -> None:
    area = area_public("420111001", public_moment(DAY))
    assert area is not None
    assert (area.level, area.reason, area.carried_level) == ("low", "", "medium")
    assert area.carried_by == "洪山区" and area.place == "湖北省 武汉市 洪山区"
    assert [c.after for c in area.changes] == ["low", "high", "low"]
    assert area_public("999999", public_moment(DAY)) is None
    assert area_public("100000", public_moment(DAY)) is None      # the nation


@pytest.mark.django_db
def test_the_page_shows_level_reason_rule_set_carried_level_chart_and_changes(
        history: None) -> None:
    response = _page("420106")
    assert response.status_code == 200
    html = response.content.decode()
    row = AreaRisk.objects.get(division_code="420106", day=DAY)
    assert re.search(r'data-testid="area-level">中风险<', html)
    assert reason_text(row.reason_code, row.inputs) in html
    assert "依据 cn-county-2020 第 1 版" in html
    assert re.search(r'data-testid="area-carried">中风险<', html)
    chart = html[html.index('data-testid="area-chart"'):html.index("</figure>")]
    assert chart.count('class="run lv-') == 4 and '<path class="step"' in chart
    assert "<script" not in html and "plotly" not in html.lower()
    changes = html[html.index('data-testid="area-changes"'):html.index("</table>")]
    assert changes.count("<tr data-day=") == 4
    assert "public" in response["Cache-Control"] and response["ETag"]


@pytest.mark.django_db
def test_the_english_page_reads_english(history: None, officers: dict[str, Any]) -> None:
    RiskOverride.objects.create(
        disease_id="covid19", division_code="420106", level="high", reason="专家研判",
        effective_at=timezone.make_aware(datetime.combine(DAY, time(9))),
        created_by=officers["hubei"])
    html = _page("420106", "en").content.decode()
    assert "Wuchang Qu" in html and "Wuhan Shi, Hubei Sheng" in html
    assert "Overridden: 专家研判" in html
    row = AreaRisk.objects.get(division_code="420106", day=DAY - timedelta(days=2))
    with translation.override("en"):
        assert reason_text(row.reason_code, row.inputs) in html


@pytest.mark.django_db
def test_unknown_areas_are_404_and_bad_dates_400(history: None) -> None:
    assert _page("999999").status_code == 404
    bad = reverse("risk-public:area", args=["420106"]).replace("420106", "4201060")
    assert Client().get(bad).status_code == 404                     # not a code's length
    assert _page("420106", date="2026-02-31").status_code == 400


@pytest.mark.django_db
def test_every_list_links_the_area_page(history: None) -> None:
    link = f'href="{reverse("risk-public:area", args=["420106"])}?date={DAY}"'
    for name, params in (("map", {}), ("areas", {}), ("search", {"q": "武昌"})):
        html = Client().get(reverse(f"risk-public:{name}"),
                            {"date": DAY.isoformat(), **params}).content.decode()
        assert link in html, name


def test_the_step_chart_holds_each_day_until_the_next() -> None:
    start = DAY - timedelta(days=89)
    chart = step_chart([(start, "low"), (start + timedelta(days=1), "low"),
                        (DAY - timedelta(days=9), "high"), (DAY, "medium")], start, DAY)
    assert chart is not None
    assert [r.level for r in chart.runs] == ["low", "high", "medium"]
    assert chart.runs[0].x == chart.left
    assert chart.runs[0].x + chart.runs[0].width == chart.runs[1].x
    right = chart.runs[-1].x + chart.runs[-1].width
    assert abs(right - (chart.width - 4)) < 0.2                   # the last day reaches the end
    assert chart.runs[1].y < chart.runs[2].y < chart.runs[0].y    # high above medium above low
    assert step_chart([], start, DAY) is None
