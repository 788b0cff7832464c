"""Reads of the audit log, scoped to the auditor's jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.core.scoping import get_scoped_or_404, prefix_q, scoped

if TYPE_CHECKING:
    from shouwang.accounts.models import User


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    division_code: str | None = None
    since: date | None = None
    until: date | None = None


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def audit_event_list(*, user: User, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    f = filters or AuditFilters()
    qs = scoped(AuditEvent.objects.all(), user)
    if f.actor:
        qs = qs.filter(actor_username=f.actor)
    if f.action:
        qs = qs.filter(action=f.action)
    if f.object_type:
        qs = qs.filter(object_type=f.object_type)
    if f.object_id:
        qs = qs.filter(object_id=f.object_id)
    if f.division_code:
        qs = qs.filter(prefix_q("division_code", _division_prefix(f.division_code)))
    if f.since:
        qs = qs.filter(occurred_at__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(occurred_at__lt=_day_start(f.until + timedelta(days=1)))
    return qs.order_by("-occurred_at", "-id")


def _division_prefix(code: str) -> str:
    from django.utils.translation import gettext as _

    from shouwang.geo.models import Division

    division = Division.objects.filter(code=code).only("prefix").first()
    if division is None:
        raise InvalidInput({"division_code": _("未知的区划代码：%(code)s。") % {"code": code}})
    return division.prefix


def audit_event_get(*, user: User, event_id: int) -> AuditEvent:
    return get_scoped_or_404(AuditEvent.objects.all(), user, pk=event_id)
