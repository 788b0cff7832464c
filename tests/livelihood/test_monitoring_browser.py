"""The flag list and the monitoring passes in headless Chromium (a 375 px phone and a desktop):
counts, filters, rows linking to the flag's page. Screenshots in /tmp/shots-monitoring/."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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
SHOTS = Path("/tmp/shots-monitoring")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_flag_list_and_runs(page: Any, live_server: Any,  # noqa: F811
                            live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from shouwang.livelihood.models import MonitoringThreshold
    from shouwang.livelihood.services.monitoring import monitoring_run
    from tests.factories import ensure_sample_divisions, make_user
    from tests.livelihood.factories import make_household
    from tests.risk.test_levels_pages import logged_in

    ensure_sample_divisions()
    cadre = make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-monitor-browser")
    for year, amount in ((2024, 6800), (2025, 7000)):
        MonitoringThreshold.objects.get_or_create(
            year=year, province_code="", defaults={"poverty_line": Decimal(4000),
                                                   "amount": Decimal(amount)})
    make_household("420111001", household_number="MB-001", members=3,
                   incomes={2024: {"wages": 18000}, 2025: {"wages": 15000}})
    make_household("420111001", household_number="MB-002", members=2,
                   poverty_status="lifted_out", lifted_out_year=2022,
                   incomes={2024: {"wages": 30000}, 2025: {"wages": 14000}})
    make_household("420111001", household_number="MB-003", members=2,
                   incomes={2024: {"wages": 40000}, 2025: {"wages": 40000}},
                   shocks=[{"kind": "medical", "occurred_on": "2025-11-10", "amount": 30000}])
    make_household("420111001", household_number="MB-004", members=2,
                   incomes={2024: {"wages": 40000}, 2025: {"wages": 40000}})
    run = monitoring_run(month=date(2025, 12, 1), division_prefix="420111")
    assert run.flags_opened == 3 and run.eligible == 0   # none open before
    session = logged_in(cadre).cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    base = live_server.url

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/livelihood/flags/")
    assert page.locator("[data-testid=flag-row]").count() == 3
    assert page.locator("[data-testid=count-monitoring] .n").inner_text() == "3"
    assert page.locator("[data-testid=nav-livelihood-flags]").count() == 1
    _shot(page, "flag-list-desktop")
    page.select_option("select[name=target_group]", "sudden_difficulty")
    page.click("[data-testid=flag-filters] button[type=submit]")
    page.wait_for_url("**target_group=sudden_difficulty**")
    assert page.locator("[data-testid=flag-row]").count() == 1
    assert "MB-003" in page.locator("[data-testid=flag-table]").inner_text()
    page.goto(base + "/livelihood/runs/")
    assert page.locator("[data-testid=run-row]").count() == 1
    _shot(page, "runs-desktop")
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(base + "/livelihood/flags/")
    _shot(page, "flag-list-phone")
    assert_no_problems(page)
