"""Readers of the signals (监测线索), scoped to the reader's jurisdiction (Http404 outside):
pending by due date, the overdue (pending past `decision_due`), one signal, and counts per
village, township or county. Decision 1220."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from shouwang.core.scoping import get_scoped_or_404, scoped
from shouwang.livelihood.models import Signal, SignalStatus
from shouwang.livelihood.selectors.access import may_read

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

    Reader = User | AnonymousUser

# Length of the division code at each level (villages 12, townships 9, counties 6).
LEVEL_LENGTH = {"county": 6, "township": 9, "village": 12}



def _base(user: Reader | None) -> QuerySet[Signal]:
    if not may_read(user):
        return Signal.objects.none()
    return scoped(Signal.objects.select_related("household", "shock", "decided_by"), user)


def signals_list(user: Reader | None, *, status: str | None = None, source: str | None = None,
                 division_prefix: str = "") -> QuerySet[Signal]:
    qs = _base(user)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if division_prefix:
        qs = qs.filter(division_code__startswith=division_prefix)
    return qs.order_by("decision_due", "id")


def pending_signals(user: Reader | None) -> QuerySet[Signal]:
    """Pending, the most urgent (earliest due) first."""
    return signals_list(user, status=SignalStatus.PENDING)


def overdue_signals(user: Reader | None, *, at: datetime | None = None) -> QuerySet[Signal]:
    """Pending past their time limit, the longest overdue first."""
    return pending_signals(user).filter(decision_due__lt=at or timezone.now())


def overdue_count(user: Reader | None) -> int:
    return overdue_signals(user).count()


def signal_detail(user: Reader | None, signal_id: int) -> Signal:
    if not may_read(user):
        from django.http import Http404

        raise Http404
    return get_scoped_or_404(Signal.objects.select_related("household", "shock", "decided_by"),
                             user, pk=signal_id)


@dataclass(frozen=True)
class AreaCounts:
    division_code: str
    pending: int
    overdue: int
    identified: int
    not_identified: int


def counts_by_area(user: Reader | None, level: str = "county", *,
                   at: datetime | None = None) -> list[AreaCounts]:
    """Signals per area of `level` (county, township, village) inside the jurisdiction."""
    length = LEVEL_LENGTH[level]
    now = at or timezone.now()
    rows = (_base(user).annotate(area=Substr("division_code", 1, length)).values("area")
            .annotate(pending=Count("id", filter=Q(status=SignalStatus.PENDING)),
                      overdue=Count("id", filter=Q(status=SignalStatus.PENDING,
                                                   decision_due__lt=now)),
                      identified=Count("id", filter=Q(status=SignalStatus.IDENTIFIED)),
                      not_identified=Count("id", filter=Q(status=SignalStatus.NOT_IDENTIFIED)))
            .order_by("area"))
    return [AreaCounts(r["area"], r["pending"], r["overdue"], r["identified"],
                       r["not_identified"]) for r in rows]
