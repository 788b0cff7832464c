"""Daily counts: rebuild and refresh per basis, local days, status and reclassification."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shouwang.surveillance.models import DailyCount
from shouwang.surveillance.services import cases as svc
from shouwang.surveillance.services.counts import (
    daily_counts_rebuild,
    daily_counts_refresh_for,
)
from tests.surveillance.cases_data import case_data, officer, resident_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def cells(basis: str | None = None) -> dict[tuple[str, date, str, str, str], int]:
    qs = DailyCount.objects.all()
    if basis:
        qs = qs.filter(basis=basis)
    return {(c.county_code, c.day, c.basis, c.disease_id, c.classification): c.count for c in qs}


def submit(actor: Any, seq: int, **over: Any) -> Any:
    data = case_data(id_number=resident_id("420106", "19850312", f"{seq:03d}"), **over)
    return svc.case_report_submit(actor=actor, data=data).case


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def test_diagnosis_late_evening_counts_on_the_shanghai_day(wuchang: Any) -> None:
    diagnosed = datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)
    assert diagnosed.astimezone(UTC).hour == 15
    submit(wuchang, 101, onset_date=date(2026, 2, 27), diagnosed_at=diagnosed.astimezone(UTC),
           reported_at=datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI))
    daily_counts_rebuild()
    assert cells("diagnosis") == {("420106", date(2026, 3, 1), "diagnosis", "covid19",
                                   "confirmed"): 1}
    # 00:30 Shanghai on 2 March is 16:30 UTC on 1 March: it counts on the 2nd.
    assert cells("report") == {("420106", date(2026, 3, 2), "report", "covid19", "confirmed"): 1}
    assert cells("onset") == {("420106", date(2026, 2, 27), "onset", "covid19", "confirmed"): 1}


def test_counts_group_by_county_and_skip_missing_onset(wuchang: Any) -> None:
    at = datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)
    for seq in (1, 2, 3):
        submit(wuchang, seq, diagnosed_at=at, reported_at=at,
               onset_date=date(2026, 3, 3))
    submit(wuchang, 4, diagnosed_at=at, reported_at=at, onset_date=None,
           classification="suspected")
    daily_counts_rebuild()
    assert cells("onset") == {("420106", date(2026, 3, 3), "onset", "covid19", "confirmed"): 3}
    assert cells("diagnosis") == {
        ("420106", date(2026, 3, 5), "diagnosis", "covid19", "confirmed"): 3,
        ("420106", date(2026, 3, 5), "diagnosis", "covid19", "suspected"): 1,
    }


def test_revoked_and_merged_reports_do_not_count(wuchang: Any) -> None:
    at = datetime(2026, 4, 1, 9, 0, tzinfo=SHANGHAI)
    kept = submit(wuchang, 11, diagnosed_at=at, reported_at=at, onset_date=date(2026, 3, 30))
    gone = submit(wuchang, 12, diagnosed_at=at, reported_at=at, onset_date=date(2026, 3, 30))
    # The same person and disease again: stored merged into `kept`.
    again = svc.case_report_submit(actor=wuchang, data=case_data(
        id_number=resident_id("420106", "19850312", "011"), diagnosed_at=at, reported_at=at,
        onset_date=date(2026, 3, 30)))
    assert again.case.pk == kept.pk
    svc.case_report_revoke(actor=wuchang, case=gone, version=gone.version, reason="误报")
    daily_counts_rebuild()
    assert cells("onset") == {("420106", date(2026, 3, 30), "onset", "covid19", "confirmed"): 1}


def test_refresh_moves_a_reclassified_case_and_is_idempotent(wuchang: Any) -> None:
    at = datetime(2026, 5, 2, 9, 0, tzinfo=SHANGHAI)
    case = submit(wuchang, 21, classification="suspected", diagnosed_at=at, reported_at=at,
                  onset_date=date(2026, 5, 1))
    daily_counts_refresh_for([case])
    key = ("420106", date(2026, 5, 1), "onset", "covid19")
    assert cells("onset") == {(*key, "suspected"): 1}
    fresh = svc.case_report_reclassify(actor=wuchang, case=case, version=case.version,
                                       classification="confirmed", reason="核酸阳性")
    daily_counts_refresh_for([case, fresh])
    daily_counts_refresh_for([case, fresh])
    assert cells("onset") == {(*key, "confirmed"): 1}
    assert cells() == _rebuilt()


def test_refresh_by_counties_and_days_touches_only_those_cells(wuchang: Any) -> None:
    hongshan = officer("420111")
    at = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
    submit(wuchang, 31, diagnosed_at=at, reported_at=at, onset_date=date(2026, 5, 30))
    submit(hongshan, 32, division_code="420111", reporting_division_code="420111",
           diagnosed_at=at, reported_at=at, onset_date=date(2026, 5, 30))
    daily_counts_refresh_for(county_codes=["420106"], days=[date(2026, 5, 30)])
    assert cells() == {("420106", date(2026, 5, 30), "onset", "covid19", "confirmed"): 1}
    daily_counts_refresh_for(county_codes=["420106", "420111"])
    assert cells() == _rebuilt()
    assert len(cells()) == 6


def test_the_services_refresh_after_commit(wuchang: Any,
                                           django_capture_on_commit_callbacks: Any) -> None:
    at = datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(wuchang, 41, diagnosed_at=at, reported_at=at, onset_date=date(2026, 6, 29))
    assert cells("onset") == {("420106", date(2026, 6, 29), "onset", "covid19", "confirmed"): 1}
    with django_capture_on_commit_callbacks(execute=True):
        svc.case_report_revoke(actor=wuchang, case=case, version=case.version, reason="误报")
    assert cells() == {}


def _rebuilt() -> dict[tuple[str, date, str, str, str], int]:
    daily_counts_rebuild()
    return cells()
