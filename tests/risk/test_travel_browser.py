"""The rule and travel pages in headless Chromium: the rule list, the travel table and the
checker (a township of a medium county → medium, with the measures), the policy form refusing
a quarantine without its kind and then saving, and the public checker on a phone. Screenshots
in /tmp/shots-rules/ (decision 1120)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shouwang.risk.models import TravelPolicy
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    no_horizontal_scroll,
    page,
    phone,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-rules")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_rules_travel_table_checker_and_form(page: Any, live_server: Any,  # noqa: F811
                                             live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from tests.factories import ensure_sample_divisions, make_user
    from tests.risk.levels_factory import publish_levels
    from tests.risk.test_rulesets_pages import _client

    ensure_sample_divisions()
    publish_levels(timezone.localdate(), {"420111": "medium"})
    hubei = make_user(Role.PROVINCIAL_OFFICER, "420000", username="hubei-rules")
    session = _client(hubei).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    base = live_server.url

    page.goto(base + "/risk/rules/")
    rows = page.locator("[data-testid=ruleset-row]")
    assert rows.count() == 2
    assert page.locator("[data-testid=status-in-force]").count() == 2
    _shot(page, "rules-list")
    page.locator("[data-testid=ruleset-row] a").first.click()
    page.wait_for_selector("[data-testid=ruleset-description]")
    assert "窗口期 14 天" in page.locator("[data-testid=ruleset-description]").inner_text()
    _shot(page, "rules-detail")

    page.goto(base + "/risk/rules/new/")
    page.fill("[data-testid=field-code]", "hb-subcounty")
    page.fill("[data-testid=field-name]", "湖北乡镇风险等级标准")
    page.fill("[data-testid=field-scope]", "420000")
    page.fill("[data-testid=field-params]", '{"window_days": 0, "high_threshold": 10}')
    page.click("[data-testid=ruleset-save]")
    error = page.locator("[data-testid=error-param]")
    error.wait_for()
    assert "params.window_days" in error.inner_text()
    _shot(page, "rules-form-error")
    page.fill("[data-testid=field-params]", '{"window_days": 14, "high_threshold": 10}')
    page.click("[data-testid=ruleset-save]")
    page.wait_for_selector("[data-testid=ruleset-description]")
    assert "超过 10 例" in page.locator("[data-testid=ruleset-description]").inner_text()

    page.goto(base + "/risk/travel/")
    assert page.locator("[data-testid=travel-table] td").count() == 9
    page.fill("[data-testid=check-from]", "420111001")
    page.fill("[data-testid=check-to]", "湖南省长沙市芙蓉区")
    page.click("[data-testid=check-submit]")
    answer = page.locator("[data-testid=travel-answer]")
    answer.wait_for()
    assert page.locator("[data-testid=answer-origin]").get_attribute("data-level") == "medium"
    measures = page.locator("[data-testid=answer-measures]").inner_text()
    assert "48 小时内核酸检测阴性证明" in measures and "健康监测 14 天" in measures
    _shot(page, "travel-page-check")

    page.click("[data-testid=travel-add]")
    page.wait_for_selector("[data-testid=travel-form]")
    page.fill("[data-testid=field-code]", "hb-travel")
    page.fill("[data-testid=field-name]", "入鄂出行管控")
    page.fill("[data-testid=input-medium-low-quarantine_days]", "7")
    page.click("[data-testid=travel-save]")
    error = page.locator("[data-testid=error-medium-low-quarantine_kind]")
    error.wait_for()
    assert "隔离方式" in error.inner_text()
    assert not TravelPolicy.objects.filter(code="hb-travel").exists()
    _shot(page, "travel-form-error")
    page.select_option("[name=cell-medium-low-quarantine_kind]", "home")
    page.click("[data-testid=travel-save]")
    page.wait_for_selector("[data-testid=travel-versions]")
    row = page.locator("[data-testid=travel-version-row][data-code=hb-travel]")
    assert row.get_attribute("data-status") == "scheduled"
    assert TravelPolicy.objects.get(code="hb-travel").rules.get(
        origin_level="medium", destination_level="low").quarantine_days == 7
    _shot(page, "travel-saved")
    # The refused form answered 422 on purpose; anything else in the console is a fault.
    page.problems[:] = [p for p in page.problems if "status of 422" not in p]
    assert_no_problems(page)


def test_the_public_checker_on_a_phone(phone: Any, live_server: Any,  # noqa: F811
                                       live_db: None) -> None:  # noqa: F811
    from tests.factories import ensure_sample_divisions
    from tests.risk.levels_factory import publish_levels

    ensure_sample_divisions()
    publish_levels(timezone.localdate(), {"420106": "high"})
    phone.goto(live_server.url + "/public/risk/travel/")
    phone.fill("[data-testid=check-from]", "武汉市武昌区")
    phone.fill("[data-testid=check-to]", "430102")
    phone.click("[data-testid=check-submit]")
    phone.locator("[data-testid=travel-answer]").wait_for()
    assert phone.locator("[data-testid=answer-origin]").get_attribute("data-level") == "high"
    assert "集中隔离 14 天" in phone.locator("[data-testid=answer-measures]").inner_text()
    assert no_horizontal_scroll(phone)
    _shot(phone, "public-travel-phone")
    assert_no_problems(phone)
