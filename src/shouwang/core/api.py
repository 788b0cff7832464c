"""The audit log over the API: auditors only, within their jurisdiction."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core import selectors

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    occurred_at: datetime
    actor_username: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    division_code: str
    summary: str
    changes: dict[str, Any]
    ip_address: str | None
    request_id: str


class AuditFilterIn(Schema):
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    division_code: str | None = None
    since: date | None = None
    until: date | None = None


@router.get("/events", response=list[AuditEventOut], summary="Audit events, newest first")
@paginate(LimitOffsetPagination)
def audit_events(request: AuthedRequest, filters: Query[AuditFilterIn]) -> Any:
    check_capability(request, "audit.read")
    return selectors.audit_event_list(
        user=request.user, filters=selectors.AuditFilters(**filters.dict())
    )


@router.get("/events/{event_id}", response=AuditEventOut, summary="One audit event")
def audit_event(request: AuthedRequest, event_id: int) -> Any:
    check_capability(request, "audit.read")
    return selectors.audit_event_get(user=request.user, event_id=event_id)
