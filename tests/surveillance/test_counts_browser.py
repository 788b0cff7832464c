"""The epidemic curve in a real browser: the chart draws, the CSP is quiet, the table is there.

Cases are submitted through the service in real transactions, so the daily counts arrive
through the after-commit refresh the case services call, not through a test rebuild.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.surveillance.services import cases as svc
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    ARTIFACTS,
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    page,
)
from tests.surveillance.cases_data import case_data, officer, resident_id

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]

# (days before today, classification) of each report: a small outbreak over three weeks.
OUTBREAK = [(d, c) for d, n in [(20, 1), (17, 2), (15, 3), (13, 4), (12, 6), (10, 5), (9, 7),
                                (7, 4), (6, 3), (4, 2), (2, 1)]
            for c in ["confirmed", "suspected", "asymptomatic", "clinical", "confirmed",
                      "confirmed", "suspected"][:n]]


def test_curve_draws_stacked_bars(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
) -> None:
    from tests.factories import ensure_sample_divisions

    ensure_sample_divisions()
    user = officer("420106")
    now = timezone.now()
    for seq, (ago, cls) in enumerate(OUTBREAK, start=1):
        diagnosed = now - timedelta(days=ago - 1, hours=3)
        svc.case_report_submit(actor=user, data=case_data(
            id_number=resident_id("420106", "19800101", f"{seq:03d}"), classification=cls,
            onset_date=(now - timedelta(days=ago)).date(), diagnosed_at=diagnosed,
            reported_at=diagnosed + timedelta(hours=2), name=f"病例{seq}"))
    log_in(page, live_server.url, user.username)
    page.goto(live_server.url + "/surveillance/curve/?disease=covid19")
    page.wait_for_selector("#epicurve .plot-container svg")
    bars = page.locator("#epicurve g.trace.bars").count()
    assert bars == 4  # one trace per classification
    assert page.locator("[data-testid=curve-table] tbody tr").count() == 60
    assert f"期间共 {len(OUTBREAK)} 例" in page.content()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "surveillance-epicurve.png"), full_page=False)
    assert_no_problems(page)


def test_the_disease_list_survives_the_live_server_flush(
    transactional_db: None,
) -> None:
    """Transactional like the browser test, so it runs right after it and sees its flush;
    plain tests that xdist schedules after this module on the same worker need the list."""
    from shouwang.surveillance.models import Disease
    from shouwang.surveillance.services.diseases import read_disease_file

    assert Disease.objects.count() == len(read_disease_file())
