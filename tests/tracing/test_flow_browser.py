"""The page "输入与外溢" in a real browser: the flow map's arcs between division centroids, the
countries of origin as bars, the tables; no console error (the map fetches nothing outside).
Screenshots go to test-artifacts/ (and /tmp/shots-flows/ when SHOUWANG_SCREENSHOTS=1)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

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

DAY = date(2026, 3, 2)


def _shot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"tracing-{name}.png"), full_page=True)
    if os.environ.get("SHOUWANG_SCREENSHOTS") == "1":
        out = Path("/tmp/shots-flows")
        out.mkdir(exist_ok=True)
        tab.screenshot(path=str(out / f"{name}.png"), full_page=True)


def test_the_flow_page_draws_arcs_and_countries(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from shouwang.accounts.roles import Role
    from shouwang.tracing.services.links import links_confirm_bulk
    from tests.factories import make_user
    from tests.tracing.cases import make_case

    city = make_user(Role.CITY_OFFICER, "420100", username="wuhan-flows")
    for origin in ("430102", "430102", "430102", "420606"):
        make_case("420106", onset=DAY, imported=True, origin_division_code=origin)
    make_case("420111", onset=DAY, imported=True, origin_division_code="420106")
    for country in ("SGP", "SGP", "USA"):
        make_case("420111", onset=DAY, imported=True, origin_country=country)
    a = make_case("430102", onset=DAY - timedelta(days=8))
    b = make_case("420106", onset=DAY - timedelta(days=4))
    c = make_case("420111", onset=DAY)
    links_confirm_bulk(actor=make_user(Role.NATIONAL_OFFICER, "000000", username="nation"),
                       pairs=[(a, b), (b, c)])

    base = live_server.url
    log_in(page, base, city.username)
    page.click("[data-testid=nav-tracing-flows]")
    page.wait_for_url(base + "/tracing/flows/")
    page.wait_for_selector("#flow-map[aria-busy=false]", state="attached")
    page.wait_for_selector("#flow-countries g.trace.bars")
    # Arcs: 长沙市芙蓉区 → 武昌区, 襄阳市樊城区 → 武昌区, 武昌区 → 洪山区 (imported), and the
    # links 芙蓉区 → 武昌区 → 洪山区: two traces each (the line, its hover point).
    arcs = page.eval_on_selector(
        "#flow-map", "el => el.data.filter(t => t.type === 'scattergeo' "
                     "&& t.mode === 'lines+markers').length")
    assert arcs == 5, arcs
    assert page.locator("[data-testid=flow-map-loading]").count() == 0
    assert page.locator("[data-testid=flows-imported] tbody tr").count() == 3
    assert page.locator("[data-testid=flows-spread] tbody tr").count() == 2
    assert "新加坡" in page.locator("[data-testid=flows-countries]").inner_text()
    _shot(page, "flows")
    assert_no_problems(page)

    # The province level joins Wuhan's counties: only the flows from other cities remain.
    page.select_option("select[name=level]", "prefecture")
    page.click("[data-testid=flows-filters] button[type=submit]")
    page.wait_for_selector("#flow-map[aria-busy=false]", state="attached")
    assert page.locator("[data-testid=flows-imported] tbody tr").count() == 2
    _shot(page, "flows-prefecture")
    assert_no_problems(page)
