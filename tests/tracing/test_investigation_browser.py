"""The investigation page and a cluster page in a real browser: the case's investigation opened
from its URL, the window and exposures drawn as a timeline, an exposure outside the window named
as it is typed, one added; the clusters list's charts, a cluster's curve and its pseudonymised
member. Screenshots go to /tmp/shots-invest/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from shouwang.surveillance.models import Disease
from shouwang.tracing.models import Investigation
from shouwang.tracing.services import investigations as svc
from shouwang.tracing.services.clusters import clusters_detect
from shouwang.tracing.services.settings_registry import setting_register
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
from tests.tracing.cases import county_officer, make_case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]

SHOTS = Path("/tmp/shots-invest")


def _shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_investigation_page_and_cluster_page(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    officer = county_officer("420106")
    today = timezone.localdate()
    onset = today - timedelta(days=6)
    case = make_case("420106", onset=onset, name="张伟")
    inv = svc.investigation_open(actor=officer, case=case)[0]
    svc.exposure_add(actor=officer, investigation=inv, data={
        "kind": "household", "started_on": onset - timedelta(days=14), "ended_on": onset})
    workplace, _ = setting_register(actor=officer, kind="workplace", label="某物流公司分拣车间",
                                    division_code="420106")
    svc.exposure_add(actor=officer, investigation=inv, data={
        "kind": "workplace", "setting_id": workplace.pk, "started_on": onset - timedelta(days=5),
        "ended_on": onset - timedelta(days=2), "description": "白班分拣"})
    for days, code, name in ((2, "420106", "王芳"), (4, "420111", "刘洋")):
        other = make_case(code, onset=onset + timedelta(days=days), name=name)
        other_inv = svc.investigation_open(actor=officer if code == "420106"
                                           else county_officer(code), case=other)[0]
        svc.exposure_add(actor=county_officer(code), investigation=other_inv, data={
            "kind": "workplace", "setting_id": workplace.pk,
            "started_on": onset - timedelta(days=3), "ended_on": onset - timedelta(days=2)})
    clusters_detect(disease=Disease.objects.get(code="covid19"))

    base = live_server.url
    log_in(page, base, officer.username)
    page.goto(f"{base}/tracing/cases/{case.pk}/investigation/")
    page.wait_for_selector("#investigation-timeline .plot-container svg")
    assert page.url.endswith(f"/tracing/investigations/{inv.pk}/")
    assert page.locator("[data-testid=exposure-row]").count() == 2
    assert page.locator("#investigation-timeline g.trace.bars path").count() == 2
    ticks = page.locator("#investigation-timeline g.xtick text").all_text_contents()
    assert ticks and all(len(t) == 5 and t[2] == "-" for t in ticks), ticks
    # The member investigations were marked as part of the cluster.
    assert page.locator("[data-testid=source-status]").inner_text() == "聚集性疫情关联"

    # A start before the window is named as it is typed, before any submission.
    page.fill("[data-testid=exposure-start]", (onset - timedelta(days=20)).isoformat())
    assert "暴露追溯期" in page.locator("[data-testid=error-start]").inner_text()
    page.select_option("[data-testid=exposure-kind]", "gathering")
    page.fill("[data-testid=exposure-setting-label]", "某酒楼生日宴")
    page.fill("[data-testid=exposure-start]", (onset - timedelta(days=3)).isoformat())
    assert page.locator("[data-testid=error-start]").inner_text() == ""
    page.fill("[data-testid=exposure-end]", (onset - timedelta(days=4)).isoformat())
    assert "不能早于开始日期" in page.locator("[data-testid=error-end]").inner_text()
    page.click("[data-testid=exposure-submit]")  # refused in the page: nothing sent
    assert page.locator("[data-testid=exposure-row]").count() == 2
    page.fill("[data-testid=exposure-end]", (onset - timedelta(days=3)).isoformat())
    page.click("[data-testid=exposure-submit]")
    page.wait_for_selector(".messages li.success")
    page.wait_for_selector("#investigation-timeline .plot-container svg")
    assert page.locator("[data-testid=exposure-row]").count() == 3
    assert "某酒楼生日宴" in page.locator("[data-testid=exposure-table]").inner_text()
    assert Investigation.objects.get(pk=inv.pk).version == 5
    assert no_horizontal_scroll(page)
    _shot(page, "investigation")
    assert_no_problems(page)

    page.click("[data-testid=nav-tracing-clusters]")
    page.wait_for_selector("#cluster-spans .plot-container svg")
    page.wait_for_selector("#cluster-kinds .plot-container svg")
    assert page.locator("[data-testid=cluster-row]").count() == 1
    _shot(page, "cluster-list")
    page.click("[data-testid=cluster-link]")
    page.wait_for_selector("#cluster-curve .plot-container svg")
    assert page.locator("[data-testid=member-row]").count() == 3
    assert page.locator("[data-testid=member-pseudonym]").inner_text().startswith("LY · ")
    assert "刘洋" not in page.content()
    assert page.locator("[data-testid=cluster-count]").inner_text() == "3"
    _shot(page, "cluster-detail")
    assert_no_problems(page)

    page.goto(f"{base}/tracing/investigations/")
    page.wait_for_selector("[data-testid=investigation-table]")
    _shot(page, "investigation-list")
