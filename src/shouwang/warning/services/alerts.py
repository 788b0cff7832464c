"""The alert workflow: assign, start verification, confirm, dismiss, note; and the escalation of
alerts nobody verified in time.

    new ──start──▶ verifying ──confirm (cluster or event)──▶ confirmed
     │                 │
     └──────dismiss (reason)──────▶ dismissed

Every change names the version it read (`version=`) and is applied with a conditional
`UPDATE … WHERE version = <read>`, as case reports are: of two officers acting on the same alert
only the first succeeds, the second gets `AlertConflict` (the API answers 409, the page says so).
Every change bumps the version and writes an `AlertHistory` row and an audit row, all in one
transaction; notifications (services/notify.py) are written in it and sent after commit.
Decision: docs/decisions/0970-alert-workflow.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.roles import Role
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.warning.models import Alert, AlertHistory, AlertStatus, RunStatus, ScanCluster
from shouwang.warning.services.notify import (
    ASSIGNED,
    CITY_RUNG,
    ESCALATED,
    NATION_RUNG,
    STATUS,
    home_rung,
    notify_alert,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "warning.write"
TEXT_MAX = 255
NOTE_MAX = 2000
OPEN = (AlertStatus.NEW, AlertStatus.VERIFYING)
DEFAULT_VERIFY_HOURS = 24.0
# How far up escalation goes, as a rung of notify's ladder: 1 the prefecture (city officers),
# 2 the province, 3 the national officers (the default). An alert still open at the top stays
# overdue in every inbox above it and is counted, not escalated again.
DEFAULT_MAX_ESCALATION = NATION_RUNG


class AlertConflict(Exception):
    """The alert changed since the caller read it (someone else acted first)."""

    def __init__(self, alert_id: int, current_version: int | None) -> None:
        self.alert_id = alert_id
        self.current_version = current_version
        super().__init__(f"alert {alert_id} changed (now version {current_version})")

    @property
    def message(self) -> str:
        return _("该预警已被他人修改（当前版本 %(v)s），请刷新后重新操作。") % {
            "v": self.current_version}


def verify_hours() -> float:
    """Hours an alert may stay new or under verification before it is escalated."""
    hours = float(getattr(settings, "SHOUWANG_ALERT_VERIFY_HOURS", DEFAULT_VERIFY_HOURS))
    if hours <= 0:
        raise ValueError(f"SHOUWANG_ALERT_VERIFY_HOURS must be positive, got {hours}")
    return hours


def max_escalation() -> int:
    """The highest rung escalation reaches (SHOUWANG_ALERT_MAX_ESCALATION): 1 the prefecture,
    2 the province, 3 the nation. An integer, or its digits as text (from the environment)."""
    raw = getattr(settings, "SHOUWANG_ALERT_MAX_ESCALATION", DEFAULT_MAX_ESCALATION)
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or not CITY_RUNG <= value <= NATION_RUNG:
        raise ValueError(
            f"SHOUWANG_ALERT_MAX_ESCALATION must be {CITY_RUNG} (prefecture), 2 (province) or "
            f"{NATION_RUNG} (national), got {raw!r}")
    return value


def require_write(actor: User) -> None:
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def _clean_text(field: str, value: str | None, *, required: bool, limit: int = TEXT_MAX,
                message: str = "") -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput({field: [message or _("此项为必填项。")]})
    if len(text) > limit:
        raise InvalidInput({field: [_("不能超过 %(n)s 个字符。") % {"n": limit}]})
    return text


def _locked(actor: User | None, alert: Alert, version: int | None) -> Alert:
    """The alert's row, locked, if the actor may act on it and it is still at `version`.

    Must run inside transaction.atomic()."""
    # of=("self",): lock the alert only — not its disease (which would serialise every action on
    # that disease), and PostgreSQL refuses FOR UPDATE on the nullable side of the assignee join.
    current = (Alert.objects.select_for_update(of=("self",))
               .select_related("disease", "assigned_to").filter(pk=alert.pk).first())
    if current is None:
        raise NotFound(alert.pk)
    if actor is not None and not in_jurisdiction(actor, current.division_code):
        raise NotFound(alert.pk)
    if version is not None and current.version != version:
        raise AlertConflict(current.pk, current.version)
    return current


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _apply(
    *,
    actor: User | None,
    current: Alert,
    updates: dict[str, Any],
    kind: str,
    note: str = "",
    summary: str,
) -> Alert:
    """Write `updates` to the locked alert, bump its version, history and audit; fresh alert."""
    before = {k: getattr(current, k if k not in ("assigned_to", "cluster") else f"{k}_id")
              for k in updates}
    after = {k: (v.pk if hasattr(v, "pk") else v) for k, v in updates.items()}
    changes = {k: [_jsonable(before[k]), _jsonable(after[k])]
               for k in updates if before[k] != after[k]}
    rows = Alert.objects.filter(pk=current.pk, version=current.version).update(
        **updates, version=F("version") + 1, updated_at=timezone.now())
    if rows != 1:
        raise AlertConflict(current.pk, None)
    fresh = Alert.objects.select_related("disease", "assigned_to", "cluster").get(pk=current.pk)
    status_change = "status" in changes
    AlertHistory.objects.create(
        alert=fresh, version=fresh.version, kind=kind, actor=actor, note=note,
        from_status=current.status if status_change else "",
        to_status=fresh.status if status_change else "", changes=changes)
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=fresh,
              summary=f"{summary} v{fresh.version}",
              changes={**changes, "note": note} if note else changes)
    return fresh


def _require_open(alert: Alert, allowed: tuple[str, ...]) -> None:
    if alert.status not in allowed:
        raise InvalidInput({"status": [_("预警当前为“%(status)s”，不能执行此操作。") % {
            "status": alert.get_status_display()}]}, code="invalid_transition")


# --- actions of officers -----------------------------------------------------------------------


def can_be_assigned(alert: Alert, user: User) -> bool:
    """A county officer, active, whose jurisdiction covers the alert's division."""
    return (user.is_active and user.role == Role.COUNTY_OFFICER
            and in_jurisdiction(user, alert.division_code))


