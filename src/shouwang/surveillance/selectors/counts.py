"""Daily counts at any division level, the epidemic curve of one division, and the dense
county × day × classification matrix of one disease that the early-warning analytics read.

All read DailyCount (county × day × basis × disease × classification) and sum it over the counties
under each division: one aggregate query, never a scan of the reports. The jurisdiction rule is the
one in shouwang.core.scoping: a named division outside the user's answers 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from django.db import connection
from django.db.models import F, Max, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import (
    in_jurisdiction,
    jurisdiction_prefix,
    prefix_q,
    prefix_upper_bound,
)
from shouwang.geo.models import PREFIX_LENGTH, Division, Level
from shouwang.surveillance.models import Classification, DailyCount, DateBasis, Disease

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from shouwang.accounts.models import User

LEVELS: dict[str, str] = {
    "province": Level.PROVINCE,
    "prefecture": Level.PREFECTURE,
    "county": Level.COUNTY,
}
# The level one below a division's own; counts stop at counties, so a county is its own child.
_CHILD_OF_WIDTH = {0: "province", 2: "prefecture", 4: "county", 6: "county"}
MAX_DAYS = 1096  # three years: a curve longer than that is a different question


@dataclass(frozen=True)
class Scope:
    """The division asked about (its code, name and prefix) and the level rows are grouped by."""

    code: str
    name: str
    prefix: str
    level: str
    width: int


class CountRow(NamedTuple):
    """A tuple, not a dataclass: a year of every county is a million rows, built in a loop."""

    division_code: str
    day: date
    disease: str
    classification: str
    cases: int  # not `count`: a tuple already has a count() method


@dataclass(frozen=True)
class Curve:
    """One division's cases per day (rows, every day of the period) × classification (columns)."""

    division_code: str
    division_name: str
    disease: str | None
    basis: str
    days: list[date]
    classifications: list[str]
    counts: NDArray[np.int64]

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def rows(self) -> list[tuple[date, list[int], int]]:
        """(day, count per classification, day total) for the table under the chart."""
        return [(d, [int(v) for v in self.counts[i]], int(self.counts[i].sum()))
                for i, d in enumerate(self.days)]


def check_filters(
    *, basis: str, since: date, until: date, disease: str | None,
    classifications: Iterable[str] | None,
) -> list[str]:
    """Field errors for the filters; the classifications asked for (all when None)."""
    errors: dict[str, list[str]] = {}
    if basis not in DateBasis.values:
        errors["basis"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(DateBasis.values)}]
    if until < since:
        errors["until"] = [_("结束日期不能早于开始日期。")]
    elif (until - since).days + 1 > MAX_DAYS:
        errors["until"] = [_("统计期间不能超过 %(n)s 天。") % {"n": MAX_DAYS}]
    if disease and not Disease.objects.filter(code=disease).exists():
        errors["disease"] = [_("未知病种。")]
    wanted = list(dict.fromkeys(classifications or ())) or list(Classification.values)
    bad = [c for c in wanted if c not in Classification.values]
    if bad:
        errors["classifications"] = [
            _("取值无效，可选：%(opts)s。") % {"opts": ", ".join(Classification.values)}]
    if errors:
        raise InvalidInput(errors)
    return wanted


def resolve_scope(*, user: User, division_code: str | None, level: str | None) -> Scope:
    """The division (the user's own by default) and the grouping level (its children's)."""
    user_prefix = jurisdiction_prefix(user)
    if user_prefix is None:
        raise Http404
    if division_code:
        division = Division.objects.filter(code=division_code).first()
        if division is None:
            raise InvalidInput({"division": [_("未知区划。")]})
        if not in_jurisdiction(user, division.prefix):
            raise Http404
        code, name, prefix = division.code, division.name, division.prefix
    else:
        own = getattr(user, "division", None)
        code = own.code if own is not None else ""
        name = own.name if own is not None else ""
        prefix = user_prefix
    if len(prefix) > PREFIX_LENGTH[Level.COUNTY]:
        # Counts are kept per county: a township asks about its county's figures it cannot see.
        raise InvalidInput({"division": [_("每日病例数按县级区划统计，请选择县级或以上区划。")]})
    chosen = level or _CHILD_OF_WIDTH[len(prefix)]
    if chosen not in LEVELS:
        options = ", ".join(LEVELS)
        raise InvalidInput({"level": [_("取值无效，可选：%(opts)s。") % {"opts": options}]})
    width = PREFIX_LENGTH[LEVELS[chosen]]
    if width < len(prefix):
        raise InvalidInput({"level": [_("统计层级不能高于所选区划的层级。")]})
    return Scope(code=code, name=name, prefix=prefix, level=chosen, width=width)


