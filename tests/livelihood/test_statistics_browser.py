"""The statistics page in headless Chromium (zh-CN): the table, the bar and monthly charts, the
county map switched from the monitored share to the incidence, drill-down into 洪山区 (the map
of the county, with the note), and the exit-standards report. Screenshots in
/tmp/shots-statistics/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-statistics")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_statistics_page_charts_map_and_drill_down(page: Any, live_server: Any,  # noqa: F811
                                                   live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from tests.factories import ensure_sample_divisions, make_user
    from tests.livelihood.statistics_data import build
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    hubei = make_user(Role.LIVELIHOOD_CADRE, "420000", username="lh-stat-browser")
    build({"hubei": hubei})
    session = logged_in(hubei).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    base = live_server.url

    page.goto(base + "/livelihood/statistics/420100/?year=2025")
    page.wait_for_selector("#lh-stat-bars[data-rendered='1']")
    page.wait_for_selector("#lh-stat-months[data-rendered='1']")
    page.wait_for_selector("#lh-stat-map[data-rendered='1']")
    assert page.locator("[data-testid=nav-livelihood-statistics]").count() == 1
    assert page.locator("[data-testid=stat-row]").count() == 2
    hongshan = page.locator("[data-testid=stat-row][data-code='420111']").inner_text()
    assert "80.0%" in hongshan and "1/2" in hongshan  # incidence; in time 1 of 2
    assert page.locator("[data-testid=total-households]").inner_text() == "7"
    assert page.evaluate("document.getElementById('lh-stat-bars').data.length") == 3
    # Every county of 武汉市 is a shape; 洪山 and 武昌 have data, the others are grey.
    located = page.evaluate(
        "document.getElementById('lh-stat-map').data.map(t => (t.locations || []).length)")
    assert sum(located) >= 13
    coloured = page.evaluate(
        "document.getElementById('lh-stat-map').data.filter(t => t.colorbar)[0].z")
    assert sorted(coloured) == [0, 0.5]  # monitored share: 武昌 0 of 1, 洪山 3 of 6
    _shot(page, "statistics-wuhan")
    page.check("input[name=lh-map-metric][value=incidence]")
    page.wait_for_function(
        "document.getElementById('lh-stat-map').data.filter(t => t.colorbar)[0].z"
        ".some(v => v > 0.79)")
    _shot(page, "statistics-wuhan-incidence")
    assert_no_problems(page)

    page.click("[data-testid=stat-row][data-code='420111'] a[data-testid=drill]")
    page.wait_for_selector("#lh-stat-map[data-rendered='1']")
    assert "/livelihood/statistics/420111/?year=2025" in page.url
    assert page.locator("[data-testid=map-note]").count() == 1
    rows = page.locator("[data-testid=stat-row]")
    assert rows.count() == 2  # 珞南街道 and the county's own households
    _shot(page, "statistics-hongshan")
    assert_no_problems(page)

    page.click("[data-testid=exit-link]")
    page.wait_for_selector("[data-testid=exit-villages]")
    page.select_option("[data-testid=exit-year]", "2025")
    page.click("[data-testid=exit-form] button[type=submit]")
    page.wait_for_selector("[data-testid=exit-row][data-status=no_data]")
    assert page.locator("[data-testid=exit-row][data-status=fails]").count() == 2
    _shot(page, "exit-report-hongshan")
    assert_no_problems(page)
