"""`shouwang surveillance-counts rebuild` recomputes the table from the reports."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from shouwang.surveillance.models import DailyCount
from shouwang.surveillance.services import cases as svc
from tests.surveillance.cases_data import case_data, officer


@pytest.mark.usefixtures("divisions")
def test_rebuild_command_writes_the_cells() -> None:
    at = datetime(2026, 5, 6, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    svc.case_report_submit(actor=officer("420106"), data=case_data(
        onset_date=date(2026, 5, 4), diagnosed_at=at, reported_at=at))
    DailyCount.objects.all().delete()
    out = io.StringIO()
    call_command("surveillance-counts", "rebuild", stdout=out)
    assert "3 daily-count cells written" in out.getvalue()
    assert sorted(DailyCount.objects.values_list("basis", "day", "count")) == [
        ("diagnosis", date(2026, 5, 6), 1), ("onset", date(2026, 5, 4), 1),
        ("report", date(2026, 5, 6), 1)]
