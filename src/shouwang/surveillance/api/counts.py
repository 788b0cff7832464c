"""/api/v1/surveillance/counts: daily counts by division, the dense county matrix of one disease,
and the epidemic curve of one division."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.surveillance.selectors import counts as selectors

router = Router(tags=["surveillance: counts"])

READ = "surveillance.read"
EXPORT = "surveillance.export"


class FiltersIn(Schema):
    since: date
    until: date
    division: str | None = None
    disease: str | None = None
    basis: str = "onset"
    classification: list[str] | None = None


class DailyIn(FiltersIn):
    level: str | None = None
    format: str = "json"


class CountOut(Schema):
    division_code: str
    day: date
    disease: str
    classification: str
    count: int = Field(..., alias="cases")


class CurveOut(Schema):
    division_code: str
    division_name: str
    disease: str | None
    basis: str
    days: list[date]
    classifications: list[str]
    # counts[i][j]: cases on days[i] of classifications[j]; every day present, zeros included.
    counts: list[list[int]]
    total: int


class MatrixIn(Schema):
    since: date
    until: date
    disease: str
    division: str | None = None
    basis: str = "onset"
    classification: list[str] | None = None
    offset: int = Field(0, ge=0)
    limit: int = Field(1000, ge=1, le=5000)


class MatrixOut(Schema):
    division_code: str
    disease: str
    basis: str
    counties: list[str]  # this page of the division's counties (all of them, zeros included)
    days: list[date]
    classifications: list[str]
    # counts[i][j][k]: cases in counties[i] on days[j] of classifications[k].
    counts: list[list[list[int]]]
    total: int  # over this page's counties
    offset: int
    limit: int
    has_next: bool
    county_total: int


CSV_COLUMNS = ["division_code", "day", "disease", "classification", "count"]
STREAM_CHUNK = 20_000  # rows per piece of a streamed answer


def _matrix_rows(params: DailyIn, request: AuthedRequest) -> Iterator[tuple[Any, ...]] | None:
    """The county-level rows of one disease from the dense matrix (one query, no object per
    cell), in the order of the daily rows; None when the request is not of that kind."""
    if not params.disease or (params.level or "county") != "county":
        return None
    scope = selectors.resolve_scope(user=request.user, division_code=params.division,
                                    level=params.level)
    if scope.level != "county":
        return None
    wanted = selectors.check_filters(
        basis=params.basis, since=params.since, until=params.until, disease=params.disease,
        classifications=params.classification)
    m = selectors.count_matrix(
        user=request.user, since=params.since, until=params.until,
        division_code=params.division, disease=params.disease, basis=params.basis,
        classifications=sorted(wanted))
    ci, di, ki = np.nonzero(m.counts)  # C order: county, then day, then classification
    values = m.counts[ci, di, ki].tolist()
    counties, days, classes = m.counties, m.days, m.classifications
    disease = m.disease
    return ((counties[c], days[d], disease, classes[k], v)
            for c, d, k, v in zip(ci.tolist(), di.tolist(), ki.tolist(), values, strict=True))


def _json_stream(rows: Iterator[tuple[Any, ...]]) -> Iterator[bytes]:
    yield b"["
    first = True
    batch: list[str] = []
    for code, day, disease, cls, n in rows:
        batch.append(json.dumps({"division_code": code, "day": day.isoformat(),
                                 "disease": disease, "classification": cls, "count": n},
                                ensure_ascii=False))
        if len(batch) >= STREAM_CHUNK:
            yield (("" if first else ",") + ",".join(batch)).encode()
            first, batch = False, []
    if batch:
        yield (("" if first else ",") + ",".join(batch)).encode()
    yield b"]"


@router.get("/daily", response=list[CountOut],
            summary="Cases per division × day × disease × classification (CSV with format=csv)")
def counts_daily(request: AuthedRequest, params: Query[DailyIn]) -> Any:
    check_capability(request, READ)
    if params.format not in ("json", "csv"):
        raise InvalidInput({"format": [_("取值无效，可选：%(opts)s。") % {"opts": "json, csv"}]})
    if params.format == "csv":
        check_capability(request, EXPORT)
    matrix_rows = _matrix_rows(params, request)
    if matrix_rows is not None and params.format == "json":
        # Every county of one disease: up to millions of cells, streamed as they are encoded.
        return StreamingHttpResponse(_json_stream(matrix_rows),
                                     content_type="application/json")
    rows = list(matrix_rows) if matrix_rows is not None else selectors.daily_counts(
        user=request.user, since=params.since, until=params.until,
        division_code=params.division, level=params.level, disease=params.disease,
        basis=params.basis, classifications=params.classification)
    if params.format == "json":
        return rows
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        code, day, disease, cls, n = row
        writer.writerow([code, day.isoformat(), disease, cls, n])
    audit_log(actor=request.user, action=AuditAction.EXPORT,
              object_type="surveillance.dailycount", object_id="daily",
              division_code=params.division or "",
              summary=f"daily counts CSV: {len(rows)} rows",
              changes={"since": params.since.isoformat(), "until": params.until.isoformat(),
                       "basis": params.basis, "disease": params.disease or "",
                       "level": params.level or ""})
    response = HttpResponse(buffer.getvalue().encode("utf-8-sig"),
                            content_type="text/csv; charset=utf-8")
    name = f"daily-counts-{params.basis}-{params.since:%Y%m%d}-{params.until:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.get("/curve", response=CurveOut,
            summary="One division's epidemic curve: days × classification, zero-filled")
def counts_curve(request: AuthedRequest, params: Query[FiltersIn]) -> Any:
    check_capability(request, READ)
    curve = selectors.epidemic_curve(
        user=request.user, since=params.since, until=params.until,
        division_code=params.division, disease=params.disease, basis=params.basis,
        classifications=params.classification)
    return {
        "division_code": curve.division_code, "division_name": curve.division_name,
        "disease": curve.disease, "basis": curve.basis, "days": curve.days,
        "classifications": curve.classifications, "counts": curve.counts.tolist(),
        "total": curve.total,
    }


@router.get("/matrix", response=MatrixOut,
            summary="Every county under a division × day × classification of one disease, "
                    "dense (zeros included), a page of counties at a time")
def counts_matrix(request: AuthedRequest, params: Query[MatrixIn]) -> Any:
    check_capability(request, READ)
    m = selectors.count_matrix(
        user=request.user, since=params.since, until=params.until,
        division_code=params.division, disease=params.disease, basis=params.basis,
        classifications=params.classification)
    end = params.offset + params.limit
    page = m.counts[params.offset:end]
    body = {
        "division_code": m.division_code, "disease": m.disease, "basis": m.basis,
        "counties": m.counties[params.offset:end],
        "days": [d.isoformat() for d in m.days], "classifications": m.classifications,
        "counts": page.tolist(), "total": int(page.sum()), "offset": params.offset,
        "limit": params.limit, "has_next": end < len(m.counties),
        "county_total": len(m.counties),
    }
    # Encoded directly: a page is up to millions of integers, each of which a schema would
    # validate again on the way out (the schema above documents the same shape).
    return HttpResponse(json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                        content_type="application/json")
