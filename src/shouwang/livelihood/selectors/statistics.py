"""Statistics of relapse-into-poverty monitoring by area (issue 7 item 6; decision 1250).

    statistics_period(year=, date_from=, date_to=) -> Period          (InvalidInput when bad)
    area_statistics(user=, code=, period=, level=) -> Statistics      (Http404 outside)

The exit-standards report (exit_report) is in selectors/exit_report.py, built on these numbers.

For a parent division (the reader's own by default) and its areas one level down (or a chosen
level below it), over a period [start, end] (local dates, inclusive), each area's numbers come
from a handful of aggregate queries grouped by the prefix of the area's code (households sit at
village, township or county level, so `substr(division_code, 1, len)` is the area; a household
registered above the chosen level — at its county while the table shows townships — is its own
"directly registered" row). Never a query or a Python loop per household.

Definitions (the decision record explains them):

- households, population — registered households; their active members.
- monitored — flags open at the end of the period (identified before it ends and not eliminated
  by then); for a period that ends today, the open flags now.
- identified — flags opened in the period; of them `from_signals` came from a signal, and
  `in_time` from a signal decided by its `decision_due`.
- caseload — flags open at some time in the period; `assisted` — of them, those with at least
  one AssistanceMeasure started by the end of the period.
- eliminated — flags whose risk was marked eliminated in the period.
- relapse of lifted-out households — households registered as lifted out of poverty
  (poverty_status lifted_out) with a flag opened in the period / lifted-out households.
- repeat identification — households with a flag opened in the period after an earlier flag of
  theirs was eliminated / households with an eliminated flag before the end of the period.
- poverty incidence — of the population of households with a complete income year and a poverty
  line, the share living in households whose per-capita net income of that year is below the
  year's poverty line (MonitoringThreshold.poverty_line: the province's row, else the national
  one). The income year is the last calendar year complete by the end of the period. A year is
  complete with at least one yearly IncomeRecord or twelve distinct months of monthly records;
  per component the yearly record wins, else the months are summed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import jurisdiction_prefix, prefix_q, prefix_upper_bound, scoped
from shouwang.geo.models import PREFIX_LENGTH, Division, Level
from shouwang.livelihood.models import (
    AssistanceMeasure,
    FlagStatus,
    Household,
    IncomeComponent,
    IncomeRecord,
    Member,
    MonitoringFlag,
    MonitoringThreshold,
    PovertyStatus,
)
from shouwang.livelihood.selectors.access import may_read

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

    Reader = User | AnonymousUser

# The levels a statistics table can show, top down.
LEVELS: tuple[str, ...] = (Level.NATION, Level.PROVINCE, Level.PREFECTURE, Level.COUNTY,
                           Level.TOWNSHIP, Level.VILLAGE)
AREA_LEVELS: tuple[str, ...] = LEVELS[1:]
EARLIEST_YEAR = 2000


# --- the period --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The first moment after the period."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    @property
    def income_year(self) -> int:
        """The last calendar year complete by the end of the period."""
        return self.end.year if (self.end.month, self.end.day) == (12, 31) else self.end.year - 1


def statistics_period(*, year: int | None = None, date_from: date | None = None,
                      date_to: date | None = None, today: date | None = None) -> Period:
    """A calendar year, or from/to dates (either may be left out: from the 1st of January of
    the end's year, to today), by default this year so far. Field errors in Chinese."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    if year is not None:
        if (date_from or date_to):
            errors["year"] = [_("请选择年度，或起止日期，不能同时选择。")]
        elif not EARLIEST_YEAR <= year <= today.year:
            errors["year"] = [_("年度应在 %(a)s 至 %(b)s 之间。") % {"a": EARLIEST_YEAR,
                                                                 "b": today.year}]
        if errors:
            raise InvalidInput(errors)
        return Period(date(year, 1, 1), date(year, 12, 31))
    end = date_to or today
    start = date_from or date(end.year, 1, 1)
    if start > end:
        errors["from"] = [_("开始日期不能晚于结束日期。")]
    if start.year < EARLIEST_YEAR:
        errors["from"] = [_("开始日期不能早于 %(y)s 年。") % {"y": EARLIEST_YEAR}]
    if errors:
        raise InvalidInput(errors)
    return Period(start, end)


# --- the area and its children -----------------------------------------------------------------


def parent_division(*, user: Reader | None, code: str | None) -> Division:
    """The division to break down: `code`, else the reader's own; outside the reader's
    jurisdiction (or unknown): Http404."""
    prefix = jurisdiction_prefix(user) if may_read(user) else None
    if prefix is None:
        raise Http404
    wanted = (code or "").strip() or getattr(user, "division_id", "") or ""
    if not wanted.isdigit():
        raise Http404
    division = Division.objects.filter(code=wanted).first()
    if division is None or not division.prefix.startswith(prefix):
        raise Http404
    return division


def child_level(division: Division) -> str:
    """The level one below the division (a village: itself)."""
    index = LEVELS.index(division.level)
    return LEVELS[min(index + 1, len(LEVELS) - 1)]


def check_level(division: Division, level: str | None) -> str:
    if not level:
        return child_level(division)
    if level not in AREA_LEVELS:
        raise InvalidInput({"level": [_("取值无效，可选：%(opts)s。") % {
            "opts": ", ".join(AREA_LEVELS)}]})
    if LEVELS.index(level) <= LEVELS.index(division.level) and division.level != Level.VILLAGE:
        raise InvalidInput({"level": [_("所选层级应低于%(name)s。") % {"name": division.name}]})
    if division.level == Level.VILLAGE:
        return str(Level.VILLAGE)
    return level


# --- the numbers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaStats:
    """One area's numbers (`key`: the prefix its households' codes start with)."""

    key: str
    code: str           # the division's code ("" when unknown)
    name: str
    name_en: str
    level: str
    direct: bool        # households registered above the chosen level (at `code` itself)
    households: int = 0
    population: int = 0
    lifted_out: int = 0
    monitored: int = 0
    identified: int = 0
    from_signals: int = 0
    in_time: int = 0
    caseload: int = 0
    assisted: int = 0
    eliminated: int = 0
    lifted_out_flagged: int = 0
    ever_eliminated: int = 0
    reflagged: int = 0
    assessed_population: int = 0
    poor_population: int = 0

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return num / den if den else None

    @property
    def monitored_share(self) -> float | None:
        """Monitored households / households."""
        return self._rate(self.monitored, self.households)

    @property
    def in_time_rate(self) -> float | None:
        return self._rate(self.in_time, self.from_signals)

    @property
    def assisted_rate(self) -> float | None:
        return self._rate(self.assisted, self.caseload)

    @property
    def relapse_rate(self) -> float | None:
        """Lifted-out households flagged in the period / lifted-out households."""
        return self._rate(self.lifted_out_flagged, self.lifted_out)

    @property
    def repeat_rate(self) -> float | None:
        """Households flagged again after an elimination / households ever eliminated."""
        return self._rate(self.reflagged, self.ever_eliminated)

    @property
    def incidence(self) -> float | None:
        """Poor population / population with income data; None without data."""
        return self._rate(self.poor_population, self.assessed_population)

    @property
    def coverage(self) -> float | None:
        """Population with income data / population."""
        return self._rate(self.assessed_population, self.population)


COUNTS: tuple[str, ...] = tuple(f.name for f in fields(AreaStats)
                                if f.type in ("int", int) and f.name not in ("key",))
RATES: tuple[str, ...] = ("monitored_share", "in_time_rate", "assisted_rate", "relapse_rate",
                          "repeat_rate", "incidence", "coverage")


def as_dict(s: AreaStats) -> dict[str, Any]:
    """The numbers and rates of an area, for the API, charts and CSV."""
    out: dict[str, Any] = {"key": s.key, "code": s.code, "name": s.name, "name_en": s.name_en,
                           "level": s.level, "direct": s.direct}
    out.update({name: getattr(s, name) for name in COUNTS})
    out.update({name: getattr(s, name) for name in RATES})
    return out


@dataclass(frozen=True)
class MonthPoint:
    month: date
    identified: int
    eliminated: int


@dataclass(frozen=True)
class Statistics:
    parent: Division
    level: str
    period: Period
    income_year: int
    rows: list[AreaStats]
    total: AreaStats
    monthly: list[MonthPoint]
    # Households, population and incidence by county when the parent lies above the county
    # (the map's, summed from the same pass as the table's).
    county_registry: dict[str, dict[str, Any]] | None = field(default=None, repr=False,
                                                               compare=False)


def _scope(user: Reader | None, qs: QuerySet[Any], field: str, prefix: str) -> QuerySet[Any]:
    return scoped(qs.filter(prefix_q(field, prefix)), user, field).order_by()


def _by_area(qs: QuerySet[Any], field: str, length: int, **aggregates: Any
             ) -> dict[str, dict[str, Any]]:
    rows = qs.annotate(area=Substr(field, 1, length)).values("area").annotate(**aggregates)
    return {r["area"]: r for r in rows}


def _flag_counts(user: Reader | None, prefix: str, length: int, period: Period,
                 at: datetime) -> dict[str, dict[str, Any]]:
    start, end = period.start_at, period.end_at
    measured = AssistanceMeasure.objects.filter(flag=OuterRef("pk"), started_on__lte=period.end)
    earlier = MonitoringFlag.objects.filter(household=OuterRef("household"),
                                            status=FlagStatus.ELIMINATED,
                                            eliminated_at__lte=OuterRef("identified_at"))
    qs = _scope(user, MonitoringFlag.objects.all(), "division_code", prefix).annotate(
        has_measure=Exists(measured), after_elimination=Exists(earlier))
    opened = Q(identified_at__gte=start, identified_at__lt=end)
    caseload = Q(identified_at__lt=end) & (Q(eliminated_at__isnull=True)
                                           | Q(eliminated_at__gte=start))
    return _by_area(
        qs, "division_code", length,
        monitored=Count("id", filter=Q(identified_at__lt=at) & (
            Q(eliminated_at__isnull=True) | Q(eliminated_at__gte=at))),
        identified=Count("id", filter=opened),
        from_signals=Count("id", filter=opened & Q(signal__isnull=False)),
        in_time=Count("id", filter=opened & Q(signal__decided_at__lte=F("signal__decision_due"))),
        caseload=Count("id", filter=caseload),
        assisted=Count("id", filter=caseload & Q(has_measure=True)),
        eliminated=Count("id", filter=Q(eliminated_at__gte=start, eliminated_at__lt=end)),
        lifted_out_flagged=Count("household", distinct=True, filter=opened & Q(
            household__poverty_status=PovertyStatus.LIFTED_OUT)),
        ever_eliminated=Count("household", distinct=True, filter=Q(eliminated_at__lt=end)),
        reflagged=Count("household", distinct=True, filter=opened & Q(after_elimination=True)),
    )


def poverty_lines(year: int) -> tuple[Decimal | None, dict[str, Decimal]]:
    """The year's national poverty line and the provinces' own, {two-digit prefix: line}."""
    national: Decimal | None = None
    provinces: dict[str, Decimal] = {}
    for code, line in MonitoringThreshold.objects.filter(year=year).values_list(
            "province_code", "poverty_line"):
        if code:
            provinces[code[:2]] = line
        else:
            national = line
    return national, provinces


def _registry(user: Reader | None, prefix: str, length: int, year: int
              ) -> dict[str, dict[str, Any]]:
    """{area: {households, lifted_out, population, assessed_population, poor_population}} in
    one query: the households of the scope, left-joined to two derived tables grouped by
    household (never a loop) — its active members, and its net income of `year` with the
    completeness counts — the income compared with the poverty line of its province times its
    members, and everything summed by area.

    Only table names, the income components (constants), the integer `length` and placeholders
    are written into the SQL text; every value is a parameter."""
    reader = jurisdiction_prefix(user) if may_read(user) else None
    if reader is None:
        return {}
    scope = prefix if len(prefix) >= len(reader) else reader
    national, provinces = poverty_lines(year)
    upper = prefix_upper_bound(scope) if scope else None
    scope_params: list[Any] = [scope] if scope else []
    if upper is not None:
        scope_params.append(upper)

    def bounds(column: str) -> str:
        if not scope:
            return "1 = 1"
        return f"{column} >= %s" + (f" AND {column} < %s" if upper is not None else "")

    # The line of the household's province, else the national one (NULL: none; not assessed).
    # Floats: SQLite would otherwise bind the lines as text (Django's Decimal adapter).
    line_params: list[Any] = []
    line = "%s"
    if provinces:
        line = "CASE substr(h.division_code, 1, 2)" + " WHEN %s THEN %s" * len(
            provinces) + " ELSE %s END"
        for code, amount in sorted(provinces.items()):
            line_params += [code, float(amount)]
    line_params.append(float(national) if national is not None else None)
    assessed = (f"mm.n IS NOT NULL AND (inc.yearly > 0 OR inc.months = 12) "
                f"AND ({line}) IS NOT NULL")
    net = " + ".join(
        f"COALESCE(SUM(CASE WHEN i.month IS NULL AND i.component = '{c}' THEN i.amount END), "
        f"SUM(CASE WHEN i.month IS NOT NULL AND i.component = '{c}' THEN i.amount END), 0)"
        for c in IncomeComponent.values)
    h, m, r = Household._meta.db_table, Member._meta.db_table, IncomeRecord._meta.db_table
    area = f"substr(h.division_code, 1, {int(length)})"
    # The per-household tables are materialised CTEs: PostgreSQL would otherwise run them
    # again in every parallel worker (2.5 s instead of 1.4 s for 200,000 households).
    sql = (  # values are parameters (see the docstring)
        f"WITH mm AS MATERIALIZED ("  # noqa: S608
        f"  SELECT m.household_id, COUNT(*) AS n FROM {m} m "
        f"  JOIN {h} hm ON hm.id = m.household_id "
        f"  WHERE m.active = %s AND {bounds('hm.division_code')} "
        f"  GROUP BY m.household_id), "
        f"inc AS MATERIALIZED ("
        f"  SELECT i.household_id, {net} AS net, "
        f"         COUNT(CASE WHEN i.month IS NULL THEN 1 END) AS yearly, "
        f"         COUNT(DISTINCT i.month) AS months "
        f"  FROM {r} i JOIN {h} hi ON hi.id = i.household_id "
        f"  WHERE i.year = %s AND {bounds('hi.division_code')} "
        f"  GROUP BY i.household_id) "
        f"SELECT {area} AS area, COUNT(*), "
        f"SUM(CASE WHEN h.poverty_status = %s THEN 1 ELSE 0 END), COALESCE(SUM(mm.n), 0), "
        f"SUM(CASE WHEN {assessed} THEN mm.n ELSE 0 END), "
        f"SUM(CASE WHEN {assessed} AND inc.net < ({line}) * mm.n THEN mm.n ELSE 0 END) "
        f"FROM {h} h LEFT JOIN mm ON mm.household_id = h.id "
        f"LEFT JOIN inc ON inc.household_id = h.id "
        f"WHERE {bounds('h.division_code')} "
        f"GROUP BY {area}")
    params = [True, *scope_params, year, *scope_params, PovertyStatus.LIFTED_OUT.value,
              *line_params, *line_params, *line_params, *scope_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {key: {"households": int(n or 0), "lifted_out": int(lifted or 0),
                  "population": int(pop or 0), "assessed_population": int(assessed_pop or 0),
                  "poor_population": int(poor or 0)}
            for key, n, lifted, pop, assessed_pop, poor in rows}


def _monthly(user: Reader | None, prefix: str, period: Period) -> list[MonthPoint]:
    qs = _scope(user, MonitoringFlag.objects.all(), "division_code", prefix)
    start, end = period.start_at, period.end_at
    counts: dict[date, list[int]] = {}
    for column, slot in (("identified_at", 0), ("eliminated_at", 1)):
        rows = (qs.filter(**{f"{column}__gte": start, f"{column}__lt": end})
                .annotate(month=TruncMonth(column)).values("month").annotate(n=Count("id")))
        for row in rows:
            month = row["month"]
            day = month.date() if isinstance(month, datetime) else month
            counts.setdefault(day, [0, 0])[slot] = row["n"]
    points = []
    cursor = period.start.replace(day=1)
    while cursor <= period.end:
        n = counts.get(cursor, [0, 0])
        points.append(MonthPoint(cursor, n[0], n[1]))
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return points


def _areas(parent: Division, level: str) -> list[Division]:
    if parent.level == Level.VILLAGE:
        return [parent]
    return list(Division.objects.filter(level=level, prefix__startswith=parent.prefix)
                .exclude(code=parent.code).order_by("code"))


def _label_for(key: str, known: dict[str, Division], above_level: dict[str, Division],
               level: str) -> AreaStats:
    division = known.get(key)
    if division is not None:
        return AreaStats(key=key, code=division.code, name=division.name,
                         name_en=division.name_en, level=division.level, direct=False)
    # Households registered above the level (a county's own, while the table shows townships).
    above = above_level.get(key)
    if above is not None:
        return AreaStats(key=key, code=above.code, name=above.name, name_en=above.name_en,
                         level=above.level, direct=True)
    return AreaStats(key=key, code="", name=key, name_en=key, level=level,
                     direct=len(key) < PREFIX_LENGTH[level])


def _rollup(parts: dict[str, dict[str, Any]], length: int) -> dict[str, dict[str, Any]]:
    """Numbers of finer areas summed into the areas `length` digits long (codes nest by
    prefix; a key already shorter stays as it is)."""
    out: dict[str, dict[str, Any]] = {}
    for key, numbers in parts.items():
        into = out.setdefault(key[:length], {})
        for name, value in numbers.items():
            into[name] = into.get(name, 0) + value
    return out


def _collect(user: Reader | None, parent: Division, level: str, period: Period | None,
             income_year: int, *, flags: bool = True,
             registry: dict[str, dict[str, Any]] | None = None) -> list[AreaStats]:
    length = PREFIX_LENGTH[level]
    prefix = parent.prefix
    if registry is None:
        registry = _registry(user, prefix, length, income_year)
    parts: list[dict[str, dict[str, Any]]] = [registry]
    if flags and period is not None:
        at = min(period.end_at, timezone.now())
        parts.append(_flag_counts(user, prefix, length, period, at))
    known = {d.prefix: d for d in _areas(parent, level)}
    keys = set(known)
    for part in parts:
        keys.update(k for k in part if k)
    unknown = keys - set(known)
    above_level = {d.prefix: d for d in Division.objects.filter(prefix__in=unknown)
                   .order_by("-code")} if unknown else {}
    rows = []
    for key in sorted(keys, key=lambda k: (k not in known, k)):
        numbers: dict[str, Any] = {}
        for part in parts:
            numbers.update({k: int(v or 0) for k, v in part.get(key, {}).items() if k != "area"})
        rows.append(replace(_label_for(key, known, above_level, level), **numbers))
    return rows


def total_of(parent: Division, rows: Iterable[AreaStats]) -> AreaStats:
    """The parent's numbers: the sum of its areas' (each household lies in exactly one)."""
    sums = {name: 0 for name in COUNTS}
    for row in rows:
        for name in COUNTS:
            sums[name] += getattr(row, name)
    return AreaStats(key=parent.prefix, code=parent.code, name=parent.name,
                     name_en=parent.name_en, level=parent.level, direct=False, **sums)


def area_statistics(*, user: Reader | None, code: str | None = None, period: Period,
                    level: str | None = None) -> Statistics:
    """The numbers of a division's areas one level down (or `level`) over `period`."""
    parent = parent_division(user=user, code=code)
    chosen = check_level(parent, level)
    county = PREFIX_LENGTH[Level.COUNTY]
    registry = by_county = None
    if len(parent.prefix) < county:
        # One registry pass at the finer of the table's level and the county's; the other is
        # its sums (households nest by code prefix: exact).
        length = PREFIX_LENGTH[chosen]
        finer = _registry(user, parent.prefix, max(length, county), period.income_year)
        registry = _rollup(finer, length) if length < county else finer
        by_county = _rollup(finer, county) if length > county else finer
    rows = _collect(user, parent, chosen, period, period.income_year, registry=registry)
    return Statistics(parent=parent, level=chosen, period=period,
                      income_year=period.income_year, rows=rows, total=total_of(parent, rows),
                      monthly=_monthly(user, parent.prefix, period), county_registry=by_county)


def county_map_statistics(*, user: Reader | None, stats: Statistics
                          ) -> tuple[Division, list[AreaStats]]:
    """What the map colours: counties (the only shapes below the province). When the table
    shows counties, its rows; when it shows provinces or prefectures, the counties under the
    parent; when it shows townships or villages, the county that holds the parent."""
    if stats.level == Level.COUNTY:
        return stats.parent, stats.rows
    parent = stats.parent
    if parent.level == Level.COUNTY:
        return parent, [stats.total]
    if LEVELS.index(parent.level) >= LEVELS.index(Level.COUNTY):
        county = Division.objects.filter(code=parent.code[:6], level=Level.COUNTY).first()
        if county is None or not may_read(user):
            return parent, []
        parent = county
        rows = _collect(user, parent, Level.COUNTY, stats.period, stats.income_year)
        return parent, [replace(total_of(parent, rows), key=parent.prefix)]
    return parent, [r for r in _collect(user, parent, Level.COUNTY, stats.period,
                                        stats.income_year, registry=stats.county_registry)
                    if not r.direct]
