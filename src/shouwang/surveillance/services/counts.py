"""The daily-count table: cases per county × day × basis × disease × classification.

DailyCount is derived from CaseReport (active reports only, current classification). A rebuild
replaces the whole table, a refresh replaces the cells of some counties and days; both are one
INSERT … SELECT … GROUP BY per date basis, so the database does the counting, and running either
twice gives the same table. One writer adds instead: the bulk import, which knows exactly which
reports each chunk adds and reclassifies, adds those deltas in the chunk's own transaction
(`daily_counts_add`), so the counts are current after every chunk and exact however often a
killed import is resumed (a chunk and its deltas commit together or not at all).

Days are local days of the deployment (settings.TIME_ZONE): a diagnosis at 23:30 in Shanghai is
15:30 UTC and counts on the Shanghai date. The conversion is Django's TruncDate with an explicit
zone, which compiles to `AT TIME ZONE` on PostgreSQL and to Django's registered date function on
SQLite, so both backends agree.

Concurrency: a refresh takes a transaction-scoped advisory lock per county on PostgreSQL, so two
refreshes of the same county run one after the other and the second reads what the first
committed (delete-then-insert under READ COMMITTED would otherwise let both insert the same cell).
A rebuild locks the table. SQLite serialises writers on its own.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr, TruncDate
from django.utils import timezone

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.core.scoping import prefix_q
from shouwang.surveillance.models import CaseReport, CaseStatus, DailyCount, DateBasis

if TYPE_CHECKING:
    from shouwang.accounts.models import User

COUNTY_DIGITS = 6
Progress = Callable[[int, int, str], None]


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_day(moment: datetime) -> date:
    """The deployment's calendar day of an aware moment."""
    return timezone.localtime(moment, local_tz()).date()


def _day_expression(basis: str) -> Any:
    if basis == DateBasis.ONSET:
        # The onset is already a calendar date.
        return F("onset_date")
    field = "diagnosed_at" if basis == DateBasis.DIAGNOSIS else "reported_at"
    return TruncDate(field, tzinfo=local_tz())


def _day_runs_q(basis: str, days: Iterable[date]) -> Q:
    """The reports whose basis column falls on one of `days` (local days), as ranges."""
    runs: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if runs and (day - runs[-1][1]).days == 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    cond = Q()
    for first, last in runs:
        if basis == DateBasis.ONSET:
            cond |= Q(onset_date__gte=first, onset_date__lte=last)
        else:
            field = "diagnosed_at" if basis == DateBasis.DIAGNOSIS else "reported_at"
            start = datetime.combine(first, time.min, tzinfo=local_tz())
            end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=local_tz())
            cond |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return cond


def _grouped(basis: str, *, counties: Iterable[str] | None, days: Iterable[date] | None
             ) -> QuerySet[Any]:
    """Active reports grouped by (county, day, disease, classification) for one basis."""
    qs = CaseReport.objects.filter(status=CaseStatus.ACTIVE)
    if counties is not None:
        cond = Q()
        for county in sorted(set(counties)):
            cond |= prefix_q("division_code", county)
        qs = qs.filter(cond)
    if basis == DateBasis.ONSET:
        qs = qs.filter(onset_date__isnull=False)
    if days is not None:
        # The raw column first, by runs of consecutive days: the local-day conversion (a
        # Python function on SQLite) then runs only for the reports of those days, not for
        # every report of the county (decision 0710).
        qs = qs.filter(_day_runs_q(basis, days))
    qs = qs.annotate(cday=_day_expression(basis))
    if days is not None:
        qs = qs.filter(cday__in=sorted(set(days)))
    return (
        qs.annotate(county=Substr("division_code", 1, COUNTY_DIGITS))
        .values("county", "cday", "disease_id", "classification")
        .annotate(n=Count("id"))
        .order_by()
    )


