"""The result pages in a real browser: the R_t band and line over the daily cases, the children
map, the nowcast/forecast chart with its "today" line, the cluster map with its divisions
highlighted. Screenshots go to test-artifacts/ (look at them)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    ARTIFACTS,
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    page,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


def _fill_colours(tab: Any, selector: str) -> list[str]:
    return list(tab.eval_on_selector_all(
        selector, "els => els.map(e => getComputedStyle(e).fill)"))


def test_rt_forecast_and_cluster_pages_draw(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from shouwang.accounts.roles import Role
    from tests.factories import ensure_sample_divisions, make_user
    from tests.warning.results_factories import make_results

    ensure_sample_divisions()
    make_results(timezone.localdate())
    user = make_user(Role.CITY_OFFICER, "420100", username="wuhan-warning")
    base = live_server.url
    log_in(page, base, user.username)
    ARTIFACTS.mkdir(exist_ok=True)

    # R_t: the shaded band (a filled trace), the mean line, the dashed line at 1, the bars.
    page.click("[data-testid=nav-warning-results]")
    page.wait_for_url(base + "/warning/rt/")
    page.wait_for_selector("#rt-chart .plot-container svg")
    assert page.locator("#rt-chart .scatterlayer .js-fill").count() == 1
    assert page.locator("#rt-chart .scatterlayer .js-line").count() >= 1
    assert page.locator("#rt-chart g.trace.bars").count() == 1
    assert page.locator("#rt-chart .shapelayer path").count() == 1  # R = 1
    assert page.locator("[data-testid=rt-chart-loading]").count() == 0
    # The map of the city's counties: the two with an estimate coloured by their R_t.
    page.wait_for_selector("#rt-map .choroplethlayer path")
    assert page.get_attribute("#rt-map", "aria-busy") == "false"
    colours = _fill_colours(page, "#rt-map .choroplethlayer .trace:nth-child(2) path")
    assert len(colours) == 2 and "rgb(217, 217, 217)" not in colours
    assert page.locator("#rt-map .choroplethlayer .trace:nth-child(1) path").count() >= 10
    page.wait_for_function("!document.querySelector('.progress.active')")
    page.screenshot(path=str(ARTIFACTS / "warning-rt.png"), full_page=True)
    # A click on a county of the map opens its page (the event Plotly sends on a click).
    page.evaluate("document.getElementById('rt-map').emit('plotly_click', "
                  "{points: [{location: '420111'}]})")
    page.wait_for_url("**/warning/rt/420111/?disease=covid19")
    assert "洪山区" in page.locator("[data-testid=results-division]").inner_text()
    page.wait_for_selector("#rt-chart .plot-container svg")
    page.go_back()
    page.wait_for_selector("#rt-chart .plot-container svg")

    # Nowcast and forecast: two bands and the "today" line.
    page.click("[data-testid=tab-forecast]")
    page.wait_for_selector("#forecast-chart .plot-container svg")
    assert page.locator("#forecast-chart .scatterlayer .js-fill").count() == 3
    assert page.locator("#forecast-chart g.trace.bars").count() == 1
    assert page.locator("#forecast-chart .shapelayer path").count() >= 1
    assert "数据截止" in (page.locator("#forecast-chart .annotation").first.text_content() or "")
    page.screenshot(path=str(ARTIFACTS / "warning-forecast.png"), full_page=True)

    # The cluster map: the members of cluster 1 highlighted, its centre marked, its circle.
    page.click("[data-testid=tab-clusters]")
    page.wait_for_selector("#cluster-map .choroplethlayer path")
    members = _fill_colours(page, "#cluster-map .choroplethlayer .trace:nth-child(2) path")
    assert members == ["rgb(215, 48, 31)", "rgb(215, 48, 31)"]
    assert page.locator("#cluster-map .scattergeo .point").count() == 1
    assert "武昌区" in (page.locator("#cluster-map .scattergeo text").first.text_content() or "")
    assert page.locator("#cluster-map .scattergeo .js-line").count() == 1  # the radius
    assert page.locator("[data-testid=cluster-table] tbody tr").count() == 1
    page.wait_for_function("!document.querySelector('.progress.active')")
    page.screenshot(path=str(ARTIFACTS / "warning-clusters.png"), full_page=True)
    page.locator("#cluster-map").screenshot(path=str(ARTIFACTS / "warning-clusters-map.png"))

    # The same page in English.
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("html[lang=en]")
    page.wait_for_selector("#cluster-map .choroplethlayer path")
    assert page.locator("main h1").inner_text().startswith("Space-time cluster")
    page.screenshot(path=str(ARTIFACTS / "warning-clusters-en.png"), full_page=False)
    assert_no_problems(page)


def test_national_maps_draw_provinces_and_frame_the_clusters(
    page: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    """A national officer (past the second factor through a session made by the test client)
    sees the provinces coloured by R_t and every cluster, framed on the clusters."""
    from shouwang.accounts.roles import Role
    from tests.factories import ensure_sample_divisions, make_user
    from tests.warning.results_factories import make_results
    from tests.warning.test_results_pages import logged_in

    ensure_sample_divisions()
    make_results(timezone.localdate(), counts=False)
    nation = make_user(Role.NATIONAL_OFFICER, "000000", username="nation-warning")
    session = logged_in(nation).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(live_server.url + "/warning/rt/")
    page.wait_for_selector("#rt-map .choroplethlayer path")
    # Hubei and Hunan coloured, every other province grey.
    coloured = _fill_colours(page, "#rt-map .choroplethlayer .trace:nth-child(2) path")
    assert len(coloured) == 2
    assert page.locator("#rt-map .choroplethlayer .trace:nth-child(1) path").count() >= 30
    page.wait_for_function("!document.querySelector('.progress.active')")
    page.screenshot(path=str(ARTIFACTS / "warning-rt-nation.png"), full_page=True)

    page.goto(live_server.url + "/warning/clusters/")
    # Framed on the clusters, most provinces lie outside the view: wait for the drawing.
    page.wait_for_selector("#cluster-map[aria-busy=false] .choroplethlayer path",
                           state="attached")
    members = _fill_colours(page, "#cluster-map .choroplethlayer .trace:nth-child(2) path")
    assert sorted(members) == sorted(["rgb(215, 48, 31)"] * 2 + ["rgb(252, 141, 89)",
                                                                 "rgb(136, 86, 167)"])
    assert page.locator("#cluster-map .scattergeo .point").count() == 3
    assert page.locator("[data-testid=cluster-table] tbody tr").count() == 3
    page.wait_for_function("!document.querySelector('.progress.active')")
    page.locator("#cluster-map").screenshot(path=str(ARTIFACTS / "warning-clusters-nation.png"))
    assert_no_problems(page)
