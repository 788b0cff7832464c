"""The public pages in English and one area's page, in headless Chromium on a desktop and a
375×812 phone: the English map names counties and provinces in English (tooltip, picker,
lists), the lists give each area's reason and link its page, and the area page shows its level,
reason, rule set and the step chart of its last 90 days. Screenshots in /tmp/shots-public2/."""

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
SHOTS = Path("/tmp/shots-public2")
DAY = date(2026, 2, 10)


def _shot(tab: Any, name: str, full_page: bool = True) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _publish() -> None:
    ensure_sample_divisions()
    publish_levels(DAY - timedelta(days=30), {})
    publish_levels(DAY - timedelta(days=20), {"420106": "medium"})
    publish_levels(DAY - timedelta(days=12), {"420106": "high", "420111001": "high"})
    publish_levels(DAY, {"420106": "high", "420111": "medium", "430102": "medium",
                         "420111001": "high"}, since={"420106": DAY - timedelta(days=12)})


def _english(tab: Any, base: str) -> None:
    tab.context.add_cookies([{"name": "django_language", "value": "en", "url": base}])


def _centre(tab: Any, selector: str) -> tuple[float, float]:
    box = tab.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


INSIDE = """(selector) => {
    const path = document.querySelector(selector), r = path.getBoundingClientRect(), hits = [];
    for (let i = 1; i < 40; i++) for (let j = 1; j < 40; j++) {
        const x = r.left + r.width * i / 40, y = r.top + r.height * j / 40;
        const ok = (dx, dy) => document.elementFromPoint(x + dx, y + dy) === path;
        if (ok(0, 0) && ok(1, 0) && ok(-1, 0) && ok(0, 1) && ok(0, -1)) hits.push([x, y]);
    }
    return hits[Math.floor(hits.length / 2)]; }"""


def _inside(tab: Any, selector: str) -> tuple[float, float]:
    """A point well inside the shape (a small county's box centre may be its neighbour's)."""
    found = tab.evaluate(INSIDE, selector)
    assert found, selector
    return float(found[0]), float(found[1])


def _check_english_map(tab: Any, base: str, name: str, touch: bool) -> None:
    _english(tab, base)
    tab.goto(f"{base}/public/risk/?date={DAY.isoformat()}")
    tab.wait_for_selector("#risk-map[data-rendered='1']")
    high = tab.locator("[data-testid=list-high]").inner_text()
    assert "Wuchang Qu" in high and "Wuhan Shi, Hubei Sheng" in high
    assert "cn-county-2020" in high
    assert "Hubei Sheng" in tab.locator("[data-testid=map-pick]").inner_text()
    _shot(tab, f"{name}-en-national")
    tab.select_option("[data-testid=map-pick]", "42")
    tab.wait_for_selector("#risk-map[data-zoomed='42'] .fine path[data-c='420106']")
    tab.locator("#risk-map").scroll_into_view_if_needed()
    x, y = _inside(tab, "#risk-map .fine path[data-c='420111']")   # 洪山区, larger
    if touch:
        tab.touchscreen.tap(x, y)
    else:
        tab.mouse.move(x, y)
    tab.wait_for_selector("#map-tip[data-code='420111']:not([hidden])")
    tip = tab.locator("#map-tip").inner_text()
    assert "Hongshan Qu" in tip and "Medium risk" in tip and "洪山" not in tip
    tab.wait_for_selector("[data-testid=scope-name]:has-text('Hubei Sheng')")
    _shot(tab, f"{name}-en-hubei", full_page=False)


def _fits(tab: Any, phone: bool) -> bool:
    """No horizontal scroll; on the phone, the page no wider than its 375 px (a mobile browser
    widens its layout viewport to the content, which no_horizontal_scroll alone misses)."""
    wide = int(tab.evaluate("document.documentElement.scrollWidth"))
    return no_horizontal_scroll(tab) and (not phone or wide <= 375)


def _check_area(tab: Any, base: str, name: str, phone: bool = False) -> None:
    tab.goto(f"{base}/public/risk/areas/?date={DAY.isoformat()}")
    assert tab.locator("[data-testid=area-reason]").count() == 4
    assert _fits(tab, phone)
    _shot(tab, f"{name}-areas")
    tab.locator("[data-testid=areas-table] tr[data-code='420106'] a").click()
    tab.wait_for_url(f"{base}/public/risk/areas/420106/?date={DAY.isoformat()}")
    assert tab.locator("[data-testid=area-chart] svg").is_visible()
    assert tab.locator("[data-testid=area-chart] rect.run").count() == 3
    assert tab.locator("[data-testid=area-changes] tbody tr").count() == 3
    assert tab.locator("[data-testid=area-rule]").inner_text().strip()
    assert _fits(tab, phone)
    _shot(tab, f"{name}-area")


def test_english_map_and_area_page_on_a_desktop(page: Any, live_server: Any,  # noqa: F811
                                                live_db: None) -> None:  # noqa: F811
    _publish()
    page.goto(f"{live_server.url}/public/risk/?date={DAY.isoformat()}")
    page.wait_for_selector("#risk-map[data-rendered='1']")
    assert "武昌区" in page.locator("[data-testid=list-high]").inner_text()
    _check_area(page, live_server.url, "desktop-zh")
    _check_english_map(page, live_server.url, "desktop", touch=False)
    _check_area(page, live_server.url, "desktop-en")
    assert "Wuchang Qu" in page.locator("[data-testid=area-name]").inner_text()
    assert_no_problems(page)


def test_english_map_and_area_page_on_a_phone(browser: Any,  # noqa: F811
                                              request: pytest.FixtureRequest,
                                              live_server: Any,
                                              live_db: None) -> None:  # noqa: F811
    _publish()
    for tab in _new_page(browser, request, viewport={"width": 375, "height": 812},
                         device_scale_factor=2, is_mobile=True, has_touch=True):
        _check_area(tab, live_server.url, "phone-zh", phone=True)
        _check_english_map(tab, live_server.url, "phone", touch=True)
        assert _fits(tab, phone=True)
        _check_area(tab, live_server.url, "phone-en", phone=True)
        assert_no_problems(tab)
