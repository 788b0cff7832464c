"""What the nightly job reads, for the whole country and nobody in particular.

The job runs as the system, not as a user, so it cannot go through the user-scoped
`count_matrix`; this is the same one-query read (its SQL helpers, reused) without a
jurisdiction: every county × every day of one disease. Nothing here is shown to a user: what
the job stores is read back through the scoped warning selectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
from django.db.models import Min

from shouwang.geo.models import PREFIX_LENGTH, Division, Level
from shouwang.surveillance.models import Classification, DailyCount, DateBasis, Disease
from shouwang.surveillance.selectors.counts import matrix_cells, matrix_sql

if TYPE_CHECKING:
    from numpy.typing import NDArray

COUNTY_WIDTH = PREFIX_LENGTH[Level.COUNTY]


@dataclass(frozen=True)
class Counties:
    """Every county of the division table and any county code the counts carry beyond it,
    in code order, with centroids (NaN where the table has none)."""

    codes: list[str]
    numbers: NDArray[np.int64]      # the codes as integers (the matrix query's key)
    latitude: NDArray[np.float64]
    longitude: NDArray[np.float64]


def all_counties(extra: NDArray[np.int64] | None = None) -> Counties:
    rows = {int(code): (lat, lon) for code, lat, lon in
            Division.objects.filter(level=Level.COUNTY)
            .values_list("code", "latitude", "longitude") if code.isdigit()}
    numbers = np.union1d(np.array(sorted(rows), dtype=np.int64),
                         extra if extra is not None else np.zeros(0, dtype=np.int64))
    lat = np.array([np.nan if rows.get(int(n), (None, None))[0] is None else rows[int(n)][0]
                    for n in numbers], dtype=np.float64)
    lon = np.array([np.nan if rows.get(int(n), (None, None))[1] is None else rows[int(n)][1]
                    for n in numbers], dtype=np.float64)
    return Counties(codes=[str(n).zfill(COUNTY_WIDTH) for n in numbers.tolist()],
                    numbers=numbers, latitude=lat, longitude=lon)


def county_day_matrix(*, disease: str, basis: str, since: date, until: date,
                      counties: Counties) -> NDArray[np.float64]:
    """counties × days (every classification summed) of one disease on one basis, dense.

    Cells of county codes outside `counties` are dropped; `all_counties(count_codes(...))`
    includes every code the counts carry."""
    classes = list(Classification.values)
    sql, params = matrix_sql("", basis, disease, since, until, classes)
    cells = matrix_cells(sql, params)
    n_days = (until - since).days + 1
    out = np.zeros((len(counties.codes), n_days), dtype=np.float64)
    if len(cells):
        row = np.searchsorted(counties.numbers, cells[:, 0])
        row = np.minimum(row, len(counties.numbers) - 1)
        known = counties.numbers[row] == cells[:, 0]
        np.add.at(out, (row[known], cells[known, 1]), cells[known, 3])
    return out


def count_codes(*, disease: str, since: date, until: date) -> NDArray[np.int64]:
    """The county codes (as integers) with any count of the disease in the period."""
    codes = (DailyCount.objects.filter(disease_id=disease, day__gte=since, day__lte=until)
             .values_list("county_code", flat=True).distinct())
    return np.array(sorted({int(c) for c in codes if c.isdigit()}), dtype=np.int64)


def diseases_with_cases(*, since: date, until: date,
                        only: list[str] | None = None) -> list[str]:
    """Active diseases with at least one case counted (any basis) in the period, in list order."""
    with_cases = set(DailyCount.objects.filter(day__gte=since, day__lte=until, count__gt=0)
                     .values_list("disease_id", flat=True).distinct())
    qs = Disease.objects.filter(active=True).order_by("sort_order", "code")
    if only is not None:
        qs = qs.filter(code__in=only)
    return [c for c in qs.values_list("code", flat=True) if c in with_cases]


def first_count_day(*, disease: str, basis: str = DateBasis.REPORT) -> date | None:
    """The first day the disease has any count on `basis`: where its history starts."""
    first: date | None = DailyCount.objects.filter(
        disease_id=disease, basis=basis).aggregate(first=Min("day"))["first"]
    return first


def days_between(since: date, until: date) -> list[date]:
    return [since + timedelta(days=i) for i in range((until - since).days + 1)]
