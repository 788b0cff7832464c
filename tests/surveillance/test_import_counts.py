"""The import adds its own deltas to the daily counts, chunk by chunk: the table after an import
is exactly what a full recount gives, merges that upgrade a stored or an earlier row included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from shouwang.surveillance.models import DailyCount
from shouwang.surveillance.services import import_rows
from shouwang.surveillance.services.cases import case_report_submit
from shouwang.surveillance.services.counts import daily_counts_add, daily_counts_rebuild
from tests.surveillance.cases_data import case_data, officer
from tests.surveillance.test_imports import make_csv, person, row, upload_and_run


@pytest.fixture(autouse=True)
def _setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(import_rows, "CHUNK", 3)  # survivors in earlier chunks, too
    with override_settings(SHOUWANG_IMPORTS_DIR=str(tmp_path / "imports")):
        yield


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def _table() -> list[tuple[Any, ...]]:
    return sorted(DailyCount.objects.values_list(
        "county_code", "day", "basis", "disease_id", "classification", "count"))


@pytest.mark.django_db
def test_counts_after_an_import_are_a_recount(wuchang: Any) -> None:
    case_report_submit(actor=wuchang, data=case_data(
        id_number=person(1), classification="suspected"))
    daily_counts_rebuild()
    before = _table()
    rows = [
        row("甲", person(1), cls="confirmed", days_ago=3),   # upgrades the stored report
        row("乙", person(2), cls="suspected", days_ago=5),
        row("丙", person(3), cls="clinical", days_ago=1),
        row("丁", person(4), cls="asymptomatic", days_ago=9),
        row("乙", person(2), cls="confirmed", days_ago=4),   # upgrades line 3, a chunk back
        row("戊", person(5), disease="influenza", days_ago=2),
        row("乙", person(2), cls="suspected", days_ago=4.5),  # no downgrade: merged only
    ]
    batch = upload_and_run(wuchang, make_csv(rows))
    assert (batch.imported_rows, batch.duplicate_rows, batch.error_rows) == (4, 3, 0)
    after = _table()
    assert after != before
    daily_counts_rebuild()
    assert after == _table()


@pytest.mark.django_db
def test_taking_away_from_a_missing_cell_leaves_it_missing(wuchang: Any) -> None:
    from datetime import date

    cell = ("420106", date(2026, 1, 5), "report", "covid19", "confirmed")
    daily_counts_add({cell: 2})
    daily_counts_add({cell: -1})
    assert DailyCount.objects.get().count == 1
    daily_counts_add({cell: -1})
    assert not DailyCount.objects.exists()
    daily_counts_add({cell: -1})  # nothing to take from: no row, no error
    assert not DailyCount.objects.exists()
