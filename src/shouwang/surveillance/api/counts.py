"""/api/v1/surveillance/counts: daily counts by division and the epidemic curve of one division."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import csv
import io
from datetime import date
from typing import Any

from django.http import HttpResponse
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


CSV_COLUMNS = ["division_code", "day", "disease", "classification", "count"]


@router.get("/daily", response=list[CountOut],
            summary="Cases per division × day × disease × classification (CSV with format=csv)")
def counts_daily(request: AuthedRequest, params: Query[DailyIn]) -> Any:
    check_capability(request, READ)
    if params.format not in ("json", "csv"):
        raise InvalidInput({"format": [_("取值无效，可选：%(opts)s。") % {"opts": "json, csv"}]})
    if params.format == "csv":
        check_capability(request, EXPORT)
    rows = selectors.daily_counts(
        user=request.user, since=params.since, until=params.until,
        division_code=params.division, level=params.level, disease=params.disease,
        basis=params.basis, classifications=params.classification)
    if params.format == "json":
        return rows
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([row.division_code, row.day.isoformat(), row.disease,
                         row.classification, row.cases])
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
