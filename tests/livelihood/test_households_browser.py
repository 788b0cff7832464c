"""The household registry pages in headless Chromium: the village list with its status chart,
a household's stacked income chart and shocks timeline, and the income form refusing a negative
wage. Screenshots in /tmp/shots-households/."""

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
SHOTS = Path("/tmp/shots-households")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_village_list_detail_and_income_form(page: Any, live_server: Any,  # noqa: F811
                                             live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from shouwang.livelihood.models import IncomeRecord
    from tests.factories import ensure_sample_divisions, make_user
    from tests.livelihood.factories import make_household
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    cadre = make_user(Role.LIVELIHOOD_CADRE, "420111001", username="lh-browser")
    h = make_household("420111001", household_number="BR-001", members=4, actor=cadre,
                       incomes={2023: {"wages": 20000, "operating": 3000, "transfer": 1500},
                                2024: {"wages": 12000, "operating": -800, "transfer": 2500},
                                2025: {"wages": 18000, "property": 400, "transfer": 3000}},
                       shocks=[{"kind": "migrant_interrupted", "occurred_on": "2025-02-01",
                                "amount": 9000, "description": "疫情期间停工"},
                               {"kind": "medical", "occurred_on": "2025-09-10", "amount": 15000}])
    for _ in range(3):
        make_household("420111001", members=2, actor=cadre)
    session = logged_in(cadre).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    base = live_server.url

    page.goto(base + "/livelihood/households/?division=420111001")
    page.wait_for_selector("#lh-status-chart[data-rendered='1']")
    assert page.locator("[data-testid=household-table] tbody tr").count() == 4
    assert "BR-001" in page.locator("[data-testid=household-table]").inner_text()
    assert page.locator("[data-testid=nav-livelihood-households]").count() == 1
    _shot(page, "village-list")
    assert_no_problems(page)

    page.goto(f"{base}/livelihood/households/{h.pk}/")
    page.wait_for_selector("#lh-income-chart[data-rendered='1']")
    traces = page.evaluate("document.getElementById('lh-income-chart').data.length")
    assert traces == 4
    timeline = page.locator("[data-testid=shock-timeline]").inner_text()
    assert "外出务工受疫情影响中断" in timeline and "大额医疗支出" in timeline
    page.locator("[data-testid=income-form]").evaluate("f => f.closest('details').open = true")
    _shot(page, "household-detail-form")
    page.fill("[data-testid=income-form] input[name=year]", "2025")
    page.select_option("[data-testid=income-form] select[name=component]", "wages")
    page.fill("[data-testid=income-form] input[name=amount]", "-100")
    page.click("[data-testid=income-form] button[type=submit]")
    page.wait_for_selector("[data-testid=error-amount]")
    assert "不能为负数" in page.locator("[data-testid=error-amount]").inner_text()
    assert IncomeRecord.objects.get(household=h, year=2025, component="wages").amount == 18000
    _shot(page, "household-detail")