def _insert(basis: str, *, counties: Iterable[str] | None, days: Iterable[date] | None) -> int:
    inner = _grouped(basis, counties=counties, days=days)
    inner_sql, params = inner.query.sql_with_params()
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    # The grouped query is wrapped so its columns are read by name, whatever order Django
    # chose for fields and annotations in the SELECT list. Only the quoted table name and
    # Django's own compiled SQL are interpolated; every value is a parameter.
    columns = "county_code, day, basis, disease_id, classification, count"
    select = "g.county, g.cday, %s, g.disease_id, g.classification, g.n"
    # Inserted in the order of the unique index, so its pages fill one after another instead of
    # being split at random (a third faster for a rebuild on PostgreSQL; decision 0710).
    order = "g.county, g.cday, g.disease_id, g.classification"
    sql = (f"INSERT INTO {table} ({columns}) SELECT {select} FROM ({inner_sql}) g "  # noqa: S608
           f"ORDER BY {order}")
    with connection.cursor() as cursor:
        cursor.execute(sql, (basis, *params))
        written: int = max(cursor.rowcount, 0)
        return written


def _lock_counties(counties: Iterable[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for county in sorted(set(counties)):  # a fixed order: no deadlock between refreshes
            key = zlib.crc32(f"dailycount:{county}".encode()) - 2**31
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def daily_counts_rebuild(*, actor: User | None = None, progress: Progress | None = None) -> int:
    """Recompute the whole table in one transaction; returns the number of cells written."""
    bases = [b.value for b in DateBasis]
    total = len(bases) + 1
    written = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(DailyCount._meta.db_table)} "
                    "IN EXCLUSIVE MODE")
                # Grouping five million reports into millions of cells: in memory, not in
                # batches spilled to disk (for this transaction only).
                cursor.execute("SET LOCAL work_mem = '256MB'")
        if progress:
            progress(0, total, "delete")
        DailyCount.objects.all().delete()
        for i, basis in enumerate(bases, start=1):
            if progress:
                progress(i, total, basis)
            written += _insert(basis, counties=None, days=None)
        audit_log(actor=actor, action=AuditAction.UPDATE, object_type="surveillance.dailycount",
                  object_id="all", summary=f"daily counts rebuilt: {written} cells")
    if progress:
        progress(total, total, "done")
    return written


def cells_of(cases: Iterable[CaseReport]) -> tuple[set[str], set[date]]:
    """The counties and local days a set of reports touches, on every basis."""
    counties: set[str] = set()
    days: set[date] = set()
    for case in cases:
        if not case.division_code:
            continue
        counties.add(case.division_code[:COUNTY_DIGITS])
        if case.onset_date is not None:
            days.add(case.onset_date)
        for moment in (case.diagnosed_at, case.reported_at):
            if moment is not None:
                days.add(local_day(moment))
    return counties, days


def daily_counts_refresh_for(
    cases: Iterable[CaseReport] | None = None,
    /,
    *,
    county_codes: Iterable[str] | None = None,
    days: Iterable[date] | None = None,
) -> None:
    """Recompute the cells of some counties (× some days, or all their days) on every basis.

    Called after a write commits, with the reports as they were before and after the change
    (`cases`), or with explicit counties and days. A superset of the touched cells is recomputed
    exactly, so the result does not depend on how many times or in which order refreshes run.
    """
    counties: set[str] = {c[:COUNTY_DIGITS] for c in (county_codes or ()) if c}
    day_set: set[date] | None = set(days) if days is not None else None
    if cases is not None:
        case_counties, case_days = cells_of(cases)
        counties |= case_counties
        if county_codes is None and days is None:
            day_set = case_days
        elif day_set is not None:
            day_set |= case_days
    if not counties or (day_set is not None and not day_set):
        return
    with transaction.atomic():
        _lock_counties(counties)
        stale = DailyCount.objects.filter(county_code__in=sorted(counties))
        if day_set is not None:
            stale = stale.filter(day__in=sorted(day_set))
        stale.delete()
        for basis in DateBasis:
            _insert(basis.value, counties=counties, days=day_set)


Cell = tuple[str, date, str, str, str]  # county, day, basis, disease, classification


