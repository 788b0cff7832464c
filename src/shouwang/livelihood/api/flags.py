"""/api/v1/livelihood/flags and /api/v1/livelihood/runs: the monitoring flags and passes, read
only (decision 1230). Opening a flag is a pass's (`shouwang livelihood monitor`, the monthly job)
or a signal's decision (POST /livelihood/signals/{id}/decide); the assistance part's API acts on
a flag.

- GET /livelihood/flags?status=&target_group=&trigger=&division=&run=&page=&per_page= — the
  caller's jurisdiction, the latest identified first, paged, with the counts;
- GET /livelihood/flags/{id} — one flag with the rule set, the numbers and the reason (404
  outside the jurisdiction);
- GET /livelihood/runs — the passes that concern the caller (totals only for those inside the
  jurisdiction; `opened_here` for every one).
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.livelihood.models import FlagStatus, MonitoringFlag, TargetGroup
from shouwang.livelihood.selectors import flags as selectors

router = Router(tags=["livelihood: monitoring flags"])
runs_router = Router(tags=["livelihood: monitoring flags"])

READ = "livelihood.read"


class FlagFilterIn(Schema):
    status: str = Field("", description=", ".join(FlagStatus.values))
    target_group: str = Field("", description=", ".join(TargetGroup.values))
    trigger: str = Field("", description="a trigger or group name: "
                                         + ", ".join(selectors.TRIGGERS))
    division: str = Field("", max_length=12, description="a division code prefix")
    run: int | None = Field(None, description="only the flags this monitoring pass opened")
    page: int = Field(1, ge=1)
    per_page: int = Field(selectors.PER_PAGE, ge=1, le=selectors.PER_PAGE_MAX)


class FlagOut(Schema):
    id: int
    household_id: int
    household_number: str
    division_code: str
    status: str
    status_label: str
    target_group: str
    target_group_label: str
    triggers: list[str]
    reason: str
    numbers: dict[str, Any]
    rule_set: str
    rule_set_id: int
    signal_id: int | None
    run_id: int | None
    evaluated_month: dt.date | None
    identified_at: dt.datetime
    identified_by: str | None
    eliminated_at: dt.datetime | None


class FlagPageOut(Schema):
    total: int
    page: int
    pages: int
    per_page: int
    counts_by_status: dict[str, int]
    open_by_target_group: dict[str, int]
    items: list[FlagOut]


class RunOut(Schema):
    id: int
    month: dt.date
    division_prefix: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    own: bool = Field(..., description="the pass's scope lies inside the caller's "
                                       "jurisdiction (its totals are given)")
    opened_here: int = Field(..., description="flags it opened in the caller's jurisdiction")
    households: int | None
    flagged: int | None
    flags_opened: int | None
    eligible: int | None
    skipped: dict[str, Any] | None


def _out(f: MonitoringFlag) -> dict[str, Any]:
    return {
        "id": f.pk, "household_id": f.household_id,
        "household_number": f.household.household_number, "division_code": f.division_code,
        "status": f.status, "status_label": str(FlagStatus(f.status).label),
        "target_group": f.target_group,
        "target_group_label": str(TargetGroup(f.target_group).label),
        "triggers": list(f.triggers), "reason": f.reason, "numbers": f.numbers,
        "rule_set": f"{f.rule_set.code} v{f.rule_set.version}", "rule_set_id": f.rule_set_id,
        "signal_id": f.signal_id, "run_id": f.run_id, "evaluated_month": f.evaluated_month,
        "identified_at": f.identified_at,
        "identified_by": f.identified_by.username if f.identified_by is not None else None,
        "eliminated_at": f.eliminated_at}


@router.get("", response=FlagPageOut, url_name="livelihood_flags",
            summary="Monitoring flags of the caller's jurisdiction, the latest first, paged")
def flag_list(request: AuthedRequest, filters: Query[FlagFilterIn]) -> Any:
    check_capability(request, READ)
    f = selectors.FlagFilters(status=filters.status, target_group=filters.target_group,
                              trigger=filters.trigger, division=filters.division,
                              run=filters.run)
    qs = selectors.flags_list(request.user, f).select_related("identified_by")
    total = qs.count()
    pages = max(1, -(-total // filters.per_page))
    page = min(filters.page, pages)
    start = (page - 1) * filters.per_page
    counts = selectors.flag_counts(request.user, f.cleaned().division)
    return {"total": total, "page": page, "pages": pages, "per_page": filters.per_page,
            "counts_by_status": counts.by_status, "open_by_target_group": counts.by_group,
            "items": [_out(x) for x in qs[start:start + filters.per_page]]}


@router.get("/{int:flag_id}", response=FlagOut, url_name="livelihood_flag",
            summary="One monitoring flag: the rule set, triggers, numbers and reason")
def flag_get(request: AuthedRequest, flag_id: int) -> Any:
    check_capability(request, READ)
    return _out(selectors.flag_detail(request.user, flag_id))


@runs_router.get("", response=list[RunOut], url_name="livelihood_runs",
                 summary="Monitoring passes over or covering the caller's jurisdiction")
def run_list(request: AuthedRequest) -> Any:
    check_capability(request, READ)
    out = []
    for row in selectors.runs_list(request.user):
        r = row.run
        totals = {"households": r.households, "flagged": r.flagged,
                  "flags_opened": r.flags_opened, "eligible": r.eligible,
                  "skipped": r.skipped} if row.own else dict.fromkeys(
            ("households", "flagged", "flags_opened", "eligible", "skipped"))
        out.append({"id": r.pk, "month": r.month, "division_prefix": r.division_prefix,
                    "started_at": r.started_at, "finished_at": r.finished_at, "own": row.own,
                    "opened_here": row.opened_here, **totals})
    return out
