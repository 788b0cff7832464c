"""Reading alerts, their history and the notifications of a user; always inside the reader's
jurisdiction (shouwang.core.scoping), an alert elsewhere answers 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import get_scoped_or_404, prefix_q, scoped
from shouwang.warning.models import (
    Alert,
    AlertHistory,
    AlertStatus,
    Method,
    Notification,
    RunStatus,
    ScanCluster,
    SeriesResult,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

OPEN = (AlertStatus.NEW, AlertStatus.VERIFYING)


@dataclass(frozen=True)
class AlertFilters:
    status: str = ""
    disease: str = ""
    method: str = ""
    division: str = ""  # a division code: alerts of it and below
    day_from: date | None = None
    day_to: date | None = None
    mine: bool = False  # assigned to the reader
    overdue: bool = False  # still open past the verification deadline

    def clean(self) -> AlertFilters:
        errors: dict[str, str] = {}
        if self.status and self.status not in AlertStatus.values:
            errors["status"] = _("状态取值无效。")
        if self.method and self.method not in Method.values:
            errors["method"] = _("方法取值无效。")
        if self.division and not (self.division.isascii() and self.division.isdigit()):
            errors["division"] = _("区划代码只能是数字。")
        if self.day_from and self.day_to and self.day_from > self.day_to:
            errors["day_to"] = _("结束日期不能早于开始日期。")
        if errors:
            raise InvalidInput(errors)
        return self


def _division_prefix(code: str) -> str:
    """A division's jurisdiction prefix (420100 → 4201); an unknown code is taken as it is."""
    from shouwang.geo.models import Division

    prefix = Division.objects.filter(code=code).values_list("prefix", flat=True).first()
    return code if prefix is None else prefix


def _filtered(user: User, filters: AlertFilters, *, with_status: bool = True) -> QuerySet[Alert]:
    f = filters.clean()
    qs = scoped(Alert.objects.all(), user)
    if with_status and f.status:
        qs = qs.filter(status=f.status)
    if f.disease:
        qs = qs.filter(disease_id=f.disease)
    if f.method:
        qs = qs.filter(method=f.method)
    if f.division:
        qs = qs.filter(prefix_q("division_code", _division_prefix(f.division)))
    if f.day_from:
        qs = qs.filter(day__gte=f.day_from)
    if f.day_to:
        qs = qs.filter(day__lte=f.day_to)
    if f.mine:
        qs = qs.filter(assigned_to=user)
    if f.overdue:
        qs = qs.filter(status__in=OPEN, verify_due_at__lt=timezone.now())
    return qs


def alert_list(*, user: User, filters: AlertFilters | None = None) -> QuerySet[Alert]:
    """The reader's alerts, newest signal day first."""
    return (_filtered(user, filters or AlertFilters())
            .select_related("disease", "assigned_to").order_by("-day", "-id"))


def alert_counts(*, user: User, filters: AlertFilters | None = None) -> dict[str, int]:
    """How many alerts of each status (the other filters applied), and how many are overdue."""
    qs = _filtered(user, filters or AlertFilters(), with_status=False)
    rows = qs.values("status").annotate(n=Count("id"))
    counts = {s: 0 for s in AlertStatus.values}
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["overdue"] = qs.filter(status__in=OPEN, verify_due_at__lt=timezone.now()).count()
    return counts


def open_alert_count(*, user: User) -> int:
    """Alerts in the reader's area still waiting for verification (new or under way)."""
    return _filtered(user, AlertFilters(), with_status=False).filter(status__in=OPEN).count()


def alert_get(*, user: User, alert_id: int) -> Alert:
    """One alert, or Http404 when it does not exist or lies outside the reader's area."""
    return get_scoped_or_404(
        Alert.objects.select_related("disease", "assigned_to", "cluster", "run"), user,
        pk=alert_id)


def alert_history(*, user: User, alert_id: int) -> QuerySet[AlertHistory]:
    alert = alert_get(user=user, alert_id=alert_id)
    return AlertHistory.objects.filter(alert=alert).select_related("actor").order_by("version")


def alert_series(*, alert: Alert) -> SeriesResult | None:
    """The series the alert's method computed for its division in the latest finished run of
    its disease (None for methods without a series, such as the scan, or before any run).
    The caller has read `alert` through alert_get: the series is of the same division."""
    return (SeriesResult.objects.filter(
        division_code=alert.division_code, method=alert.method,
        run__disease_id=alert.disease_id, run__status=RunStatus.DONE)
        .select_related("run").order_by("-run__day").first())


def alert_clusters(*, user: User, alert: Alert, days: int = 28) -> list[ScanCluster]:
    """Clusters of the alert's disease the reader may see, found within `days` of the alert's
    day; those that contain the alert's division first (the choices for confirming)."""
    qs = scoped(ScanCluster.objects.filter(
        run__disease_id=alert.disease_id, run__status=RunStatus.DONE,
        run__day__gte=alert.day - timedelta(days=days),
        run__day__lte=alert.day + timedelta(days=days)), user, "focus_code")
    found = list(qs.select_related("run").order_by("-run__day", "rank")[:100])
    county = alert.division_code[:6]
    found.sort(key=lambda c: not any(str(code).startswith(county) or alert.division_code
                                     .startswith(str(code)) for code in c.division_codes))
    return found


def clusters_by_id(*, user: User, ids: set[int]) -> dict[int, ScanCluster]:
    """The clusters of `ids` the reader may see (scoped by focus), by id: how an alert's
    history names the cluster it was linked to."""
    if not ids:
        return {}
    qs = scoped(ScanCluster.objects.filter(pk__in=list(ids)), user, "focus_code")
    return {c.pk: c for c in qs}


def assignable_officers(*, user: User, alert: Alert) -> QuerySet[User]:
    """Active county officers whose jurisdiction covers the alert (the assignment choices)."""
    from shouwang.accounts.models import User

    county = alert.division_code[:6]
    return (User.objects.filter(is_active=True, role=Role.COUNTY_OFFICER,
                                division_id__in={county, alert.division_code})
            .select_related("division").order_by("username"))


def officer_by_username(username: str) -> User | None:
    from shouwang.accounts.models import User

    return User.objects.filter(username=username).select_related("division").first()


def overdue(alert: Alert, now: datetime | None = None) -> bool:
    return alert.status in OPEN and alert.verify_due_at < (now or timezone.now())


# --- notifications -------------------------------------------------------------------------------


def notifications_for(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The reader's own notifications, newest first."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at=None)
    return qs.select_related("alert", "alert__disease").order_by("-created_at", "-id")


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(Q(user=user) & Q(read_at=None)).count()
