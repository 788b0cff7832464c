"""The early-warning workflow end to end, with no alert made by hand: case reports through the
bulk importer → the nightly job on three consecutive nights → a county officer verifies
and confirms the alert in Chromium, linked to the scan's cluster → an officer of the next county
cannot open it → the escalation job → the city officer is told.

Screenshots of the key steps go to the test's tmp path (pytest keeps the last runs' under
/tmp/pytest-of-<user>/).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.geo.models import NATION_CODE
from shouwang.surveillance.models import ImportStatus
from shouwang.surveillance.services.imports import import_run, import_upload
from shouwang.warning.models import Alert, AlertStatus, Method, Notification, ScanCluster
from shouwang.warning.reasons import alert_reason
from shouwang.warning.services.alerts import alerts_escalate
from shouwang.warning.services.nightly import run_early_warning
from shouwang.warning.services.nightly_config import NightlySettings
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    CHROMIUM,
    _audit_triggers_restored,
    _new_page,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    page,
)
from tests.factories import ensure_sample_divisions, make_user
from tests.surveillance.cases_data import resident_id
from tests.warning.nightly_data import BASELINE, DAY, GIVEN, place_divisions, report_days

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]

# The nightly job's own code with fewer samples and replicates (as tests/warning/test_nightly.py).
FAST = NightlySettings(nowcast_samples=200, forecast_samples=200, scan_replicates=99)
OUTBREAK_COUNTY = "420106"  # 武昌区
# Two weeks of rising reports in 武昌区 after four weeks of its usual one or two a day …
RAMP = [1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 9, 10, 12]
# … while three other counties report a steady three or so a day: against them the permutation
# scan sees 武昌区's last days as a cluster.
STEADY = [3, 2, 4, 3, 3, 2, 4, 3]
NIGHTS = 3


def outbreak_reports() -> list[tuple[str, date]]:
    """(county, report day) per case, ending on DAY."""
    cases = report_days(OUTBREAK_COUNTY, 41,
                        [*(BASELINE[i % len(BASELINE)] for i in range(28)), *RAMP])
    for county in ("420111", "420606", "430102"):
        cases += report_days(county, 29, [STEADY[i % len(STEADY)] for i in range(30)])
    return cases


def case_list_csv(cases: list[tuple[str, date]]) -> bytes:
    """The cases as the line list a hospital's system exports: one report per row, reported at
    10:00 on its day, diagnosed two hours before, onset two days before; valid resident IDs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["病种代码", "病例分类", "姓名", "身份证号", "联系电话", "现住址区划代码",
                     "发病日期", "诊断时间", "报告时间", "报告单位", "报告单位区划代码"])
    for seq, (county, day) in enumerate(cases):
        birth = f"19{60 + seq // 900:02d}0101"
        writer.writerow([
            "covid19", "confirmed", "张" + GIVEN[seq % len(GIVEN)] + GIVEN[seq // len(GIVEN)
                                                                         % len(GIVEN)],
            resident_id(county, birth, f"{seq % 900 + 100:03d}"), f"139{seq:08d}", county,
            (day - timedelta(days=2)).isoformat(), f"{day.isoformat()} 08:00",
            f"{day.isoformat()} 10:00", "区人民医院", county])
    return out.getvalue().encode("utf-8-sig")


