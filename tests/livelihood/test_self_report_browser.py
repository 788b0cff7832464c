"""The household's own report on a 375×812 phone in headless Chromium (no login): a mismatch
shows the one message and keeps the answers, the right suffix stores the report; no horizontal
scroll. And the cadre's signal list with the overdue badge on a desktop. Screenshots in
/tmp/shots-signals/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    _new_page,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    no_horizontal_scroll,
    page,
)
from tests.factories import ensure_sample_divisions
from tests.livelihood.signals_data import household_with_head, resident_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-signals")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_self_report_on_a_phone(browser: Any, request: pytest.FixtureRequest,  # noqa: F811
                                live_server: Any, live_db: None) -> None:  # noqa: F811
    from shouwang.livelihood.models import Signal

    cache.clear()
    ensure_sample_divisions()
    household_with_head("H-1")
    for tab in _new_page(browser, request, viewport={"width": 375, "height": 812},
                         device_scale_factor=2, is_mobile=True, has_touch=True):
        tab.goto(f"{live_server.url}/livelihood/report/")
        assert tab.locator("[data-testid=report-form]").is_visible()
        assert no_horizontal_scroll(tab)
        _shot(tab, "phone-empty")
        day = (timezone.localdate() - timedelta(days=3)).isoformat()
        tab.fill("[data-testid=f-number]", "H-1")
        tab.fill("[data-testid=f-suffix]", "000000")
        tab.select_option("[data-testid=f-kind]", "medical")
        tab.fill("[data-testid=f-when]", day)
        tab.fill("[data-testid=f-amount]", "23000")
        tab.fill("[data-testid=f-text]", "父亲住院做手术，自付两万多元")
        tab.tap("[data-testid=report-submit]")
        message = tab.locator("[data-testid=report-message]")
        assert "户编号或户主身份证号后六位不正确" in message.inner_text()
        assert tab.input_value("[data-testid=f-text]") == "父亲住院做手术，自付两万多元"
        assert no_horizontal_scroll(tab)
        _shot(tab, "phone-mismatch")
        tab.fill("[data-testid=f-suffix]", resident_id(1)[-6:])
        tab.tap("[data-testid=report-submit]")
        tab.wait_for_selector("[data-testid=report-done]")
        assert no_horizontal_scroll(tab)
        _shot(tab, "phone-done")
        # The mismatch answers 422 on purpose (the form with its message); nothing else.
        tab.problems[:] = [p for p in tab.problems if "status of 422" not in p]
        assert_no_problems(tab)
    signal = Signal.objects.get()
    assert signal.source == "self_report" and signal.shock is not None
    assert signal.shock.amount == 23000


def test_signal_list_with_the_overdue_badge(page: Any, live_server: Any,  # noqa: F811
                                            live_db: None) -> None:  # noqa: F811
    from shouwang.accounts.roles import Role
    from shouwang.livelihood.services.signals import signal_receive
    from tests.factories import make_user
    from tests.livelihood.monitoring_data import at_risk

    ensure_sample_divisions()
    make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-browser")
    household, _ = household_with_head("H-1")
    # Identifying it opens a flag, which the rules must back (income below the line).
    at_risk(household)
    signal_receive(source="self_report", household=household, summary="农户自主申报：大额医疗支出",
                   details={}, received_at=timezone.now() - timedelta(days=17))
    signal_receive(source="surveillance", household=household, summary="家庭成员为重型病例",
                   details={})
    log_in(page, live_server.url, "lh-browser")
    page.goto(f"{live_server.url}/livelihood/signals/")
    assert page.locator("[data-testid=overdue-badge]").inner_text() == "1"
    assert page.locator("[data-testid=signal-row]").count() == 2
    _shot(page, "desktop-list")
    page.click("[data-testid=tab-overdue]")
    page.wait_for_url("**tab=overdue")
    assert page.locator("[data-testid=signal-row]").count() == 1
    page.click("[data-testid=signal-row] a")
    page.check("[data-testid=decide-identified]")
    page.fill("[data-testid=decide-reason]", "医疗支出超过家庭年收入一半")
    page.click("[data-testid=decide-submit]")
    page.wait_for_selector("[data-testid=signal-status]:has-text('已纳入监测')")
    _shot(page, "desktop-decided")
    assert_no_problems(page)
