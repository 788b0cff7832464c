"""The flag's page in headless Chromium: the income chart against the line, adding a measure,
the elimination refused before the required period (the reason shown), and the page on a
375 px phone. Screenshots in /tmp/shots-flag/."""

from __future__ import annotations

from collections.abc import Iterator
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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-flag")


@pytest.fixture
def phone375(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:  # noqa: F811
    yield from _new_page(browser, request, viewport={"width": 375, "height": 812},
                         device_scale_factor=2, is_mobile=True, has_touch=True)


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(tab: Any, live_server: Any, user: Any) -> None:
    from tests.risk.test_levels_pages import logged_in

    session = logged_in(user).cookies["sessionid"].value
    tab.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])


def test_measure_added_and_elimination_refused(page: Any, phone375: Any,  # noqa: F811
                                               live_server: Any, live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from shouwang.livelihood.models import AssistanceMeasure, FlagStatus
    from tests.factories import ensure_sample_divisions, make_user
    from tests.livelihood.assistance_data import recovering_household

    ensure_sample_divisions()
    cadre = make_user(Role.LIVELIHOOD_CADRE, "420111001", username="lh-flag-browser")
    _household, flag = recovering_household(good_months=3, household_number="BR-FLAG-1",
                                            actor=cadre)
    _login(page, live_server, cadre)
    url = f"{live_server.url}/livelihood/flags/{flag.pk}/"

    page.goto(url)
    page.wait_for_selector("#lh-flag-income-chart[data-rendered='1']")
    assert page.evaluate("document.getElementById('lh-flag-income-chart').data.length") == 3
    assert page.locator("[data-testid=elimination-progress]").get_attribute(
        "aria-valuenow") == "3"

    page.locator("[data-testid=measure-form]").evaluate("f => f.closest('details').open = true")
    page.select_option("[data-testid=measure-form] select[name=category]", "employment")
    page.fill("[data-testid=measure-form] input[name=description]", "公益性岗位：护林员")
    page.fill("[data-testid=measure-form] input[name=amount]", "800")
    page.click("[data-testid=measure-submit]")
    page.wait_for_url("**#measures")
    assert "公益性岗位：护林员" in page.locator("[data-testid=measure-table]").inner_text()
    assert "帮扶措施已登记" in page.locator(".messages").inner_text()
    assert AssistanceMeasure.objects.get(flag=flag).responsible == cadre

    assert_no_problems(page)
    page.fill("[data-testid=eliminate-form] textarea[name=evidence_note]",
              "入户核实：务工收入恢复，保障落实。")
    page.click("[data-testid=eliminate-submit]")
    page.wait_for_selector("[data-testid=error-elimination]")
    page.wait_for_selector("#lh-flag-income-chart[data-rendered='1']")
    refusal = page.locator("[data-testid=error-elimination]").inner_text()
    assert "连续 3 个月" in refusal and "需连续 6 个月" in refusal and "最早可于" in refusal
    flag.refresh_from_db()
    assert flag.status == FlagStatus.MONITORING
    # The note typed is kept for the next try.
    assert "务工收入恢复" in page.locator(
        "[data-testid=eliminate-form] textarea[name=evidence_note]").input_value()
    page.locator("[data-testid=elimination-panel]").scroll_into_view_if_needed()
    _shot(page, "flag-refused")
    # The refusal answers 422 (the browser logs it); nothing else went wrong.
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]
    assert_no_problems(page)

    _login(phone375, live_server, cadre)
    phone375.goto(url)
    phone375.wait_for_selector("#lh-flag-income-chart[data-rendered='1']")
    assert no_horizontal_scroll(phone375)
    _shot(phone375, "flag-375")
    assert_no_problems(phone375)
