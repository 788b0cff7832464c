"""Reads of lab results and report-due tasks, scoped to the caller's jurisdiction.

A lab result is visible under two divisions: where the person lives (the county that must act)
and where the laboratory is (the lab sees what it entered). See
docs/decisions/0650-lab-results-and-tasks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Case, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.core.scoping import get_scoped_or_404, scoped
from shouwang.surveillance.models import LabResult, ReportTask, TaskStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User


@dataclass(frozen=True)
class LabResultFilters:
    disease: str | None = None
    result: str | None = None
    method: str | None = None
    since: date | None = None  # tested on or after this day (China time)
    until: date | None = None  # tested on or before this day
    linked: bool | None = None  # True: linked to a case; False: not linked


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def lab_results_visible(
    queryset: QuerySet[LabResult], user: User | AnonymousUser | None
) -> QuerySet[LabResult]:
    """Rows whose person lives in the user's jurisdiction OR whose laboratory lies in it."""
    return scoped(queryset, user) | scoped(queryset, user, "laboratory_division_code")


def lab_result_list(
    *, user: User, filters: LabResultFilters | None = None
) -> QuerySet[LabResult]:
    f = filters or LabResultFilters()
    qs = lab_results_visible(LabResult.objects.all(), user)
    if f.disease:
        qs = qs.filter(disease_id=f.disease)
    if f.result:
        qs = qs.filter(result=f.result)
    if f.method:
        qs = qs.filter(method=f.method)
    if f.since:
        qs = qs.filter(tested_at__gte=_day_start(f.since))
    if f.until:
        qs = qs.filter(tested_at__lt=_day_start(f.until + timedelta(days=1)))
    if f.linked is not None:
        qs = qs.filter(case__isnull=not f.linked)
    return qs.select_related("disease").order_by("-tested_at", "-id")


def lab_result_get(*, user: User, result_id: int) -> LabResult:
    """One visible result or Http404 (also when it exists outside the jurisdiction)."""
    found = lab_results_visible(LabResult.objects.filter(pk=result_id), user).first()
    if found is None:
        raise Http404
    return found


def lab_result_detail(*, user: User, result_id: int) -> LabResult:
    """A result with its personal fields, for display: the read itself is audited."""
    found = lab_result_get(user=user, result_id=result_id)
    audit_log(actor=user, action=AuditAction.READ, obj=found, summary="lab result viewed")
    return found


def _with_overdue(qs: QuerySet[ReportTask], now: datetime) -> QuerySet[ReportTask]:
    # Only an open task can be overdue: a done or cancelled one is settled, however late.
    return qs.annotate(
        overdue=Case(When(status=TaskStatus.OPEN, due_at__lt=now, then=Value(True)),
                     default=Value(False), output_field=BooleanField())
    )


def open_report_tasks(
    *, user: User, now: datetime | None = None, overdue_only: bool = False
) -> QuerySet[ReportTask]:
    """Open report-due tasks in the user's jurisdiction, soonest due first, each with `overdue`."""
    now = now or timezone.now()
    qs = scoped(ReportTask.objects.filter(status=TaskStatus.OPEN), user)
    if overdue_only:
        qs = qs.filter(due_at__lt=now)
    return _with_overdue(qs, now).select_related("disease", "lab_result").order_by("due_at", "id")


def report_task_get(*, user: User, task_id: int, now: datetime | None = None) -> ReportTask:
    """One task (any status) in the user's jurisdiction, with `overdue`, or Http404."""
    qs = _with_overdue(ReportTask.objects.select_related("disease", "lab_result"),
                       now or timezone.now())
    return get_scoped_or_404(qs, user, pk=task_id)


def case_lab_results(*, user: User, case_id: int) -> QuerySet[LabResult]:
    """The visible results linked to one report, newest test first (no personal fields loaded:
    the report's page shows the person once, from the report)."""
    return (
        lab_results_visible(LabResult.objects.filter(case_id=case_id), user)
        .defer("name", "id_number", "phone")
        .order_by("-tested_at", "-id")
    )
