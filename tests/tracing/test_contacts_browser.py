"""A contact in a real browser: register it on the index case's page (instant field errors),
hand it over to the county of residence, the receiver refuses with a reason, and the sender
sees it back with that reason. Screenshots go to /tmp/shots-contacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shouwang.accounts.roles import Role
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    no_horizontal_scroll,
    page,
)
from tests.factories import ensure_sample_divisions, make_user
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import resident_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]
SHOTS = Path("/tmp/shots-contacts")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_register_hand_over_refuse_and_back_with_the_reason(
    page: Any,  # noqa: F811
    browser: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    ensure_sample_divisions()
    make_user(Role.COUNTY_OFFICER, "420106", username="wuchang", display_name="武昌流调员")
    make_user(Role.COUNTY_OFFICER, "420111", username="hongshan", display_name="洪山流调员")
    case = make_case("420106", name="王强")

    log_in(page, live_server.url, "wuchang")
    page.goto(f"{live_server.url}/tracing/cases/{case.pk}/contacts/")
    page.wait_for_selector("[data-testid=register-form]")
    page.fill("[data-testid=field-name]", "李娜")
    page.fill("[data-testid=field-id-number]", resident_id(1))
    page.fill("[data-testid=field-phone]", "12345")
    page.fill("[data-testid=field-residence]", "420111")
    page.locator("[data-testid=field-residence]").blur()
    # The phone's error shows as soon as the field is left, before submitting.
    page.wait_for_selector("[data-testid=error-phone]:not([hidden])")
    assert "手机" in page.inner_text("[data-testid=error-phone]") or page.inner_text(
        "[data-testid=error-phone]")
    _shot(page, "01-register-instant-error")
    page.fill("[data-testid=field-phone]", "13800138000")
    page.fill("[data-testid=field-last-exposure]", case.onset_date.isoformat())
    page.locator("[data-testid=field-last-exposure]").blur()
    page.wait_for_selector("[data-testid=error-phone][hidden]", state="attached")
    page.click("[data-testid=register-submit]")
    page.wait_for_selector("[data-testid=case-contact-row]")
    assert "李娜" in page.inner_text("[data-testid=case-contact-table]")
    _shot(page, "02-registered")

    page.click("[data-testid=case-contact-row] [data-testid=contact-link]")
    page.wait_for_selector("[data-testid=contact-card]")
    assert page.input_value("[data-testid=hand-over-to]") == "420111"
    page.click("[data-testid=hand-over-submit]")
    page.wait_for_selector("[data-testid=pending-hand-over]")
    _shot(page, "03-handed-over")
    assert_no_problems(page)

    # Another officer at another desk: a context of its own (cookies), in Chinese like `page`
    # (without a locale, headless Chromium asks for English).
    receiver = browser.new_context(locale="zh-CN",
                                   viewport={"width": 1280, "height": 860}).new_page()
    log_in(receiver, live_server.url, "hongshan")
    badge = receiver.locator("[data-testid=nav-badge-tracing-handovers]")
    assert badge.inner_text().strip() == "1"
    receiver.click("[data-testid=nav-tracing-handovers]")
    receiver.wait_for_selector("[data-testid=inbox-incoming] [data-testid=handover-row]")
    _shot(receiver, "04-receiver-inbox")
    receiver.click("[data-testid=inbox-incoming] [data-testid=handover-link]")
    receiver.wait_for_selector("[data-testid=form-refuse]")
    assert "李娜" in receiver.inner_text("[data-testid=handover-person]")
    receiver.click("[data-testid=refuse-submit]")
    receiver.wait_for_selector("[data-testid=error-refusal-reason]")
    receiver.fill("[data-testid=refusal-input]", "经核实该人员现住武昌区，非本区居民")
    receiver.click("[data-testid=refuse-submit]")
    receiver.wait_for_selector("[data-testid=handover-status]:has-text('已拒收')")
    _shot(receiver, "05-refused")
    receiver.close()

    page.goto(f"{live_server.url}/tracing/hand-overs/")
    returned = page.locator("[data-testid=inbox-returned] [data-testid=refusal-reason]")
    assert returned.inner_text() == "经核实该人员现住武昌区，非本区居民"
    assert no_horizontal_scroll(page)
    _shot(page, "06-sender-returned")
    page.click("[data-testid=inbox-returned] [data-testid=handover-row] td:nth-child(2) a")
    page.wait_for_selector("[data-testid=hand-over-history] [data-testid=refusal-reason]")
    # The contact is the sender's again, and may be handed over elsewhere.
    assert page.locator("[data-testid=hand-over-submit]").count() == 1
    _shot(page, "07-contact-back-with-reason")
    # A visit with fever and a positive test: the warnings and the timeline chart.
    page.fill("[data-testid=temperature]", "38.4")
    page.check("[data-testid=form-follow-up] input[value=cough]")
    page.select_option("[data-testid=test-outcome]", "positive")
    page.click("[data-testid=follow-up-submit]")
    page.wait_for_selector("#followup-chart .plot-container svg")
    assert page.locator("[data-testid=warning-positive]").count() == 1
    assert page.locator("[data-testid=warning-fever]").count() == 1
    assert page.inner_text("[data-testid=contact-status]") == "已检测待结果"
    _shot(page, "08-follow-up-chart")
    page.goto(f"{live_server.url}/tracing/contacts/")
    page.wait_for_selector("[data-testid=contact-row] [data-testid=positive-tag]")
    _shot(page, "09-contact-list")
    assert_no_problems(page)
