"""The officers' risk pages in headless Chromium: the province's map coloured by level (a high
county red, a county holding a medium township outlined orange), the legend and the lists; an
area's step chart; the override form refusing a blank reason, then overriding with one (the map
turns the county red); revocation. Screenshots in /tmp/shots-officer/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shouwang.risk.models import RiskOverride
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
SHOTS = Path("/tmp/shots-officer")
RED, ORANGE, GREEN = "rgb(214, 39, 40)", "rgb(240, 140, 0)", "rgb(46, 157, 79)"


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _county_style(tab: Any, code: str) -> dict[str, str]:
    """The fill and outline of a county's shape on the map (from Plotly's own data: the
    shapes are drawn in the order of the trace's locations)."""
    found: dict[str, str] = tab.evaluate("""(code) => {
        const el = document.getElementById('risk-map');
        const i = el.data[0].locations.indexOf(code);
        const path = el.querySelectorAll('.choroplethlayer .trace:first-child path')[i];
        const s = getComputedStyle(path);
        return {fill: s.fill, stroke: s.stroke, width: s.strokeWidth};
    }""", code)
    return found


def test_map_override_form_and_revocation(page: Any, live_server: Any,  # noqa: F811
                                          live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from tests.factories import ensure_sample_divisions, make_user
    from tests.risk.levels_factory import publish_levels
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    today = timezone.localdate()
    publish_levels(today - timedelta(days=3), {"420106": "medium"})
    publish_levels(today, {"420106": "high", "420111001": "medium"},
                   since={"420106": today - timedelta(days=2)})
    hubei = make_user(Role.PROVINCIAL_OFFICER, "420000", username="hubei-browser")
    session = logged_in(hubei).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    base = live_server.url

    page.goto(base + "/risk/")
    page.wait_for_selector("#risk-map[data-rendered='1']")
    # Every county of Hubei in the boundaries is drawn; 武昌区 red, 洪山区 green with an orange
    # outline (its township 珞南街道 is medium), 樊城区 green.
    assert page.evaluate("document.getElementById('risk-map').data[0].locations.length") > 90
    wuchang = _county_style(page, "420106")
    assert wuchang["fill"] == RED
    hongshan = _county_style(page, "420111")
    assert (hongshan["fill"], hongshan["stroke"]) == (GREEN, ORANGE)
    assert _county_style(page, "420606")["fill"] == GREEN
    legend = page.locator("[data-testid=risk-legend]").inner_text()
    assert "低风险" in legend and "中风险" in legend and "高风险" in legend
    assert page.locator("[data-testid=count-high]").inner_text() == "1"
    high = page.locator("[data-testid=high-table]").inner_text()
    assert "武昌区" in high and (today - timedelta(days=2)).isoformat() in high
    assert "珞南街道" in page.locator("[data-testid=medium-table]").inner_text()
    assert page.locator("[data-testid=rollup-row]").count() == 1
    assert page.locator("[data-testid=nav-risk-levels]").get_attribute("aria-current") == "page"
    _shot(page, "overview-hubei")

    # The area's page: the step chart, the days, the override form.
    page.goto(base + "/risk/areas/420111/")
    page.wait_for_selector("#risk-step[data-rendered='1']")
    assert page.locator("[data-testid=history-row]").count() == 2
    assert "cn-county-2020 v1" in page.locator("[data-testid=history-rule]").first.inner_text()
    # A blank reason is refused, and nothing is written.
    page.select_option("[data-testid=override-level]", "high")
    page.fill("[data-testid=override-reason]", "   ")
    page.click("[data-testid=override-submit]")
    page.wait_for_selector("[data-testid=error-reason]:not(:empty)")
    assert "理由" in page.locator("[data-testid=error-reason]").inner_text()
    assert not RiskOverride.objects.exists()
    page.wait_for_selector("#risk-step[data-rendered='1']")
    _shot(page, "override-no-reason")
    page.fill("[data-testid=override-reason]", "珞南街道出现社区传播，提级管控")
    page.click("[data-testid=override-submit]")
    page.wait_for_url(base + "/risk/areas/420111/")
    assert page.locator("[data-testid=area-level]").inner_text() == "高风险"
    assert page.locator("[data-testid=override-row][data-state=active]").count() == 1
    page.wait_for_selector("#risk-step[data-rendered='1']")
    _shot(page, "override-made")

    # The map now shows 洪山区 red.
    page.goto(base + "/risk/")
    page.wait_for_selector("#risk-map[data-rendered='1']")
    assert _county_style(page, "420111")["fill"] == RED
    _shot(page, "overview-after-override")

    # A click on a county opens its page.
    box = page.evaluate("""() => {
        const el = document.getElementById('risk-map');
        const i = el.data[0].locations.indexOf('420606');
        const r = el.querySelectorAll('.choroplethlayer .trace:first-child path')[i]
            .getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2];
    }""")
    page.mouse.click(box[0], box[1])
    page.wait_for_url(base + "/risk/areas/420606/")

    # Revocation with its reason: the published level is in force again.
    page.goto(base + "/risk/areas/420111/")
    page.click("[data-testid=revoke-open]")
    page.fill("[data-testid=revoke-reason]", "复核：社区传播已阻断")
    page.click("[data-testid=revoke-submit]")
    page.wait_for_url(base + "/risk/areas/420111/")
    assert page.locator("[data-testid=override-row][data-state=revoked]").count() == 1
    assert page.locator("[data-testid=area-level]").inner_text() == "低风险"
    _shot(page, "override-revoked")

    # The day's changes: 武昌区 went up from medium, 珞南街道 appeared as medium.
    page.goto(base + "/risk/changes/")
    up = page.locator("[data-testid=up-table] [data-testid=change-row]")
    assert [up.nth(i).get_attribute("data-code") for i in range(up.count())] == [
        "420106", "420111001"]
    _shot(page, "changes")
    # The refused form answered 422 on purpose; the browser logs that, nothing else is wrong.
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]
    assert_no_problems(page)


def test_national_map(page: Any, live_server: Any,  # noqa: F811
                      live_db: None) -> None:  # noqa: F811
    """The nation's map: every county drawn, the risk counties of two provinces coloured and
    dotted, the rollup of both provinces."""
    from shouwang.accounts.roles import Role
    from tests.factories import ensure_sample_divisions, make_user
    from tests.risk.levels_factory import publish_levels
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    publish_levels(timezone.localdate(), {"420106": "high", "430102": "medium"})
    nation = make_user(Role.NATIONAL_OFFICER, "000000", username="nation-browser")
    session = logged_in(nation).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session,
                               "url": live_server.url}])
    page.goto(live_server.url + "/risk/")
    page.wait_for_selector("#risk-map[data-rendered='1']", timeout=30000)
    assert page.evaluate("document.getElementById('risk-map').data[0].locations.length") > 2000
    assert _county_style(page, "420106")["fill"] == RED
    assert _county_style(page, "430102")["fill"] == ORANGE
    assert page.locator("#risk-map .scattergeo .point").count() == 2
    assert page.locator("[data-testid=rollup-row]").count() == 2
    _shot(page, "overview-nation")
    assert_no_problems(page)