def alert_assign(*, actor: User, alert: Alert, assignee: User | None, version: int) -> Alert:
    """Give the alert to a county officer to verify; tells the assignee."""
    require_write(actor)
    with transaction.atomic():
        current = _locked(actor, alert, version)
        _require_open(current, OPEN)
        if assignee is None:
            raise InvalidInput({"assignee": [_("请选择核实人。")]})
        if not can_be_assigned(current, assignee):
            raise InvalidInput({"assignee": [
                _("核实人须为负责该区划的在岗县级疾控人员。")]})
        if current.assigned_to_id == assignee.pk:
            raise InvalidInput({"assignee": [_("该预警已分派给此人。")]})
        fresh = _apply(actor=actor, current=current, updates={"assigned_to": assignee},
                       kind="assign", summary="alert assign")
        notify_alert(fresh, ASSIGNED, actor=actor)
    return fresh


def alert_start_verification(*, actor: User, alert: Alert, version: int) -> Alert:
    """new → verifying. An unassigned alert becomes the acting county officer's own."""
    require_write(actor)
    with transaction.atomic():
        current = _locked(actor, alert, version)
        _require_open(current, (AlertStatus.NEW,))
        updates: dict[str, Any] = {"status": AlertStatus.VERIFYING}
        if current.assigned_to_id is None and can_be_assigned(current, actor):
            updates["assigned_to"] = actor
        fresh = _apply(actor=actor, current=current, updates=updates, kind="status",
                       summary="alert verifying")
        notify_alert(fresh, STATUS, actor=actor)
    return fresh


