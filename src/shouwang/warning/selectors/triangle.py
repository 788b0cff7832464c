"""The reporting triangle of one disease for the nowcast: cases per county × onset day × delay.

One aggregate query over the active case reports (counts grouped by county, onset date and the
local day of the report, as the daily counts define the report day), for the onsets of the last
`days` days up to `day` and the reports known by the end of `day`. Like nightly_counts this is
the system's read for the nightly job, not a user's: it has no jurisdiction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np
from django.db.models import Count
from django.db.models.functions import Substr, TruncDate

from shouwang.surveillance.models import CaseReport, CaseStatus
from shouwang.surveillance.services.counts import local_tz
from shouwang.warning.selectors.nightly_counts import COUNTY_WIDTH, Counties

if TYPE_CHECKING:
    from numpy.typing import NDArray


def reporting_triangle(*, disease: str, day: date, days: int, max_delay: int,
                       counties: Counties) -> NDArray[np.float64]:
    """n[county, t, d]: cases with onset on day t of the `days` days ending on `day`, reported
    d days after onset (d = 0 … max_delay; later reports are counted at max_delay), known by the
    end of `day`. Cells after `day` (t + d > days − 1) are NaN, as shouwang.epi.nowcast expects.

    A report dated before its onset (a data-entry slip the report form refuses, an import may
    carry) is counted at delay 0. Counties outside `counties` are left out.
    """
    start = day - timedelta(days=days - 1)
    rows = onset_report_counts(disease=disease, since=start, until=day, known_by=day)
    tri = np.zeros((len(counties.codes), days, max_delay + 1), dtype=np.float64)
    index = {code: i for i, code in enumerate(counties.codes)}
    for county, onset, rday, n in rows:
        i = index.get(county)
        if i is None or onset is None or rday is None:
            continue
        t = (onset - start).days
        delay = min(max((rday - onset).days, 0), max_delay)
        tri[i, t, delay] += n
    known = (np.arange(days)[:, None] + np.arange(max_delay + 1)[None, :]) <= days - 1
    tri[:, ~known] = np.nan
    return tri


def onset_report_counts(*, disease: str, since: date, until: date, known_by: date | None = None
                        ) -> Iterable[tuple[str, date | None, date | None, int]]:
    """(county code, onset date, report day, cases) of the active reports of `disease` with an
    onset in since … until — those reported by the end of `known_by`, or every one. The report
    day is the local day of `reported_at`, as the daily counts define it."""
    filters: dict[str, object] = {"status": CaseStatus.ACTIVE, "disease_id": disease,
                                  "onset_date__gte": since, "onset_date__lte": until}
    if known_by is not None:
        filters["reported_at__lt"] = datetime.combine(known_by + timedelta(days=1), time.min,
                                                      tzinfo=local_tz())
    return (CaseReport.objects.filter(**filters)
            .annotate(county=Substr("division_code", 1, COUNTY_WIDTH),
                      rday=TruncDate("reported_at", tzinfo=local_tz()))
            .values("county", "onset_date", "rday")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("county", "onset_date", "rday", "n"))
