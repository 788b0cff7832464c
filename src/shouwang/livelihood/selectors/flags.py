"""Readers of the monitoring flags (监测对象) and the monitoring passes, scoped to the reader's
jurisdiction (Http404 outside): the flag list with its filters and counts, one flag, and the
runs (decision 1230).

A run is listed to a reader when its scope lies inside the jurisdiction (its totals shown) or
covers it (a national or provincial pass seen from a county: only the flags it opened in the
reader's area are counted; its totals are another area's and are not shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404

from shouwang.core.scoping import get_scoped_or_404, jurisdiction_prefix, prefix_q, scoped
from shouwang.epi.livelihood_rules import GROUP_NAMES, TRIGGER_NAMES
from shouwang.livelihood.models import FlagStatus, MonitoringFlag, MonitoringRun, TargetGroup
from shouwang.livelihood.selectors.access import may_read

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

    Reader = User | AnonymousUser

PER_PAGE = 50
PER_PAGE_MAX = 200
TRIGGERS = tuple(TRIGGER_NAMES.values()) + tuple(GROUP_NAMES.values())



@dataclass(frozen=True)
class FlagFilters:
    status: str = ""          # FlagStatus value
    target_group: str = ""    # TargetGroup value
    trigger: str = ""         # a trigger or group name the flag stores
    division: str = ""        # division code prefix
    run: int | None = None    # the pass that opened them

    def cleaned(self) -> FlagFilters:
        """Unknown values dropped (a filter the list cannot apply is no filter)."""
        return FlagFilters(
            status=self.status if self.status in FlagStatus.values else "",
            target_group=self.target_group if self.target_group in TargetGroup.values else "",
            trigger=self.trigger if self.trigger in TRIGGERS else "",
            division=self.division if self.division.isdigit() else "", run=self.run)


def _base(user: Reader | None) -> QuerySet[MonitoringFlag]:
    if not may_read(user):
        return MonitoringFlag.objects.none()
    return scoped(MonitoringFlag.objects.select_related("household", "rule_set", "signal",
                                                        "run"), user)


def flags_list(user: Reader | None, filters: FlagFilters | None = None
               ) -> QuerySet[MonitoringFlag]:
    """The reader's flags, the latest identified first, filtered."""
    f = (filters or FlagFilters()).cleaned()
    qs = _base(user)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.target_group:
        qs = qs.filter(target_group=f.target_group)
    if f.trigger:
        # The names are a JSON list; as text each is quoted (works on SQLite and PostgreSQL).
        qs = qs.annotate(triggers_text=Cast("triggers", TextField())).filter(
            triggers_text__contains=f'"{f.trigger}"')
    if f.division:
        qs = qs.filter(prefix_q("division_code", f.division))
    if f.run is not None:
        qs = qs.filter(run_id=f.run)
    return qs.order_by("-identified_at", "-id")


@dataclass(frozen=True)
class FlagCounts:
    total: int
    by_status: dict[str, int]
    by_group: dict[str, int]       # open flags per target group


def flag_counts(user: Reader | None, division: str = "") -> FlagCounts:
    """Counts of the reader's flags (under `division` when given): by status, and the open
    ones by target group. One query."""
    qs = flags_list(user, FlagFilters(division=division))
    by_status = dict.fromkeys(FlagStatus.values, 0)
    by_group = dict.fromkeys(TargetGroup.values, 0)
    for status, group, n in (qs.order_by().values("status", "target_group")
                             .annotate(n=Count("id")).values_list("status", "target_group",
                                                                  "n")):
        by_status[status] = by_status.get(status, 0) + n
        if status == FlagStatus.MONITORING:
            by_group[group] = by_group.get(group, 0) + n
    return FlagCounts(total=sum(by_status.values()), by_status=by_status, by_group=by_group)


def flag_detail(user: Reader | None, flag_id: int) -> MonitoringFlag:
    if not may_read(user):
        raise Http404
    return get_scoped_or_404(MonitoringFlag.objects.select_related(
        "household", "rule_set", "signal", "run", "identified_by", "eliminated_by"),
        user, pk=flag_id)


@dataclass(frozen=True)
class RunRow:
    run: MonitoringRun
    own: bool            # the run's scope lies inside the reader's jurisdiction: totals shown
    opened_here: int     # flags the run opened in the reader's jurisdiction


def runs_list(user: Reader | None, limit: int = 100) -> list[RunRow]:
    """The passes that concern the reader: inside the jurisdiction, or covering it; the latest
    first. Two queries."""
    prefix = jurisdiction_prefix(user) if may_read(user) else None
    if prefix is None:
        return []
    covering = [prefix[:n] for n in range(len(prefix) + 1)]
    runs = list(MonitoringRun.objects.filter(prefix_q("division_prefix", prefix)
                                             | Q(division_prefix__in=covering))
                .select_related("started_by").order_by("-started_at", "-id")[:limit])
    opened = dict(flags_list(user).filter(run__in=runs).order_by().values("run_id")
                  .annotate(n=Count("id")).values_list("run_id", "n"))
    return [RunRow(run=r, own=r.division_prefix.startswith(prefix),
                   opened_here=opened.get(r.pk, 0)) for r in runs]
