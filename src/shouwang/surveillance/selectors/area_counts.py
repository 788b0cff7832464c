"""Cases per area and diagnosis day for the area risk levels (shouwang.risk), *unscoped*: the
levels judge areas, not a reader, and are published to everyone.

    area_case_counts(disease=…, since=…, until=…, classifications=…, level="county"|"subcounty")

One aggregate query. Each row is (area code, classification, day, cases, last day): `day` is a
diagnosis day from `since` to `until`, or None for the cases diagnosed before `since` (all of
them in one row per area and classification, with the day of the last of them), so that a caller
gets the window it evaluates, the cumulative total before it and when the last earlier case was,
without reading every day since the first case.

- ``county``: from DailyCount (basis "diagnosis"), which counts the active reports by their
  current classification.
- ``subcounty``: townships and villages, read from the case reports the same way (active
  reports, current classification, the local calendar day of the diagnosis): the reports whose
  address code has 9 digits (a township) or 12 (a village). A village's rows are its own; the
  caller adds them up into its township.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, CharField, Count, DateField, F, Max, Sum, Value, When
from django.db.models.functions import Length, TruncDate

from shouwang.surveillance.models import CaseReport, CaseStatus, DailyCount, DateBasis

LEVELS = ("county", "subcounty")


class AreaCount(NamedTuple):
    code: str
    classification: str
    day: date | None     # None: diagnosed before `since`
    cases: int
    last_day: date


def area_case_counts(*, disease: str, since: date, until: date,
                     classifications: Sequence[str], level: str) -> list[AreaCount]:
    """Cases of `disease` diagnosed up to `until` by area × classification × day (see the
    module docstring)."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    if until < since:
        raise ValueError("until must not be before since")
    wanted = list(classifications)
    rows: Any
    if level == "county":
        rows = (DailyCount.objects
                .filter(basis=DateBasis.DIAGNOSIS, disease_id=disease, day__lte=until,
                        classification__in=wanted, count__gt=0)
                .annotate(bucket=Case(When(day__lt=since, then=Value(None)), default=F("day"),
                                      output_field=DateField()))
                .values("county_code", "classification", "bucket")
                .annotate(n=Sum("count"), last=Max("day"))
                .order_by()
                .values_list("county_code", "classification", "bucket", "n", "last"))
    else:
        zone = ZoneInfo(settings.TIME_ZONE)
        start = datetime.combine(since, time.min, tzinfo=zone)
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
        rows = (CaseReport.objects
                .filter(status=CaseStatus.ACTIVE, disease_id=disease, diagnosed_at__lt=end,
                        classification__in=wanted)
                .annotate(width=Length("division_code"))
                .filter(width__in=(9, 12))
                .annotate(cday=TruncDate("diagnosed_at", tzinfo=zone))
                .annotate(bucket=Case(When(diagnosed_at__lt=start, then=Value(None)),
                                      default=F("cday"), output_field=DateField()))
                .values("division_code", "classification", "bucket")
                # The raw moment, made a local day below: the local-day conversion is a
                # Python function on SQLite, run only for the days of the window this way.
                # (as the stored value: no converter per row; SQLite gives its UTC text).
                .annotate(n=Count("id"), last=Max("diagnosed_at", output_field=CharField()))
                .order_by()
                .values_list("division_code", "classification", "bucket", "n", "last"))
        return [AreaCount(code, cls, day, int(n), _local_day(last, zone))
                for code, cls, day, n, last in rows]
    return [AreaCount(code, cls, day, int(n), last) for code, cls, day, n, last in rows]


def _local_day(moment: datetime | str, zone: ZoneInfo) -> date:
    if isinstance(moment, str):  # SQLite: "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC
        moment = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return moment.astimezone(zone).date()
