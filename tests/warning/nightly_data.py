"""Test data for the nightly job: the sample divisions with centroids, and case reports written
through the surveillance service with chosen report days (a planted outbreak in 武昌区)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shouwang.geo.models import Division
from shouwang.surveillance.services import cases as svc
from shouwang.surveillance.services.counts import daily_counts_rebuild
from tests.surveillance.cases_data import case_data, officer, resident_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 5, 31)
OUTBREAK_COUNTY = "420106"
# (latitude, longitude) of the sample counties, roughly where they are.
CENTROIDS = {"420106": (30.55, 114.32), "420111": (30.50, 114.40), "420606": (32.05, 112.13),
             "430102": (28.20, 112.98)}
# Cases reported per day in 武昌区 over the 40 days before the outbreak: endemic noise.
BASELINE = [1, 0, 2, 1, 3, 0, 1, 2]
OUTBREAK = [12, 14, 16]   # the last three days, ending on DAY
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def place_divisions() -> None:
    for code, (lat, lon) in CENTROIDS.items():
        Division.objects.filter(code=code).update(latitude=lat, longitude=lon)


def report_days(county: str, days_before: int, counts: Iterable[int]) -> list[tuple[str, date]]:
    """One (county, report day) per case: `counts[i]` cases on DAY − days_before + i."""
    out = []
    for i, n in enumerate(counts):
        day = DAY - timedelta(days=days_before - i)
        out.extend([(county, day)] * n)
    return out


def planted_outbreak() -> list[tuple[str, date]]:
    """武昌区: 40 days of noise, then 12, 14, 16 cases; 洪山区, 芙蓉区: a case every third day."""
    baseline = [BASELINE[i % len(BASELINE)] for i in range(40)]
    cases = report_days(OUTBREAK_COUNTY, 42, [*baseline, *OUTBREAK])
    for county in ("420111", "430102"):
        cases += report_days(county, 42, [1 if i % 3 == 0 else 0 for i in range(43)])
    return cases


def submit(cases: list[tuple[str, date]], *, start: int = 0, onset_lag: int = 2) -> None:
    """Each case reported at 10:00 local time on its day, onset `onset_lag` days before."""
    for seq, (county, day) in enumerate(cases, start=start + 1):
        reported = datetime.combine(day, time(10), tzinfo=SHANGHAI)
        svc.case_report_submit(actor=officer(county), data=case_data(
            id_number=resident_id(county, "19900101", f"{seq % 1000:03d}")
            if seq < 1000 else resident_id(county, "19910101", f"{seq % 1000:03d}"),
            name="张" + GIVEN[seq % len(GIVEN)] + GIVEN[(seq // len(GIVEN)) % len(GIVEN)],
            division_code=county, reporting_division_code=county,
            onset_date=day - timedelta(days=onset_lag),
            diagnosed_at=reported - timedelta(hours=2), reported_at=reported))
    # The service refreshes the counts after commit; a test runs in one transaction.
    daily_counts_rebuild()