def alert_confirm(*, actor: User, alert: Alert, version: int, cluster_id: int | None = None,
                  linked_event: str = "") -> Alert:
    """verifying → confirmed, linked to a space-time cluster of the same disease that the actor
    may see, or to an event described in words (or both)."""
    require_write(actor)
    with transaction.atomic():
        current = _locked(actor, alert, version)
        _require_open(current, (AlertStatus.VERIFYING,))
        event = _clean_text("linked_event", linked_event, required=False)
        cluster = None
        if cluster_id is not None:
            cluster = (scoped(ScanCluster.objects.filter(
                pk=cluster_id, run__disease_id=current.disease_id,
                run__status=RunStatus.DONE), actor, "focus_code").first())
            if cluster is None:
                raise InvalidInput({"cluster_id": [
                    _("未找到该病种在您辖区内的这一时空聚集。")]})
        if cluster is None and not event:
            message = _("确认预警须关联一个时空聚集或填写关联事件。")
            raise InvalidInput({"cluster_id": [message], "linked_event": [message]})
        fresh = _apply(actor=actor, current=current, kind="status", summary="alert confirm",
                       updates={"status": AlertStatus.CONFIRMED, "cluster": cluster,
                                "linked_event": event})
        notify_alert(fresh, STATUS, actor=actor)
    return fresh


def alert_dismiss(*, actor: User, alert: Alert, version: int, reason: str) -> Alert:
    """new or verifying → dismissed, with the reason (e.g. a reporting backlog, a duplicate)."""
    require_write(actor)
    with transaction.atomic():
        current = _locked(actor, alert, version)
        _require_open(current, OPEN)
        text = _clean_text("reason", reason, required=True, message=_("请填写排除原因。"))
        fresh = _apply(actor=actor, current=current, kind="status", summary="alert dismiss",
                       note=text, updates={"status": AlertStatus.DISMISSED,
                                           "dismissed_reason": text})
        notify_alert(fresh, STATUS, actor=actor)
    return fresh


def alert_note(*, actor: User, alert: Alert, note: str) -> Alert:
    """A note on the alert's history (any status). Needs no version: a note overwrites nothing;
    it does bump the version, so a form read before it is refused and re-read with the note."""
    require_write(actor)
    with transaction.atomic():
        current = _locked(actor, alert, None)
        text = _clean_text("note", note, required=True, limit=NOTE_MAX,
                           message=_("请填写说明。"))
        return _apply(actor=actor, current=current, updates={}, kind="note", note=text,
                      summary="alert note")


# --- the escalation job --------------------------------------------------------------------------


def alerts_escalate(now: datetime | None = None) -> dict[str, Any]:
    """Escalate every alert still new or under verification past its `verify_due_at`.

    Each escalation raises `escalation_level` by one, sets `escalated_at`, moves `verify_due_at`
    on by SHOUWANG_ALERT_VERIFY_HOURS (from the old due time; from `now` when that is still past,
    so one run escalates an alert once), writes history and audit, and notifies the officers one
    rung up (notify's ladder: county → prefecture → province → nation, from the alert's own
    level). Alerts already at the top (`max_escalation()`, the national officers by default)
    are counted as `at_top_level`, not escalated again. Each alert is its own transaction: a
    failure leaves the others done, and a re-run continues.
    """
    now = now or timezone.now()
    hours = timedelta(hours=verify_hours())
    top = max_escalation()
    due = Alert.objects.filter(status__in=OPEN, verify_due_at__lte=now)
    figures: dict[str, Any] = {"now": now.isoformat(), "verify_hours": hours.total_seconds() / 3600,
                               "max_escalation": top, "overdue": 0, "escalated": 0,
                               "at_top_level": 0, "notifications": 0}
    for alert_id in due.order_by("verify_due_at", "id").values_list("id", flat=True):
        figures["overdue"] += 1
        with transaction.atomic():
            current = (Alert.objects.select_for_update(of=("self",)).select_related("disease")
                       .filter(pk=alert_id, status__in=OPEN, verify_due_at__lte=now).first())
            if current is None:  # acted on since the list was read
                continue
            if home_rung(current.division_code) + current.escalation_level >= top:
                figures["at_top_level"] += 1
                continue
            new_due = current.verify_due_at + hours
            if new_due <= now:
                new_due = now + hours
            fresh = _apply(actor=None, current=current, kind="escalate",
                           summary="alert escalate",
                           note=_("超过核实时限未核实，自动升级。"),
                           updates={"escalation_level": current.escalation_level + 1,
                                    "escalated_at": now, "verify_due_at": new_due})
            figures["escalated"] += 1
            figures["notifications"] += len(notify_alert(fresh, ESCALATED))
    return figures
