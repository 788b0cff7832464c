"""The auditor's pages: a filtered, paged list of the audit log and one event's detail."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from shouwang.core import selectors
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction


def _require_auditor(request: HttpRequest) -> None:
    if not request.user.has_capability("audit.read"):
        raise PermissionDenied


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    g = request.GET
    filters = selectors.AuditFilters(
        actor=g.get("actor") or None,
        action=g.get("action") or None,
        object_type=g.get("object_type") or None,
        division_code=g.get("division_code") or None,
        since=parse_date(g.get("since", "") or "") if g.get("since") else None,
        until=parse_date(g.get("until", "") or "") if g.get("until") else None,
    )
    errors: dict[str, list[str]] = {}
    try:
        qs = selectors.audit_event_list(user=request.user, filters=filters)
        page = Paginator(qs, 50).get_page(g.get("page"))
    except InvalidInput as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        page = None
    return render(request, "core/audit_list.html", {
        "page": page, "filters": filters, "errors": errors, "actions": AuditAction.choices,
    })


@login_required
def audit_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    _require_auditor(request)
    event = selectors.audit_event_get(user=request.user, event_id=event_id)
    return render(request, "core/audit_detail.html", {"event": event})
