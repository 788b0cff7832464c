"""The rules and thresholds pages in headless Chromium: a parameter error shown by name beside
the JSON field, a new version saved, the lines table with the form (a 375 px phone too).
Screenshots in /tmp/shots-rules/."""

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
SHOTS = Path("/tmp/shots-rules")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_rules_form_and_thresholds(page: Any, live_server: Any,  # noqa: F811
                                   live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from shouwang.livelihood.models import MonitoringRuleSet, MonitoringThreshold
    from tests.factories import ensure_sample_divisions, make_user
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    cadre = make_user(Role.LIVELIHOOD_CADRE, "420000", username="lh-rules-browser")
    session = logged_in(cadre).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    base = live_server.url

    page.goto(base + "/livelihood/rules/")
    assert page.locator("[data-testid=nav-livelihood-rules]").count() == 1
    assert page.locator("[data-testid=rules-row][data-status=in_force]").count() == 1
    _shot(page, "rules-list")
    assert_no_problems(page)

    page.click("[data-testid=rules-add]")
    page.fill("[data-testid=field-code]", "hb-browser")
    page.fill("[data-testid=field-name]", "湖北省监测规则")
    page.fill("[data-testid=field-scope]", "420000")
    page.fill("[data-testid=field-params]", '{"drop_pct": 130, "shock_months": 0}')
    page.click("[data-testid=rules-save]")
    page.wait_for_selector("[data-testid=error-param][data-param=drop_pct]")
    assert "应为 0 到 100 之间的数" in page.locator(
        "[data-testid=error-param][data-param=drop_pct]").inner_text()
    assert page.locator("[data-testid=error-param][data-param=shock_months]").count() == 1
    _shot(page, "rules-form-errors")
    # The refused form answers 422 (on purpose); nothing else may complain.
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]
    page.fill("[data-testid=field-params]", '{"drop_pct": 25}')
    page.click("[data-testid=rules-save]")
    page.wait_for_selector("[data-testid=rules-description]")
    assert "下降 25% 及以上" in page.locator("[data-testid=rules-description]").inner_text()
    assert MonitoringRuleSet.objects.filter(code="hb-browser", version=1).exists()
    _shot(page, "rules-detail")
    assert_no_problems(page)

    page.goto(base + "/livelihood/thresholds/")
    page.fill("[data-testid=field-year]", "2026")
    page.fill("[data-testid=field-poverty-line]", "0")
    page.click("[data-testid=threshold-save]")
    page.wait_for_selector("[data-testid=error-poverty-line]")
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]
    page.fill("[data-testid=field-poverty-line]", "4400")
    page.click("[data-testid=threshold-save]")
    page.wait_for_selector("[data-testid=threshold-row][data-year='2026']")
    assert MonitoringThreshold.objects.get(year=2026, province_code="420000").amount == 6600
    assert "6600" in page.locator("[data-testid=threshold-table]").inner_text()
    _shot(page, "thresholds")
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    _shot(page, "thresholds-phone")
    assert_no_problems(page)
