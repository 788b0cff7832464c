"""The alert workflow in a real browser: inbox → alert page (chart drawn) → start verification →
dismiss with a reason; the notifications page. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.warning.models import Alert, Method
from shouwang.warning.services.notify import notify_alert
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    ARTIFACTS,
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    no_horizontal_scroll,
    page,
    phone,
)
from tests.factories import make_user
from tests.warning.factories import make_aberration_series, make_alert

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


def _shot(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"warning-{name}.png"), full_page=True)


def test_inbox_detail_verify_dismiss(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    officer = make_user(Role.COUNTY_OFFICER, "420106", username="wuchang",
                        display_name="武昌核实员")
    make_user(Role.COUNTY_OFFICER, "420111", username="hongshan")
    today = timezone.localdate()
    alert = make_alert("420106", day=today - timedelta(days=1), observed=17, expected=4.2,
                       threshold=9.8, raised_at=timezone.now() - timedelta(hours=30))
    make_aberration_series(alert)
    make_alert("420106", day=today - timedelta(days=3), method=Method.FARRINGTON,
               observed=25, expected=9.1, threshold=18.4,
               details={"observed": 25, "expected": 9.1, "upperbound": 18.4,
                        "week_start": (today - timedelta(days=9)).isoformat(),
                        "week_end": (today - timedelta(days=3)).isoformat()})
    make_alert("420111", day=today - timedelta(days=1))  # a sibling county's: not shown
    notify_alert(alert, "new_alert")

    log_in(page, live_server.url, officer.username)
    page.click("[data-testid=nav-warning-alerts]")
    page.wait_for_selector("[data-testid=alert-table]")
    assert page.locator("[data-testid=alert-row]").count() == 2
    assert page.locator("[data-testid=overdue-tag]").count() == 1
    assert page.locator("[data-testid=unread-badge]").inner_text() == "1"
    assert "C3 连续 3 天超过阈值" in page.content()
    _shot(page, "alerts-inbox")

    page.click(f"[data-testid=alert-row] a[href='/warning/alerts/{alert.pk}/']")
    page.wait_for_selector("#alert-chart .plot-container svg")
    _shot(page, "alert-detail")
    assert page.locator("#alert-chart g.trace.bars").count() == 1
    # Day ticks as month-day numbers: Plotly would write month names in English.
    ticks = page.locator("#alert-chart g.xtick text").all_text_contents()
    assert ticks and all(re.fullmatch(r"\d\d-\d\d", t) for t in ticks), ticks
    assert page.locator("[data-testid=alert-status]").inner_text() == "新预警"
    _shot(page, "alert-detail")

    page.click("[data-testid=start-submit]")
    page.wait_for_selector("[data-testid=form-confirm]")
    assert page.locator("[data-testid=alert-status]").inner_text() == "核实中"
    assert "武昌核实员" in page.locator("[data-testid=alert-assignee]").inner_text()

    page.click("[data-testid=dismiss-submit]")  # no reason: refused, field marked
    page.wait_for_selector("[data-testid=error-reason]")
    assert "请填写排除原因" in page.locator("[data-testid=error-reason]").inner_text()
    # The refusal answers 422 on purpose; the browser logs that status, which is no fault.
    refused = [p for p in page.problems if "/dismiss/" in p and "422" in p]
    assert len(refused) == 1
    page.problems.remove(refused[0])
    page.fill("[data-testid=dismiss-reason]", "学校体检集中补报，非聚集性疫情")
    page.click("[data-testid=dismiss-submit]")
    page.wait_for_selector("[data-testid=alert-dismissed-reason]")
    assert page.locator("[data-testid=alert-status]").inner_text() == "已排除"
    assert page.locator("[data-testid=history-entry]").count() == 3
    _shot(page, "alert-dismissed")
    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.status, stored.version) == ("dismissed", 3)

    page.click("[data-testid=notifications-link]")
    page.wait_for_selector("[data-testid=notification-list]")
    assert page.locator("[data-testid=notification]").count() == 1
    _shot(page, "notifications")
    page.click("[data-testid=read-all]")
    page.wait_for_selector("[data-testid=notification-list]")
    assert page.locator("[data-testid=unread-badge]").count() == 0

    page.goto(f"{live_server.url}/warning/alerts/{alert.pk}/")
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("#alert-chart .plot-container svg")
    assert page.locator("[data-testid=alert-status]").inner_text() == "Dismissed"
    assert "C3 above the threshold" in page.locator("[data-testid=alert-reason]").inner_text() \
        or "C3" in page.locator("[data-testid=alert-reason]").inner_text()
    _shot(page, "alert-dismissed-en")
    page.goto(f"{live_server.url}/warning/alerts/")
    _shot(page, "alerts-inbox-en")
    assert_no_problems(page)


def test_on_a_phone(
    phone: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    officer = make_user(Role.COUNTY_OFFICER, "420106", username="wuchang")
    alert = make_alert("420106", raised_at=timezone.now() - timedelta(hours=30))
    make_aberration_series(alert)
    log_in(phone, live_server.url, officer.username)
    phone.goto(f"{live_server.url}/warning/alerts/")
    phone.wait_for_selector("[data-testid=alert-table]")
    assert no_horizontal_scroll(phone)
    _shot(phone, "alerts-inbox-phone")
    phone.goto(f"{live_server.url}/warning/alerts/{alert.pk}/")
    phone.wait_for_selector("#alert-chart .plot-container svg")
    assert no_horizontal_scroll(phone)
    _shot(phone, "alert-detail-phone")
    assert_no_problems(phone)


def test_the_disease_list_survives_the_live_server_flush(transactional_db: None) -> None:
    """Transactional like the browser test, so it runs right after it and sees its flush."""
    from shouwang.surveillance.models import Disease
    from shouwang.surveillance.services.diseases import read_disease_file

    assert Disease.objects.count() == len(read_disease_file())
