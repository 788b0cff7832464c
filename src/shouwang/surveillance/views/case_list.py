"""The line list (病例一览): filters, a page at a time, bulk verify/reclassify, export.

The page asks the selector for one row more than it shows (has_next) instead of counting: a
count over a whole province is slower than the page. A county (or smaller) jurisdiction gets its
count with the page; above that the count is one click away.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.surveillance.models import CaseStatus, Classification, DateBasis
from shouwang.surveillance.selectors import cases as selectors
from shouwang.surveillance.services import cases as services
from shouwang.surveillance.views.case_common import (
    disease_choices,
    disease_label,
    names_for,
    read_list_query,
)

PAGE_SIZE = 50
# A county or smaller jurisdiction (prefix of 6+ digits) gets its count with the page, up to
# COUNT_CAP (a bounded scan); above that, or for an exact figure, the count is one click away.
COUNT_FREE_PREFIX = 6
COUNT_CAP = 10_000
BASIS_TO_CURVE = {DateBasis.ONSET: "onset", DateBasis.DIAGNOSIS: "diagnosis",
                  DateBasis.REPORT: "report"}


def _export_url(filters: dict[str, Any]) -> str | None:
    """The export page (views/exports.py) with the list's filters in CaseFilters names: it asks
    for the format and the masking, queues the job and follows it to the download."""
    try:
        url = reverse("surveillance:case-export")
    except NoReverseMatch:
        return None
    params = {k: ("1" if v else "0") if isinstance(v, bool)
              else (v.isoformat() if hasattr(v, "isoformat") else str(v))
              for k, v in filters.items()}
    return url + "?" + urlencode(params)


@require_capability("surveillance.read")
def case_list(request: AuthedRequest) -> HttpResponse:
    query = read_list_query(request.GET)
    try:
        offset = max(0, int(request.GET.get("offset") or 0))
    except ValueError:
        offset = 0
    page = None
    total: int | None = None
    over_cap = False
    names: dict[str, str] = {}
    if not query.errors:
        filters = selectors.CaseFilters(**query.filters)
        page = selectors.case_page(user=request.user, filters=filters, offset=offset,
                                   limit=PAGE_SIZE)
        prefix = jurisdiction_prefix(request.user) or ""
        if request.GET.get("total") == "1":
            total = selectors.case_count(user=request.user, filters=filters)
        elif len(prefix) >= COUNT_FREE_PREFIX:
            total = selectors.case_count_upto(user=request.user, filters=filters, cap=COUNT_CAP)
            over_cap = total > COUNT_CAP
        names = names_for(c.division_code for c in page.items)
    kept = {k: v for k, v in query.raw.items() if v}
    curve = {"disease": query.raw["disease"], "division": query.raw["division_code"],
             "basis": BASIS_TO_CURVE[DateBasis(query.raw["basis"])],
             "since": query.raw["since"], "until": query.raw["until"]}
    export_url = (_export_url(query.filters)
                  if request.user.has_capability("surveillance.export") else None)
    return render(request, "surveillance/case_list.html", {
        "q": query.raw, "errors": query.errors, "page": page, "total": total,
        "over_cap": over_cap, "count_cap": COUNT_CAP,
        "rows": [(c, names.get(c.division_code, ""), disease_label(c.disease))
                 for c in (page.items if page else [])],
        "first": offset + 1, "last": offset + len(page.items) if page else 0,
        "previous_url": ("?" + urlencode({**kept, "offset": max(0, offset - PAGE_SIZE)})
                         if offset > 0 else None),
        "next_url": ("?" + urlencode({**kept, "offset": offset + PAGE_SIZE})
                     if page and page.has_next else None),
        "total_url": "?" + urlencode({**kept, "total": "1"}),
        "curve_url": reverse("surveillance:curve") + "?" + urlencode(
            {k: v for k, v in curve.items() if v}),
        "export_url": export_url,
        "can_write": request.user.has_capability(services.WRITE),
        "diseases": disease_choices(),
        "classifications": Classification.choices,
        "statuses": [*CaseStatus.choices, ("all", _("全部状态"))],
        "bases": DateBasis.choices,
        "list_url": request.get_full_path(),
    })


@require_capability(services.WRITE)
@require_POST
def case_bulk(request: AuthedRequest) -> HttpResponse:
    """Verify or reclassify the ticked rows; those not eligible are reported, not errors."""
    back = request.POST.get("next") or reverse("surveillance:case-list")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("surveillance:case-list")
    ids = [int(i) for i in request.POST.getlist("case_ids") if i.isdigit()]
    action = request.POST.get("action", "")
    try:
        result: Any
        if action == "verify":
            result = services.case_reports_bulk_verify(actor=request.user, case_ids=ids)
        elif action == "reclassify":
            result = services.case_reports_bulk_reclassify(
                actor=request.user, case_ids=ids,
                classification=request.POST.get("classification", ""),
                reason=request.POST.get("reason", ""))
        else:
            raise InvalidInput({"action": [_("请选择批量操作。")]})
    except InvalidInput as exc:
        for msgs in field_errors(exc).values():
            for m in msgs:
                messages.error(request, m)
        return redirect(back)
    done = _("已审核 %(n)s 份报告。") if action == "verify" else _("已订正分类 %(n)s 份报告。")
    messages.success(request, done % {"n": len(result.changed)})
    if result.skipped:
        messages.warning(request, _("%(n)s 份报告不适用此操作，未改动：%(ids)s。") % {
            "n": len(result.skipped), "ids": ", ".join(f"#{i}" for i in result.skipped[:20])})
    return redirect(back)
