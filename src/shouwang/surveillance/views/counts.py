"""The epidemic-curve page: one division's cases per day, stacked by classification."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.surveillance.models import Classification, DateBasis
from shouwang.surveillance.selectors.counts import epidemic_curve, latest_count_day
from shouwang.surveillance.selectors.diseases import disease_list
from shouwang.surveillance.services.counts import local_day

DEFAULT_DAYS = 60


def _date(raw: str | None, default: date, field: str, errors: dict[str, list[str]]) -> date:
    if not raw:
        return default
    parsed = None
    try:
        parsed = parse_date(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        errors[field] = [_("日期格式应为 YYYY-MM-DD。")]
        return default
    return parsed


@require_capability("surveillance.read")
def curve(request: AuthedRequest) -> HttpResponse:
    today = local_day(timezone.now())
    errors: dict[str, list[str]] = {}
    until = _date(request.GET.get("until"), today, "until", errors)
    since = _date(request.GET.get("since"), until - timedelta(days=DEFAULT_DAYS - 1), "since",
                  errors)
    own = request.user.division
    filters: dict[str, Any] = {
        "disease": request.GET.get("disease") or "",
        "division": request.GET.get("division") or (own.code if own is not None else ""),
        "basis": request.GET.get("basis") or DateBasis.ONSET,
        "since": since, "until": until,
    }
    result = None
    if not errors:
        try:
            result = epidemic_curve(
                user=request.user, since=since, until=until,
                division_code=filters["division"] or None, disease=filters["disease"] or None,
                basis=filters["basis"])
        except InvalidInput as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    # Opened without dates on a quiet period: rather than an empty chart, show the DEFAULT_DAYS
    # up to the last day that had cases, and say so.
    shifted_to = None
    if (result is not None and not result.total and not request.GET.get("since")
            and not request.GET.get("until")):
        latest = latest_count_day(user=request.user, division_code=filters["division"] or None,
                                  disease=filters["disease"] or None, basis=filters["basis"])
        if latest is not None and latest < since:
            until, since = latest, latest - timedelta(days=DEFAULT_DAYS - 1)
            filters.update(since=since, until=until)
            result = epidemic_curve(
                user=request.user, since=since, until=until,
                division_code=filters["division"] or None, disease=filters["disease"] or None,
                basis=filters["basis"])
            shifted_to = latest
    labels = dict(Classification.choices)
    chart = None
    if result is not None and result.total:
        chart = {
            "days": [d.isoformat() for d in result.days],
            "series": [{"name": str(labels[c]), "key": c,
                        "counts": [int(v) for v in result.counts[:, j]]}
                       for j, c in enumerate(result.classifications)],
            "yTitle": _("病例数"), "xTitle": str(dict(DateBasis.choices)[result.basis]),
        }
    return render(request, "surveillance/counts_curve.html", {
        "filters": filters,
        "errors": errors,
        "shifted_to": shifted_to,
        "default_days": DEFAULT_DAYS,
        "curve": result,
        "chart": chart,
        "columns": [labels[c] for c in (result.classifications if result else [])],
        "diseases": disease_list().values_list("code", "name"),
        "bases": DateBasis.choices,
    })
