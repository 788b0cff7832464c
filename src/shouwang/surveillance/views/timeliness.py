"""报告及时性: per division, on-time reports and verifications for a period; the late reports
and the overdue verifications behind the rates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors
from shouwang.surveillance.selectors import timeliness as selectors
from shouwang.surveillance.views.case_common import disease_label, names_for
from shouwang.surveillance.views.counts import _date

DEFAULT_DAYS = 30
LIST_MAX = 50


@require_capability("surveillance.read")
def timeliness(request: AuthedRequest) -> HttpResponse:
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    until = _date(request.GET.get("until"), today, "until", errors)
    since = _date(request.GET.get("since"), until - timedelta(days=DEFAULT_DAYS - 1), "since",
                  errors)
    level = request.GET.get("level") or "county"
    rows: list[selectors.TimelinessRow] = []
    late: list[Any] = []
    overdue: list[Any] = []
    if not errors:
        try:
            rows = selectors.timeliness_rates(user=request.user, since=since, until=until,
                                              level=level)
            late = list(selectors.late_reports(user=request.user, since=since, until=until)
                        .defer("name", "id_number", "phone", "address_detail")[:LIST_MAX])
            overdue = list(selectors.overdue_verifications(user=request.user)
                           .defer("name", "id_number", "phone", "address_detail")[:LIST_MAX])
        except InvalidInput as exc:
            errors = field_errors(exc)
    names = names_for([c.division_code for c in late + overdue])
    chart = None
    counted = [r for r in rows if r.rate is not None]
    if counted:
        chart = {
            "labels": [f"{r.division_name or r.division_code}" for r in counted],
            "rates": [round(r.rate * 100, 1) for r in counted if r.rate is not None],
            "reports": [r.reports for r in counted],
            "yTitle": _("及时报告率（%）"),
        }
    return render(request, "surveillance/timeliness.html", {
        "since": since, "until": until, "level": level, "errors": errors,
        "rows": rows, "chart": chart, "names": names,
        "late": [(c, names.get(c.division_code, ""), disease_label(c.disease),
                  round(c.delay.total_seconds() / 3600, 1)) for c in late],
        "overdue": [(c, names.get(c.division_code, ""), disease_label(c.disease))
                    for c in overdue],
        "levels": [("county", _("县级")), ("prefecture", _("地市级")),
                   ("province", _("省级")), ("children", _("下一级"))],
        "list_max": LIST_MAX,
    })
