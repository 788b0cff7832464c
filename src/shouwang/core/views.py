"""The auditor's pages: a filtered, paged list of the audit log and one event's detail."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.dateparse import parse_date

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core import selectors
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction


@require_capability("audit.read")
def audit_list(request: AuthedRequest) -> HttpResponse:
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


@require_capability("audit.read")
def audit_detail(request: AuthedRequest, event_id: int) -> HttpResponse:
    event = selectors.audit_event_get(user=request.user, event_id=event_id)
    return render(request, "core/audit_detail.html", {"event": event})