def _cells(*, prefix: str, basis: str, since: date, until: date, disease: str | None,
           classifications: Sequence[str]) -> Any:
    qs = DailyCount.objects.filter(basis=basis, day__gte=since, day__lte=until)
    if prefix:
        qs = qs.filter(prefix_q("county_code", prefix))
    if disease:
        qs = qs.filter(disease_id=disease)
    if set(classifications) != set(Classification.values):
        qs = qs.filter(classification__in=list(classifications))
    return qs


def daily_counts(
    *,
    user: User,
    since: date,
    until: date,
    division_code: str | None = None,
    level: str | None = None,
    disease: str | None = None,
    basis: str = DateBasis.ONSET,
    classifications: Iterable[str] | None = None,
) -> list[CountRow]:
    """Cases per division of `level` under the chosen division × day × disease × classification.

    Only non-zero cells are returned, ordered by division, day, disease and classification.
    """
    wanted = check_filters(basis=basis, since=since, until=until, disease=disease,
                           classifications=classifications)
    scope = resolve_scope(user=user, division_code=division_code, level=level)
    qs = _cells(prefix=scope.prefix, basis=basis, since=since, until=until, disease=disease,
                classifications=wanted)
    order = ("code", "day", "disease_id", "classification")
    if scope.width == PREFIX_LENGTH[Level.COUNTY]:
        # One basis, county level: the unique constraint makes every cell one row already, so
        # there is nothing to sum and the database only reads the index range.
        rows = qs.annotate(code=F("county_code")).order_by(*order).values_list(*order, "count")
    else:
        rows = (
            qs.annotate(code=Substr("county_code", 1, scope.width))
            .values(*order)
            .annotate(n=Sum("count"))
            .order_by(*order)
            .values_list(*order, "n")
        )
    return [CountRow(c, d, dis, cls, int(n))
            for c, d, dis, cls, n in rows.iterator(chunk_size=20000)]


def epidemic_curve(
    *,
    user: User,
    since: date,
    until: date,
    division_code: str | None = None,
    disease: str | None = None,
    basis: str = DateBasis.ONSET,
    classifications: Iterable[str] | None = None,
) -> Curve:
    """One division's days × classification matrix, every day present (zeros where none)."""
    wanted = check_filters(basis=basis, since=since, until=until, disease=disease,
                           classifications=classifications)
    scope = resolve_scope(user=user, division_code=division_code, level=None)
    qs = _cells(prefix=scope.prefix, basis=basis, since=since, until=until, disease=disease,
                classifications=wanted)
    n_days = (until - since).days + 1
    days = [since + timedelta(days=i) for i in range(n_days)]
    column = {c: j for j, c in enumerate(wanted)}
    matrix = np.zeros((n_days, len(wanted)), dtype=np.int64)
    for day, cls, n in (qs.values("day", "classification").annotate(n=Sum("count"))
                        .order_by().values_list("day", "classification", "n")):
        matrix[(day - since).days, column[cls]] = int(n)
    return Curve(division_code=scope.code, division_name=scope.name, disease=disease,
                 basis=basis, days=days, classifications=wanted, counts=matrix)


def latest_count_day(
    *,
    user: User,
    division_code: str | None = None,
    disease: str | None = None,
    basis: str = DateBasis.ONSET,
) -> date | None:
    """The last day with any case in the division (for a curve that opens on a quiet period)."""
    scope = resolve_scope(user=user, division_code=division_code, level=None)
    qs = DailyCount.objects.filter(basis=basis, count__gt=0)
    if scope.prefix:
        qs = qs.filter(prefix_q("county_code", scope.prefix))
    if disease:
        qs = qs.filter(disease_id=disease)
    latest: date | None = qs.aggregate(latest=Max("day"))["latest"]
    return latest


# --- the dense matrix -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CountMatrix:
    """Cases of one disease on one basis: counts[i, j, k] for counties[i] × days[j] ×
    classifications[k], every county under the division (those with no case included) and every
    day of the period; zeros where there is nothing."""

    division_code: str
    disease: str
    basis: str
    counties: list[str]
    days: list[date]
    classifications: list[str]
    counts: NDArray[np.int32]

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def by_day(self) -> NDArray[np.int64]:
        """counties × days, every classification summed (what Rt and EARS read)."""
        summed: NDArray[np.int64] = self.counts.sum(axis=2, dtype=np.int64)
        return summed


