"""/api/v1/warning/alerts: the alerts inbox, one alert with its history, the workflow actions
(assign, start verification, confirm, dismiss, note), and the caller's notifications.

Every action names the version it read; when someone else acted first the answer is 409 and
nothing changes. An alert outside the caller's jurisdiction answers 404. Bad input answers 422
field by field, in the request's language.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.geo.selectors import division_names
from shouwang.surveillance.views.case_common import disease_label
from shouwang.warning.models import Alert, AlertStatus, Method
from shouwang.warning.selectors import alerts as selectors
from shouwang.warning.services import alerts as services
from shouwang.warning.services.notify import (
    alert_reason_text,
    escalation_words,
    notifications_mark_read,
)

router = Router(tags=["warning: alerts"])

READ = "warning.read"
# A user's own notifications are open to every signed-in role (views/alerts.py says why).
OWN_NOTIFICATIONS = "dashboard.read"
WRITE = services.WRITE
PAGE_MAX = 200


class AlertFilterIn(Schema):
    status: str | None = None
    disease: str | None = None
    method: str | None = None
    division: str | None = Field(None, max_length=12)
    day_from: date | None = None
    day_to: date | None = None
    mine: bool = False
    overdue: bool = False
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class AlertOut(Schema):
    id: int
    disease: str
    disease_name: str
    division_code: str
    division_name: str
    level: str
    method: str
    method_label: str
    day: date
    status: str
    status_label: str
    reason: str
    observed: float
    expected: float | None
    threshold: float | None
    details: dict[str, Any]
    assigned_to: str | None
    verify_due_at: datetime
    overdue: bool
    escalated_at: datetime | None
    escalation_level: int
    escalation_label: str   # where it was escalated to, in words ("" when it was not)
    cluster_id: int | None
    linked_event: str
    dismissed_reason: str
    run_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class AlertPageOut(Schema):
    items: list[AlertOut]
    total: int
    offset: int
    limit: int
    has_next: bool
    # Alerts by status under the same filters (the status filter aside), and the overdue ones.
    counts: dict[str, int]


class HistoryOut(Schema):
    version: int
    kind: str
    from_status: str
    to_status: str
    actor: str | None
    note: str
    changes: dict[str, Any]
    changed_at: datetime


class AlertDetailOut(AlertOut):
    history: list[HistoryOut]


class VersionIn(Schema):
    version: int


class AssignIn(VersionIn):
    assignee: str = Field(..., min_length=1, max_length=150, description="the username")


class ConfirmIn(VersionIn):
    cluster_id: int | None = None
    linked_event: str = Field("", max_length=255)


class DismissIn(VersionIn):
    reason: str = Field(..., max_length=255)


class NoteIn(Schema):
    note: str = Field(..., max_length=services.NOTE_MAX)


class NotificationOut(Schema):
    id: int
    kind: str
    subject: str
    body: str
    alert_id: int | None
    channels: list[str]
    created_at: datetime
    read_at: datetime | None


class NotificationsOut(Schema):
    items: list[NotificationOut]
    unread: int


class NotificationsIn(Schema):
    unread: bool = False
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="these notifications; all when absent")


class MarkReadOut(Schema):
    marked: int
    unread: int


def _out(alerts: list[Alert]) -> list[dict[str, Any]]:
    names = division_names(sorted({a.division_code for a in alerts}))
    out = []
    for a in alerts:
        out.append({
            "id": a.pk, "disease": a.disease_id, "disease_name": disease_label(a.disease),
            "division_code": a.division_code, "division_name": names.get(a.division_code, ""),
            "level": a.level, "method": a.method,
            "method_label": str(Method(a.method).label) if a.method in Method.values
            else a.method,
            "day": a.day, "status": a.status, "status_label": str(AlertStatus(a.status).label),
            "reason": alert_reason_text(a), "observed": a.observed, "expected": a.expected,
            "threshold": a.threshold, "details": a.details,
            "assigned_to": a.assigned_to.username if a.assigned_to else None,
            "verify_due_at": a.verify_due_at, "overdue": selectors.overdue(a),
            "escalated_at": a.escalated_at, "escalation_level": a.escalation_level,
            "escalation_label": escalation_words(a), "cluster_id": a.cluster_id,
            "linked_event": a.linked_event,
            "dismissed_reason": a.dismissed_reason, "run_id": a.run_id, "version": a.version,
            "created_at": a.created_at, "updated_at": a.updated_at,
        })
    return out


def _detail(request: AuthedRequest, alert: Alert) -> dict[str, Any]:
    history = [{
        "version": h.version, "kind": h.kind, "from_status": h.from_status,
        "to_status": h.to_status, "actor": h.actor.username if h.actor else None,
        "note": h.note, "changes": h.changes, "changed_at": h.changed_at,
    } for h in selectors.alert_history(user=request.user, alert_id=alert.pk)]
    return {**_out([alert])[0], "history": history}


def _call(request: AuthedRequest, fn: Callable[..., Alert], **kwargs: Any) -> dict[str, Any]:
    """Run a workflow service; PermissionDenied → 403, a concurrent change → 409."""
    try:
        alert = fn(actor=request.user, **kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None
    except services.AlertConflict as exc:
        raise HttpError(409, exc.message) from None
    return _detail(request, alert)


def _alert(request: AuthedRequest, alert_id: int) -> Alert:
    check_capability(request, WRITE)
    return selectors.alert_get(user=request.user, alert_id=alert_id)


# --- the caller's notifications (before /{alert_id}: fixed paths first) -------------------------


@router.get("/notifications", response=NotificationsOut, url_name="warning_notifications",
            summary="The caller's own notifications, newest first, and how many are unread")
def notification_list(request: AuthedRequest, filters: Query[NotificationsIn]) -> Any:
    check_capability(request, OWN_NOTIFICATIONS)
    items = list(selectors.notifications_for(user=request.user,
                                             unread_only=filters.unread)[:filters.limit])
    return {"items": items, "unread": selectors.unread_count(user=request.user)}


@router.post("/notifications/read", response=MarkReadOut, url_name="warning_notifications_read",
             summary="Mark the caller's notifications read (the ids given, or all)")
def notification_mark_read(request: AuthedRequest, payload: MarkReadIn) -> Any:
    check_capability(request, OWN_NOTIFICATIONS)
    marked = notifications_mark_read(actor=request.user, ids=payload.ids)
    return {"marked": marked, "unread": selectors.unread_count(user=request.user)}


# --- the inbox and one alert ------------------------------------------------------------------


@router.get("", response=AlertPageOut, url_name="warning_alert_list",
            summary="Alerts in the caller's area, newest signal day first, a page at a time, "
                    "with the counts by status")
def alert_list(request: AuthedRequest, filters: Query[AlertFilterIn]) -> Any:
    check_capability(request, READ)
    offset, limit = filters.offset, filters.limit
    f = selectors.AlertFilters(
        status=filters.status or "", disease=filters.disease or "", method=filters.method or "",
        division=filters.division or "", day_from=filters.day_from, day_to=filters.day_to,
        mine=filters.mine, overdue=filters.overdue)
    qs = selectors.alert_list(user=request.user, filters=f)
    total = qs.count()
    items = list(qs[offset:offset + limit])
    return {"items": _out(items), "total": total, "offset": offset, "limit": limit,
            "has_next": offset + len(items) < total,
            "counts": selectors.alert_counts(user=request.user, filters=f)}


@router.get("/{int:alert_id}", response=AlertDetailOut, url_name="warning_alert_detail",
            summary="One alert: its reason, numbers and history")
def alert_detail(request: AuthedRequest, alert_id: int) -> Any:
    check_capability(request, READ)
    return _detail(request, selectors.alert_get(user=request.user, alert_id=alert_id))


@router.post("/{int:alert_id}/assign", response=AlertDetailOut,
             url_name="warning_alert_assign",
             summary="Assign the alert to a county officer (by username) to verify")
def alert_assign(request: AuthedRequest, alert_id: int, payload: AssignIn) -> Any:
    alert = _alert(request, alert_id)
    assignee = selectors.officer_by_username(payload.assignee.strip())
    if assignee is None:
        raise InvalidInput({"assignee": [_("未找到该用户。")]})
    return _call(request, services.alert_assign, alert=alert, assignee=assignee,
                 version=payload.version)


@router.post("/{int:alert_id}/start", response=AlertDetailOut, url_name="warning_alert_start",
             summary="Start verifying: new → verifying")
def alert_start(request: AuthedRequest, alert_id: int, payload: VersionIn) -> Any:
    alert = _alert(request, alert_id)
    return _call(request, services.alert_start_verification, alert=alert,
                 version=payload.version)


@router.post("/{int:alert_id}/confirm", response=AlertDetailOut,
             url_name="warning_alert_confirm",
             summary="Confirm: verifying → confirmed, linked to a cluster or an event")
def alert_confirm(request: AuthedRequest, alert_id: int, payload: ConfirmIn) -> Any:
    alert = _alert(request, alert_id)
    return _call(request, services.alert_confirm, alert=alert, version=payload.version,
                 cluster_id=payload.cluster_id, linked_event=payload.linked_event)


@router.post("/{int:alert_id}/dismiss", response=AlertDetailOut,
             url_name="warning_alert_dismiss",
             summary="Dismiss: new or verifying → dismissed, with the reason")
def alert_dismiss(request: AuthedRequest, alert_id: int, payload: DismissIn) -> Any:
    alert = _alert(request, alert_id)
    return _call(request, services.alert_dismiss, alert=alert, version=payload.version,
                 reason=payload.reason)


@router.post("/{int:alert_id}/note", response=AlertDetailOut, url_name="warning_alert_note",
             summary="Add a note to the alert's history")
def alert_note(request: AuthedRequest, alert_id: int, payload: NoteIn) -> Any:
    alert = _alert(request, alert_id)
    return _call(request, services.alert_note, alert=alert, note=payload.note)
