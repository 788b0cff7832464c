"""The public risk map in headless Chromium, on a desktop and a 375×812 phone: the national map
renders every county filled by its level, a click (tap) on a province zooms into it with its
finer file and puts it in the URL, a county shows its name, level and since-when, the back
button zooms out, the lists show. Screenshots in /tmp/shots-public/."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    _new_page,
    assert_no_problems,
    browser,
    live_db,
    no_horizontal_scroll,
    page,
)
from tests.factories import ensure_sample_divisions
from tests.risk.levels_factory import publish_levels

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-public")
DAY = date(2026, 2, 10)


def _shot(tab: Any, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _publish() -> None:
    ensure_sample_divisions()
    publish_levels(DAY, {"420106": "high", "420111": "medium", "420606": "medium",
                         "430102": "medium", "420111001": "high"},
                   since={"420106": DAY - timedelta(days=3)})


def _centre(tab: Any, selector: str) -> tuple[float, float]:
    box = tab.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _check_map(tab: Any, base: str, name: str, touch: bool) -> None:
    tab.goto(f"{base}/public/risk/?date={DAY.isoformat()}")
    tab.wait_for_selector("#risk-map[data-rendered='1']")
    assert tab.locator("#risk-map .counties path").count() > 2800
    assert tab.locator("#risk-map .counties path.lv-h").count() == 1
    assert tab.locator("#risk-map .counties path.lv-m").count() == 3
    assert tab.locator("#risk-map .lines path").count() == 1
    assert tab.locator("[data-testid=count-high]").inner_text() == "1"
    assert "武昌区" in tab.locator("[data-testid=list-high]").inner_text()
    _shot(tab, f"{name}-national")

    # A click (tap) inside Hubei zooms into it: finer file, URL, panel.
    x, y = _centre(tab, "#risk-map .provinces path[data-p='42']")
    if touch:
        tab.touchscreen.tap(x, y)
    else:
        tab.mouse.click(x, y)
    tab.wait_for_selector("#risk-map[data-zoomed='42'] .fine path[data-c='420106']")
    tab.wait_for_url(f"{base}/public/risk/42/?date={DAY.isoformat()}")
    tab.wait_for_selector("[data-testid=scope-name]:has-text('湖北省')")
    assert tab.locator("[data-testid=map-back]").is_visible()
    assert tab.locator("#risk-map .fine path").count() == 103   # Hubei's counties

    # A county shows its name, level and since-when.
    x, y = _centre(tab, "#risk-map .fine path[data-c='420106']")
    if touch:
        tab.touchscreen.tap(x, y)
    else:
        tab.mouse.move(x, y)
    tab.wait_for_selector("#map-tip[data-code='420106']:not([hidden])")
    tip = tab.locator("#map-tip").inner_text()
    assert "武昌区" in tip and "高风险" in tip and "2026-02-07" in tip
    _shot(tab, f"{name}-hubei", full_page=False)

    # Back to the nation.
    tab.click("[data-testid=map-back]")
    tab.wait_for_url(f"{base}/public/risk/?date={DAY.isoformat()}")
    tab.wait_for_selector("#risk-map[data-rendered='1']:not([data-zoomed])")
    tab.wait_for_selector("[data-testid=scope-name]:has-text('全国')")
    assert not tab.locator("[data-testid=map-back]").is_visible()

    if not touch:
        # The browser's own back and forward buttons zoom in and out again.
        tab.go_back()
        tab.wait_for_selector("#risk-map[data-zoomed='42'] .fine path")
        tab.go_forward()
        tab.wait_for_selector("#risk-map[data-rendered='1']:not([data-zoomed])")
        # The wheel zooms around the pointer.
        width = float(tab.evaluate(
            "document.querySelector('#risk-map svg').viewBox.baseVal.width"))
        x, y = _centre(tab, "#risk-map svg")
        tab.mouse.move(x, y)
        tab.mouse.wheel(0, -400)
        tab.wait_for_timeout(100)
        assert float(tab.evaluate(
            "document.querySelector('#risk-map svg').viewBox.baseVal.width")) < width * 0.8

    # The province picker zooms too (small provinces are hard to tap at 375 px).
    tab.select_option("[data-testid=map-pick]", "43")
    tab.wait_for_selector("#risk-map[data-zoomed='43'] .fine path")
    tab.wait_for_url(f"{base}/public/risk/43/?date={DAY.isoformat()}")
    tab.select_option("[data-testid=map-pick]", "")
    tab.wait_for_selector("#risk-map[data-rendered='1']:not([data-zoomed])")

    # The shared URL opens the province zoomed.
    tab.goto(f"{base}/public/risk/43/?date={DAY.isoformat()}")
    tab.wait_for_selector("#risk-map[data-zoomed='43'] .fine path[data-c='430102']")
    assert "芙蓉区" in tab.locator("[data-testid=list-medium]").inner_text()
    _shot(tab, f"{name}-hunan-shared")


def test_public_map_on_a_desktop(page: Any, live_server: Any,  # noqa: F811
                                 live_db: None) -> None:  # noqa: F811
    _publish()
    _check_map(page, live_server.url, "desktop", touch=False)
    page.goto(f"{live_server.url}/public/risk/areas/?date={DAY.isoformat()}")
    assert page.locator("[data-testid=areas-table] tbody tr").count() == 5
    _shot(page, "desktop-areas")
    page.goto(f"{live_server.url}/public/risk/search/?q=武昌&date={DAY.isoformat()}")
    assert "高风险" in page.locator("[data-testid=search-results]").inner_text()
    _shot(page, "desktop-search")
    page.goto(f"{live_server.url}/public/risk/?date=2026-02-31")
    assert "日期" in page.locator("[data-testid=pub-error]").inner_text()
    _shot(page, "desktop-error")
    page.problems.clear()   # the 400 above is logged by the browser as a failed resource
    page.goto(f"{live_server.url}/public/risk/")
    assert page.locator("[data-testid=risky-day-link]").count() == 1
    assert_no_problems(page)


def test_public_map_on_a_phone(browser: Any, request: pytest.FixtureRequest,  # noqa: F811
                               live_server: Any, live_db: None) -> None:  # noqa: F811
    _publish()
    for tab in _new_page(browser, request, viewport={"width": 375, "height": 812},
                         device_scale_factor=2, is_mobile=True, has_touch=True):
        _check_map(tab, live_server.url, "phone", touch=True)
        assert no_horizontal_scroll(tab)
        tab.goto(f"{live_server.url}/public/risk/areas/?date={DAY.isoformat()}")
        assert no_horizontal_scroll(tab)
        _shot(tab, "phone-areas")
        assert_no_problems(tab)
