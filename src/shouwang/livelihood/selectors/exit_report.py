"""The exit-standards report (贫困村、贫困县退出标准) of relapse-into-poverty monitoring (issue 7
item 6; decision 1250): the counties and villages under a division against the poverty-incidence
standard, from the numbers of selectors/statistics.py.

    exit_report(user=, code=, year=) -> ExitReport                    (Http404 outside)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.geo.models import PREFIX_LENGTH, Division, Level
from shouwang.livelihood.selectors.statistics import (
    EARLIEST_YEAR,
    LEVELS,
    AreaStats,
    _collect,
    _registry,
    _rollup,
    parent_division,
    total_of,
)

if TYPE_CHECKING:
    from shouwang.livelihood.selectors.statistics import Reader

# The twelve provinces of the western development programme (西部大开发), by the first two
# digits of their codes. Source: 国务院《关于实施西部大开发若干政策措施的通知》(国发〔2000〕33号)
# and 《国务院西部开发办关于西部大开发若干政策措施的实施意见》(2001): 重庆、四川、贵州、云南、
# 西藏、陕西、甘肃、宁夏、青海、新疆，and by extension 内蒙古、广西.
WESTERN_PROVINCES: Mapping[str, str] = MappingProxyType({
    "15": "内蒙古自治区",
    "45": "广西壮族自治区",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
})
# The exit standard for poor villages and counties (贫困村、贫困县退出): poverty incidence below
# 2 %, below 3 % in the western provinces. Source: 中共中央办公厅、国务院办公厅《关于建立贫困
# 退出机制的意见》(厅字〔2016〕16号).
EXIT_STANDARD = Decimal("0.02")
EXIT_STANDARD_WEST = Decimal("0.03")



def exit_standard(code: str) -> Decimal:
    """The incidence an area must stay below to exit: 3 % in the western provinces, else 2 %."""
    return EXIT_STANDARD_WEST if code[:2] in WESTERN_PROVINCES else EXIT_STANDARD


# --- the report ------------------------------------------------------------------------

MEETS, FAILS, NO_DATA = "meets", "fails", "no_data"


@dataclass(frozen=True)
class ExitRow:
    code: str
    name: str
    name_en: str
    level: str
    western: bool
    standard: Decimal
    population: int
    assessed_population: int
    poor_population: int
    incidence: float | None
    status: str  # MEETS, FAILS or NO_DATA


@dataclass(frozen=True)
class ExitReport:
    parent: Division
    year: int
    counties: list[ExitRow]
    villages: list[ExitRow]


def _exit_rows(stats: Iterable[AreaStats], level: str) -> list[ExitRow]:
    out = []
    for s in stats:
        if s.direct or len(s.key) != PREFIX_LENGTH[level]:
            continue
        code = s.code or s.key
        standard = exit_standard(code)
        incidence = s.incidence
        if incidence is None:
            status = NO_DATA
        else:
            status = MEETS if Decimal(s.poor_population) < standard * s.assessed_population \
                else FAILS
        out.append(ExitRow(code=code, name=s.name, name_en=s.name_en, level=level,
                           western=code[:2] in WESTERN_PROVINCES, standard=standard,
                           population=s.population, assessed_population=s.assessed_population,
                           poor_population=s.poor_population, incidence=incidence,
                           status=status))
    return out


def exit_report(*, user: Reader | None, code: str | None = None, year: int | None = None
                ) -> ExitReport:
    """Counties and villages under the division against the exit standard, by the poverty
    incidence of `year` (default: last year). An area without income data is NO_DATA, never
    meeting the standard."""
    parent = parent_division(user=user, code=code)
    this_year = timezone.localdate().year
    income_year = year if year is not None else this_year - 1
    if not EARLIEST_YEAR <= income_year <= this_year:
        raise InvalidInput({"year": [_("年度应在 %(a)s 至 %(b)s 之间。") % {
            "a": EARLIEST_YEAR, "b": this_year}]})
    # One query at village level; the counties are its sums (households only: exact).
    by_village = _registry(user, parent.prefix, PREFIX_LENGTH[Level.VILLAGE], income_year)
    villages = _exit_rows(_collect(user, parent, Level.VILLAGE, None, income_year, flags=False,
                                   registry=by_village), Level.VILLAGE)
    counties: list[ExitRow] = []
    if LEVELS.index(parent.level) <= LEVELS.index(Level.COUNTY):
        by_county = _rollup(by_village, PREFIX_LENGTH[Level.COUNTY])
        rows = _collect(user, parent, Level.COUNTY, None, income_year, flags=False,
                        registry=by_county)
        if parent.level == Level.COUNTY:
            rows = [replace(total_of(parent, rows), key=parent.prefix)]
        counties = _exit_rows(rows, Level.COUNTY)
    return ExitReport(parent=parent, year=income_year, counties=counties, villages=villages)