def _shot(tab: Any, folder: Path, name: str) -> None:
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.fixture
def other_tab(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:  # noqa: F811
    """A second browser context (its own cookies): another officer at another desk."""
    tabs: list[Iterator[Any]] = []

    def open_tab() -> Any:
        gen = _new_page(browser, request, viewport={"width": 1280, "height": 860})
        tabs.append(gen)
        return next(gen)

    yield open_tab
    for gen in tabs:
        next(gen, None)


def test_reports_to_confirmed_alert_and_escalation(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    other_tab: Any,
    live_server: Any,
    live_db: None,  # noqa: F811
    tmp_path: Path,
    settings: Any,
) -> None:
    ensure_sample_divisions()
    place_divisions()
    wuchang = make_user(Role.COUNTY_OFFICER, OUTBREAK_COUNTY, username="wuchang",
                        display_name="武昌核实员")
    make_user(Role.COUNTY_OFFICER, "420111", username="hongshan")
    make_user(Role.CITY_OFFICER, "420100", username="wuhan", display_name="武汉市疾控")

    # --- the data, loaded as a line list through the bulk importer; then three nights ------
    settings.SHOUWANG_IMPORTS_DIR = str(tmp_path / "imports")
    reporter = make_user(Role.NATIONAL_OFFICER, NATION_CODE, username="importer")
    cases = outbreak_reports()
    batch = import_run(batch=import_upload(actor=reporter, file_name="病例一览.csv",
                                           content=case_list_csv(cases)))
    assert (batch.status, batch.imported_rows, batch.error_rows) == (
        ImportStatus.DONE, len(cases), 0)
    for back in range(NIGHTS - 1, -1, -1):
        figures = run_early_warning(day=DAY - timedelta(days=back), settings=FAST)
        assert figures["runs"] == 1 and figures["failed"] == 0, figures
    alert = Alert.objects.get(division_code=OUTBREAK_COUNTY, method=Method.EARS_C3, day=DAY)
    cluster = ScanCluster.objects.get(run__day=DAY, focus_code=OUTBREAK_COUNTY)
    assert Alert.objects.filter(method=Method.SCAN, cluster=cluster).exists()
    # The night before raised its own C3 alert; nobody will look at it (escalated below).
    unverified = Alert.objects.get(division_code=OUTBREAK_COUNTY, method=Method.EARS_C3,
                                   day=DAY - timedelta(days=1))
    reason = alert_reason(alert)
    assert reason.startswith("C3 连续") and "观察 12" in reason

    # --- the county officer: inbox → alert (chart) → verify → confirm with the cluster --------
    log_in(page, live_server.url, wuchang.username)
    assert page.locator("[data-testid=nav-badge-warning-alerts]").inner_text() == str(
        Alert.objects.filter(division_code__startswith=OUTBREAK_COUNTY,
                             status=AlertStatus.NEW).count())
    page.click("[data-testid=nav-warning-alerts]")
    page.wait_for_selector("[data-testid=alert-table]")
    row = page.locator("[data-testid=alert-row]", has=page.locator(
        f"a[href='/warning/alerts/{alert.pk}/']"))
    assert reason in row.locator(".reason").inner_text()
    _shot(page, tmp_path, "1-inbox")

    row.locator("[data-testid=alert-link]").click()
    page.wait_for_selector("#alert-chart .plot-container svg")
    assert page.locator("#alert-chart g.trace.bars").count() == 1
    assert page.locator("[data-testid=alert-reason]").inner_text() == reason
    _shot(page, tmp_path, "2-alert")

    page.click("[data-testid=start-submit]")
    page.wait_for_selector("[data-testid=form-confirm]")
    assert page.locator("[data-testid=alert-status]").inner_text() == "核实中"
    assert "武昌核实员" in page.locator("[data-testid=alert-assignee]").inner_text()
    page.select_option("[data-testid=form-confirm] select[name=cluster_id]", str(cluster.pk))
    page.click("[data-testid=confirm-submit]")
    page.wait_for_selector("[data-testid=alert-status]:has-text('已确认')")
    assert f"时空聚集 #{cluster.rank}" in page.locator(
        ".alert-summary [data-testid=alert-link]").inner_text()
    history = page.locator("[data-testid=history-entry]")
    assert history.count() == 3
    confirmed = history.nth(2).inner_text()
    assert "核实中 → 已确认" in confirmed
    assert f"时空聚集 — → #{cluster.rank}（{cluster.start.isoformat()}" in confirmed
    page.wait_for_selector("#alert-chart .plot-container svg")
    _shot(page, tmp_path, "3-confirmed")
    stored = Alert.objects.get(pk=alert.pk)
    assert (stored.status, stored.cluster_id, stored.assigned_to_id) == (
        AlertStatus.CONFIRMED, cluster.pk, wuchang.pk)
    assert_no_problems(page)

    # --- the next county's officer may not see it: 404, not 403 ------------------------------
    hongshan = other_tab()
    log_in(hongshan, live_server.url, "hongshan")
    response = hongshan.goto(f"{live_server.url}/warning/alerts/{alert.pk}/")
    assert response is not None and response.status == 404
    hongshan.problems[:] = [p for p in hongshan.problems if "404" not in p]
    assert_no_problems(hongshan)

    # --- a day later nobody has verified the night before's alert: the job escalates ----------
    city = other_tab()
    log_in(city, live_server.url, "wuhan")
    if city.locator("[data-testid=nav-badge-notifications]").count():
        city.click("[data-testid=nav-notifications]")  # what was raised for the city, read
        city.click("[data-testid=read-all]")
        city.wait_for_selector("[data-testid=show-unread]")
    assert city.locator("[data-testid=nav-badge-notifications]").count() == 0
    figures = alerts_escalate(now=timezone.now() + timedelta(hours=25))
    assert figures["escalated"] == Alert.objects.filter(escalation_level=1).count() > 0
    told = Notification.objects.filter(user__username="wuhan", kind="escalated", read_at=None)
    assert told.filter(alert=unverified).exists()
    assert not Notification.objects.filter(alert=alert, kind="escalated").exists()

    city.goto(f"{live_server.url}/warning/alerts/")
    assert city.locator("[data-testid=nav-badge-notifications]").inner_text() == str(
        told.count())
    unverified_row = city.locator("[data-testid=alert-row]", has=city.locator(
        f"a[href='/warning/alerts/{unverified.pk}/']"))
    assert unverified_row.locator("[data-testid=escalation-tag]").inner_text() == "已上报至市级"
    _shot(city, tmp_path, "4-city-inbox")
    city.click("[data-testid=nav-notifications]")
    note = city.locator("[data-testid=notification]", has=city.locator(
        f"a[href='/warning/alerts/{unverified.pk}/']"))
    assert f"预警 #{unverified.pk} 超时未核实，已升级" in note.inner_text()
    assert "已上报至市级" in note.inner_text()
    _shot(city, tmp_path, "5-city-notifications")
    assert_no_problems(city)
