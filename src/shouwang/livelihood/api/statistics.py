"""/api/v1/livelihood/statistics (decision 1250).

- GET /livelihood/statistics?division=&year=|from=&to=&level= — a division's areas one level
  down (or `level`) over the period: households, population, monitored, identified (in time),
  assisted, eliminated, relapse, poverty incidence; the parent's total; identified and
  eliminated per month
- GET /livelihood/statistics/exit-report?division=&year= — counties and villages against the
  exit standard (incidence below 2 %, 3 % in the western provinces); no income data is
  "no_data", never meeting it

The caller's own division by default; a division outside the caller's jurisdiction answers 404.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.livelihood.selectors import exit_report as exits
from shouwang.livelihood.selectors import statistics as sel

router = Router(tags=["livelihood: statistics"])

READ = "livelihood.read"


class StatisticsIn(Schema):
    division: str = Field("", max_length=12, description="a division code (default: yours)")
    year: int | None = Field(None, description="a calendar year (instead of from/to)")
    from_: dt.date | None = Field(None, alias="from", description="first day (default 1 Jan)")
    to: dt.date | None = Field(None, description="last day, inclusive (default today)")
    level: str = Field("", description="province, prefecture, county, township or village "
                                       "(default: one level below the division)")


class AreaOut(Schema):
    key: str = Field(..., description="the prefix of the households' division codes")
    code: str
    name: str
    name_en: str
    level: str
    direct: bool = Field(..., description="households registered at `code` itself, above "
                                          "the level shown")
    households: int
    population: int = Field(..., description="active members")
    lifted_out: int = Field(..., description="households registered as lifted out of poverty")
    monitored: int = Field(..., description="flags open at the end of the period")
    identified: int = Field(..., description="flags opened in the period")
    from_signals: int = Field(..., description="of them, from a signal")
    in_time: int = Field(..., description="of them, from a signal decided by its time limit")
    caseload: int = Field(..., description="flags open at some time in the period")
    assisted: int = Field(..., description="of them, with at least one assistance measure")
    eliminated: int = Field(..., description="flags whose risk was eliminated in the period")
    lifted_out_flagged: int = Field(..., description="lifted-out households flagged in the "
                                                     "period")
    ever_eliminated: int = Field(..., description="households with a flag eliminated before "
                                                  "the end of the period")
    reflagged: int = Field(..., description="households flagged in the period after an "
                                            "earlier elimination")
    assessed_population: int = Field(..., description="population of households with a "
                                                      "complete income year and a poverty line")
    poor_population: int = Field(..., description="of them, below the poverty line")
    monitored_share: float | None
    in_time_rate: float | None
    assisted_rate: float | None
    relapse_rate: float | None = Field(..., description="lifted_out_flagged / lifted_out")
    repeat_rate: float | None = Field(..., description="reflagged / ever_eliminated")
    incidence: float | None = Field(..., description="poor_population / assessed_population")
    coverage: float | None = Field(..., description="assessed_population / population")


class MonthOut(Schema):
    month: dt.date
    identified: int
    eliminated: int


class StatisticsOut(Schema):
    division: str
    division_name: str
    level: str
    date_from: dt.date = Field(..., alias="from")
    to: dt.date
    income_year: int
    areas: list[AreaOut]
    total: AreaOut
    monthly: list[MonthOut]


class ExitIn(Schema):
    division: str = Field("", max_length=12, description="a division code (default: yours)")
    year: int | None = Field(None, description="the income year (default: last year)")


class ExitRowOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    western: bool
    standard: float = Field(..., description="the incidence to stay below: 0.02, or 0.03 in "
                                             "the western provinces")
    population: int
    assessed_population: int
    poor_population: int
    incidence: float | None
    status: str = Field(..., description="meets, fails or no_data")


class ExitReportOut(Schema):
    division: str
    division_name: str
    year: int
    western_provinces: list[str]
    counties: list[ExitRowOut]
    villages: list[ExitRowOut]


def statistics_out(stats: sel.Statistics) -> dict[str, Any]:
    return {"division": stats.parent.code, "division_name": stats.parent.name,
            "level": stats.level, "from": stats.period.start, "to": stats.period.end,
            "income_year": stats.income_year,
            "areas": [sel.as_dict(r) for r in stats.rows], "total": sel.as_dict(stats.total),
            "monthly": [vars(p) for p in stats.monthly]}


def exit_out(report: exits.ExitReport) -> dict[str, Any]:
    def row(r: exits.ExitRow) -> dict[str, Any]:
        return {**vars(r), "standard": float(r.standard)}

    return {"division": report.parent.code, "division_name": report.parent.name,
            "year": report.year, "western_provinces": sorted(exits.WESTERN_PROVINCES),
            "counties": [row(r) for r in report.counties],
            "villages": [row(r) for r in report.villages]}


@router.get("", response=StatisticsOut, url_name="livelihood_statistics", by_alias=True,
            summary="Monitoring statistics of a division's areas over a period")
def statistics(request: AuthedRequest, params: Query[StatisticsIn]) -> Any:
    check_capability(request, READ)
    parent = sel.parent_division(user=request.user, code=params.division)
    period = sel.statistics_period(year=params.year, date_from=params.from_, date_to=params.to)
    return statistics_out(sel.area_statistics(user=request.user, code=parent.code,
                                              period=period, level=params.level or None))


@router.get("/exit-report", response=ExitReportOut, url_name="livelihood_statistics_exit",
            summary="Counties and villages against the exit standard (poverty incidence)")
def exit_report(request: AuthedRequest, params: Query[ExitIn]) -> Any:
    check_capability(request, READ)
    return exit_out(exits.exit_report(user=request.user, code=params.division, year=params.year))