def matrix_sql(prefix: str, basis: str, disease: str, since: date, until: date,
                classifications: Sequence[str]) -> tuple[str, list[Any]]:
    """One row per non-zero cell, as four integers: county code, day offset, classification
    index (1-based), count. Read straight off the covering index (basis, disease, day,
    county_code, classification, count)."""
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    where = ["basis = %s", "disease_id = %s", "day >= %s", "day <= %s"]
    params: list[Any] = [basis, disease, since, until]
    if prefix:
        where.append("county_code >= %s")
        params.append(prefix)
        upper = prefix_upper_bound(prefix)
        if upper is not None:
            where.append("county_code < %s")
            params.append(upper)
    cls_case = "CASE classification " + " ".join(
        f"WHEN %s THEN {i}" for i in range(1, len(classifications) + 1)) + " END"
    where.append("classification IN (" + ", ".join(["%s"] * len(classifications)) + ")")
    if connection.vendor == "postgresql":
        offset = "(day - %s)"
    else:
        offset = "CAST(julianday(day) - julianday(%s) AS integer)"
    count = connection.ops.quote_name("count")
    # Only the quoted table and column names are interpolated; every value is a parameter.
    sql = (f"SELECT CAST(county_code AS integer), {offset}, {cls_case}, {count} "  # noqa: S608
           f"FROM {table} WHERE {' AND '.join(where)}")
    return sql, [since, *classifications, *params, *classifications]


def matrix_cells(sql: str, params: list[Any]) -> NDArray[np.int64]:
    """The cells as an n × 4 integer array.

    PostgreSQL: the server packs every cell into ONE bytea (`string_agg` of `int4send`, 16 bytes
    a cell), fetched in binary and read by `np.frombuffer`: one message instead of one per row,
    which is what a binary COPY costs in Python (measured against ORM tuples, a plain cursor,
    per-county arrays and COPY in bench/bench_daily_counts.py; decision 0710). SQLite: one plain
    cursor, no model instances.
    """
    if connection.vendor == "postgresql":
        import psycopg

        packed = ("SELECT string_agg(int4send(c0) || int4send(c1) || int4send(c2) "  # noqa: S608
                  f"|| int4send(c3), NULL) FROM ({sql}) cells(c0, c1, c2, c3)")
        connection.ensure_connection()
        # Django's cursors bind on the client, which cannot return binary results.
        with psycopg.Cursor(connection.connection) as raw:
            raw.execute(packed, params, binary=True)
            row = raw.fetchone()
        data = row[0] if row and row[0] is not None else b""
        return np.frombuffer(data, dtype=">i4").reshape(-1, 4).astype(np.int64)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 4)


def count_matrix(
    *,
    user: User,
    disease: str,
    since: date,
    until: date,
    division_code: str | None = None,
    basis: str = DateBasis.ONSET,
    classifications: Iterable[str] | None = None,
) -> CountMatrix:
    """Every county under the division (the user's own by default) × every day × classification
    of one disease: the dense matrix the early-warning analytics take, built from one query."""
    if not disease:
        raise InvalidInput({"disease": [_("此项为必填项。")]})
    wanted = check_filters(basis=basis, since=since, until=until, disease=disease,
                           classifications=classifications)
    scope = resolve_scope(user=user, division_code=division_code, level="county")
    sql, params = matrix_sql(scope.prefix, basis, disease, since, until, wanted)
    cells = matrix_cells(sql, params)
    known = Division.objects.filter(level=Level.COUNTY)
    if scope.prefix:
        known = known.filter(prefix_q("code", scope.prefix))
    # Every county of the division table, and any county code the reports carry beyond it.
    codes = np.union1d(np.array([int(c) for c in known.values_list("code", flat=True)
                                 if c.isdigit()], dtype=np.int64),
                       np.unique(cells[:, 0]))
    n_days = (until - since).days + 1
    counts = np.zeros((len(codes), n_days, len(wanted)), dtype=np.int32)
    if len(cells):
        counts[np.searchsorted(codes, cells[:, 0]), cells[:, 1], cells[:, 2] - 1] = cells[:, 3]
    width = PREFIX_LENGTH[Level.COUNTY]
    return CountMatrix(
        division_code=scope.code, disease=disease, basis=basis,
        counties=[str(c).zfill(width) for c in codes.tolist()],
        days=[since + timedelta(days=i) for i in range(n_days)],
        classifications=wanted, counts=counts,
    )
