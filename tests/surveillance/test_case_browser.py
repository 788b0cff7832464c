"""The case pages in a real browser: the report form's instant validation (errors appear as a
field is left and clear once fixed), the division picker, submit and the report's page; the line
list's filters and paging; reclassifying from the report's page. Screenshots in test-artifacts/.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.surveillance.models import CaseReport
from shouwang.surveillance.services import cases as svc
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
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer, resident_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


def snap(tab: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"surveillance-{name}.png"), full_page=True)


def error_of(tab: Any, field: str) -> Any:
    return tab.locator(f"#err-{field}")


def test_report_form_validates_instantly_and_submits(
    page: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from tests.factories import ensure_sample_divisions

    ensure_sample_divisions()
    user = officer("420106")
    log_in(page, live_server.url, user.username)
    page.goto(live_server.url + "/surveillance/cases/new/")
    # The division picker opened at the officer's county and lists its township level (none in
    # the sample data for 武昌区, so the code field alone shows it).
    assert page.input_value("#f-division_code") == "420106"
    page.select_option("#f-disease", "covid19")
    assert "小时内报告" in page.inner_text("[data-testid=disease-hint]")
    page.select_option("#f-classification", "confirmed")

    # A mistyped check digit: the error appears when the field is left …
    wrong = ZHANG_WEI[:-1] + ("0" if ZHANG_WEI[-1] != "0" else "1")
    page.fill("#f-id_number", wrong)
    page.focus("#f-name")
    error_of(page, "id_number").wait_for(state="visible")
    assert error_of(page, "id_number").inner_text().strip()
    assert page.get_attribute("#f-id_number", "aria-invalid") == "true"
    # … the name, left empty, is told too, and nothing is said of fields not yet visited.
    page.focus("#f-phone")
    error_of(page, "name").wait_for(state="visible")
    assert error_of(page, "reporting_facility").is_hidden()
    snap(page, "case-form-errors")

    # Fixing them clears the errors; the ID number fills in the birth date and the sex.
    page.fill("#f-id_number", ZHANG_WEI)
    page.fill("#f-name", "张伟")
    page.focus("#f-phone")
    error_of(page, "id_number").wait_for(state="hidden")
    error_of(page, "name").wait_for(state="hidden")
    assert page.input_value("#f-birth_date") == "1985-03-12"
    assert page.input_value("#f-sex") == "M"

    # Dates out of order are told on the onset date.
    diagnosed = timezone.localtime(timezone.now() - timedelta(days=1))
    page.fill("#f-diagnosed_at", diagnosed.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#f-onset_date", (diagnosed + timedelta(days=1)).date().isoformat())
    page.focus("#f-phone")
    error_of(page, "onset_date").wait_for(state="visible")
    page.fill("#f-onset_date", (diagnosed - timedelta(days=2)).date().isoformat())
    page.focus("#f-phone")
    error_of(page, "onset_date").wait_for(state="hidden")

    # An address outside the county is refused as soon as it is left.
    page.fill("#f-division_code", "420111")
    page.focus("#f-phone")
    error_of(page, "division_code").wait_for(state="visible")
    assert "管辖范围" in error_of(page, "division_code").inner_text()
    page.fill("#f-division_code", "420106")
    page.focus("#f-phone")
    error_of(page, "division_code").wait_for(state="hidden")

    page.fill("#f-phone", "13800138000")
    page.fill("#f-reporting_facility", "武汉市第一医院")
    # The reporting division picker: province → city → county from the geo API.
    picker = page.locator("[data-picker]").filter(has=page.locator("#f-reporting_division_code"))
    page.wait_for_selector("[data-picker][data-ready] #f-reporting_division_code")
    # It opened at the officer's own county: 湖北省 / 武汉市 / 武昌区.
    assert picker.locator("select").nth(2).input_value() == "420106"
    picker.locator("select").nth(0).select_option("430000")
    picker.locator("select").nth(1).select_option("430100")
    assert page.input_value("#f-reporting_division_code") == "430100"
    picker.locator("select").nth(0).select_option("420000")
    picker.locator("select").nth(1).select_option("420100")
    picker.locator("select").nth(2).select_option("420106")
    assert page.input_value("#f-reporting_division_code") == "420106"
    assert picker.locator("select").nth(1).input_value() == "420100"
    snap(page, "case-form-filled")
    page.click("[data-testid=case-submit]")
    page.wait_for_url(live_server.url + "/surveillance/cases/*/")
    case = CaseReport.objects.get()
    assert page.url.endswith(f"/surveillance/cases/{case.pk}/")
    assert "已提交" in page.inner_text(".messages")
    assert page.inner_text("[data-testid=case-name]") == "张伟"
    snap(page, "case-detail")
    assert_no_problems(page)


def test_line_list_filters_and_pages_then_reclassify(
    page: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from tests.factories import ensure_sample_divisions

    ensure_sample_divisions()
    user = officer("420106")
    now = timezone.now()
    for seq in range(1, 61):
        diagnosed = now - timedelta(days=seq % 10 + 1, hours=seq)
        svc.case_report_submit(actor=user, data=case_data(
            id_number=resident_id("420106", "19800101", f"{seq:03d}"), onset_date=None,
            classification="suspected" if seq % 3 else "confirmed", name=f"病例{seq}",
            diagnosed_at=diagnosed,
            reported_at=diagnosed + timedelta(hours=30 if seq % 4 == 0 else 2)))
    log_in(page, live_server.url, user.username)
    page.click("[data-testid=nav-cases]")
    page.wait_for_url(live_server.url + "/surveillance/cases/")
    assert page.locator("[data-testid=case-row]").count() == 50
    assert "共 60 份报告" in page.inner_text("[data-testid=case-summary]")
    page.click("[data-testid=pager-next]")
    page.wait_for_url("**offset=50**")
    assert page.locator("[data-testid=case-row]").count() == 10

    # Filter: confirmed and late only.
    page.select_option("select[name=classification]", "confirmed")
    page.select_option("select[name=late]", "1")
    page.click("[data-testid=filter-submit]")
    page.wait_for_url("**late=1**")
    late_confirmed = sum(1 for s in range(1, 61) if s % 3 == 0 and s % 4 == 0)
    assert page.locator("[data-testid=case-row]").count() == late_confirmed
    assert "迟报" in page.inner_text("[data-testid=case-table]")
    snap(page, "case-list-filtered")

    # Select all on the page shows the count; then open one suspected case and reclassify it.
    page.select_option("select[name=classification]", "suspected")
    page.select_option("select[name=late]", "")
    page.click("[data-testid=filter-submit]")
    page.wait_for_url("**classification=suspected**")
    page.check("[data-select-all]")
    assert "已选 40 份" in page.inner_text("[data-selected-count]")
    # The reclassify fields show only for that action.
    assert page.locator("[data-bulk-reclassify]").first.is_hidden()
    page.select_option("[data-bulk-action]", "reclassify")
    assert page.locator("[data-bulk-reclassify]").first.is_visible()
    page.locator("[data-testid=case-row] a").first.click()
    page.wait_for_selector("[data-testid=form-reclassify]")
    form = page.locator("[data-testid=form-reclassify]")
    form.locator("select[name=classification]").select_option("confirmed")
    form.locator("input[name=reason]").fill("核酸检测阳性")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".messages")
    assert "病例分类已订正" in page.inner_text(".messages")
    assert page.inner_text("[data-testid=case-classification]") == "确诊病例"
    assert "核酸检测阳性" in page.inner_text("[data-testid=case-history]")
    snap(page, "case-detail-reclassified")
    assert_no_problems(page)


def test_timeliness_chart_and_task_countdown(
    page: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from tests.factories import ensure_sample_divisions
    from tests.surveillance.routes import _lab_result

    ensure_sample_divisions()
    now = timezone.now()
    for seq, (county, hours) in enumerate([("420106", 2), ("420106", 40), ("420111", 3)],
                                          start=1):
        diagnosed = now - timedelta(days=2, hours=seq)
        svc.case_report_submit(actor=officer(county), data=case_data(
            id_number=resident_id(county, "19800101", f"{seq:03d}"), division_code=county,
            reporting_division_code=county, onset_date=None, diagnosed_at=diagnosed,
            reported_at=diagnosed + timedelta(hours=hours)))
    _lab_result("420106")
    city = officer("420100", role="city_officer")
    log_in(page, live_server.url, city.username)
    page.click("[data-testid=nav-timeliness]")
    page.wait_for_selector("#timeliness-chart .plot-container svg")
    assert page.locator("#timeliness-chart g.trace.bars").count() == 1
    assert page.locator("[data-testid=timeliness-row]").count() >= 2
    snap(page, "timeliness")
    page.click("[data-testid=nav-tasks]")
    page.wait_for_url(live_server.url + "/surveillance/tasks/")
    countdown = page.locator("[data-testid=task-countdown]").first
    assert "剩余" in countdown.inner_text() and "小时" in countdown.inner_text()
    snap(page, "tasks")
    assert_no_problems(page)


def test_case_pages_fit_a_phone(
    phone: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from tests.factories import ensure_sample_divisions

    ensure_sample_divisions()
    user = officer("420106")
    case, _ = svc.case_report_submit(actor=user, data=case_data())
    log_in(phone, live_server.url, user.username)
    for name, path in (("form", "/surveillance/cases/new/"), ("list", "/surveillance/cases/"),
                       ("detail", f"/surveillance/cases/{case.pk}/"),
                       ("timeliness", "/surveillance/timeliness/")):
        phone.goto(live_server.url + path)
        assert no_horizontal_scroll(phone), path
        snap(phone, f"case-{name}-phone")
    assert_no_problems(phone)