def case_cells(*, division_code: str, onset_date: date | None, diagnosed_at: datetime,
               reported_at: datetime, disease: str, classification: str,
               zone: Any = None) -> list[Cell]:
    """The cells one active report counts in, one per date basis."""
    zone = zone or local_tz()
    county = division_code[:COUNTY_DIGITS]
    cells = [(county, diagnosed_at.astimezone(zone).date(), DateBasis.DIAGNOSIS.value, disease,
              classification),
             (county, reported_at.astimezone(zone).date(), DateBasis.REPORT.value, disease,
              classification)]
    if onset_date is not None:
        cells.append((county, onset_date, DateBasis.ONSET.value, disease, classification))
    return cells


def daily_counts_add(deltas: dict[Cell, int]) -> None:
    """Add `deltas` to the cells (inside the caller's transaction, which must also hold the
    writes they describe); cells that reach zero are removed, as a recount would not have them.
    Takes the same per-county locks as a refresh, so the two never interleave on a county."""
    changed = {cell: n for cell, n in deltas.items() if n}
    if not changed:
        return
    _lock_counties(cell[0] for cell in changed)
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    key = "county_code, day, basis, disease_id, classification"
    rows = [(county, day, basis, disease, cls, n)
            for (county, day, basis, disease, cls), n in sorted(changed.items())]
    more = [row for row in rows if row[5] > 0]
    fewer = [row for row in rows if row[5] < 0]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _add_postgresql(cursor, table, key, more, fewer)
        else:
            _add_each(cursor, table, key, more, fewer)


_WHERE = "county_code = %s AND day = %s AND basis = %s AND disease_id = %s AND classification = %s"


def _add_each(cursor: Any, table: str, key: str, more: list[tuple[Any, ...]],
              fewer: list[tuple[Any, ...]]) -> None:
    """One statement per cell (SQLite runs them in-process; the B-tree work dominates)."""
    adapt = connection.ops.adapt_datefield_value
    cursor.executemany(
        f"INSERT INTO {table} ({key}, count) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608
        f"ON CONFLICT ({key}) DO UPDATE SET count = {table}.count + excluded.count",
        [(c, adapt(d), b, dis, cls, n) for c, d, b, dis, cls, n in more])
    if fewer:
        # A cell that is missing stays missing (it holds nothing to take away from).
        cursor.executemany(
            f"UPDATE {table} SET count = CASE WHEN count + %s > 0 "  # noqa: S608
            f"THEN count + %s ELSE 0 END WHERE {_WHERE}",
            [(n, n, c, adapt(d), b, dis, cls) for c, d, b, dis, cls, n in fewer])
        cursor.executemany(f"DELETE FROM {table} WHERE {_WHERE} AND count <= 0",  # noqa: S608
                           [(c, adapt(d), b, dis, cls) for c, d, b, dis, cls, _n in fewer])


def _add_postgresql(cursor: Any, table: str, key: str, more: list[tuple[Any, ...]],
                    fewer: list[tuple[Any, ...]]) -> None:
    """One statement over arrays for all cells: a statement per cell cost 200 µs a report
    (three cells each) in round trips and planning, the whole import's largest step."""
    cells = ("SELECT * FROM unnest(%s::varchar[], %s::date[], %s::varchar[], %s::varchar[], "
             "%s::varchar[], %s::integer[]) AS d(county_code, day, basis, disease_id, "
             "classification, n)")

    def columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
        return [list(column) for column in zip(*rows, strict=True)]

    if more:
        cursor.execute(
            f"INSERT INTO {table} ({key}, count) {cells} "
            f"ON CONFLICT ({key}) DO UPDATE SET count = {table}.count + excluded.count",
            columns(more))
    if fewer:
        match = " AND ".join(f"t.{c} = d.{c}" for c in key.split(", "))
        cursor.execute(
            f"UPDATE {table} t SET count = GREATEST(t.count + d.n, 0) "  # noqa: S608
            f"FROM ({cells}) d WHERE {match}", columns(fewer))
        cursor.execute(
            f"DELETE FROM {table} t USING ({cells}) d WHERE {match} AND t.count <= 0",  # noqa: S608
            columns(fewer))


__all__ = [
    "case_cells",
    "cells_of",
    "daily_counts_add",
    "daily_counts_rebuild",
    "daily_counts_refresh_for",
    "local_day",
]
