"""/api/v1/livelihood/signals and /api/v1/livelihood/department-signals (decision 1220).

- GET  /livelihood/signals?status=&source=&overdue=true — the caller's jurisdiction, by due date
- GET  /livelihood/signals/counts?level=county|township|village
- GET  /livelihood/signals/{id}; POST /livelihood/signals/{id}/decide {identified, reason}
- POST /livelihood/department-signals {records: [...]} — other departments' data, all or nothing
  (livelihood.write; API token of the department's account). A signal outside the caller's
  jurisdiction answers 404.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.livelihood.models import DataSource, Signal, SignalStatus
from shouwang.livelihood.selectors import signals as selectors
from shouwang.livelihood.services.signals import WRITE, department_batch, signal_decide

router = Router(tags=["livelihood: signals"])
department_router = Router(tags=["livelihood: department signals"])

READ = "livelihood.read"
LIST_MAX = 500


class SignalFilterIn(Schema):
    status: str | None = Field(None, description=", ".join(SignalStatus.values))
    source: str | None = Field(None, description=", ".join(DataSource.values))
    overdue: bool = Field(False, description="only pending signals past their time limit")
    division: str = Field("", max_length=12, description="a division code prefix")


class SignalOut(Schema):
    id: int
    household_id: int
    household_number: str
    division_code: str
    source: str
    source_label: str
    summary: str
    details: dict[str, Any]
    shock_id: int | None
    received_at: dt.datetime
    decision_due: dt.datetime
    overdue: bool
    status: str
    status_label: str
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_reason: str


class DecideIn(Schema):
    identified: bool
    reason: str = Field("", description="mandatory")


class CountsOut(Schema):
    division_code: str
    pending: int
    overdue: int
    identified: int
    not_identified: int


class DepartmentRecordIn(Schema):
    department: str = Field(..., description="medical_insurance, civil_affairs, "
                                             "emergency_management, human_resources, …")
    record_id: str = Field(..., description="the department's own id of the record")
    id_number: str = Field("", description="the person's ID number (or household_number)")
    household_number: str = ""
    kind: str = Field(..., description="medical, disaster, job_loss, migrant_interrupted, "
                                       "education, other")
    occurred_on: str = Field(..., description="YYYY-MM-DD")
    amount: str = Field("", description="yuan")
    summary: str = ""


class DepartmentBatchIn(Schema):
    records: list[DepartmentRecordIn]


class DepartmentResultOut(Schema):
    department: str
    record_id: str
    signal_id: int
    created: bool


def _out(s: Signal) -> dict[str, Any]:
    return {
        "id": s.pk, "household_id": s.household_id,
        "household_number": s.household.household_number, "division_code": s.division_code,
        "source": s.source, "source_label": str(DataSource(s.source).label),
        "summary": s.summary, "details": s.details, "shock_id": s.shock_id,
        "received_at": s.received_at, "decision_due": s.decision_due,
        "overdue": s.status == SignalStatus.PENDING and s.decision_due < timezone.now(),
        "status": s.status, "status_label": str(SignalStatus(s.status).label),
        "decided_at": s.decided_at,
        "decided_by": s.decided_by.username if s.decided_by is not None else None,
        "decision_reason": s.decision_reason}


@router.get("", response=list[SignalOut], url_name="livelihood_signals",
            summary="Signals of the caller's jurisdiction, earliest due first (at most 500)")
def signal_list(request: AuthedRequest, filters: Query[SignalFilterIn]) -> Any:
    check_capability(request, READ)
    if filters.overdue:
        qs = selectors.overdue_signals(request.user)
        if filters.division:
            qs = qs.filter(division_code__startswith=filters.division)
    else:
        qs = selectors.signals_list(request.user, status=filters.status, source=filters.source,
                                    division_prefix=filters.division)
    return [_out(s) for s in qs[:LIST_MAX]]


@router.get("/counts", response=list[CountsOut], url_name="livelihood_signal_counts",
            summary="Pending, overdue and decided signals per county, township or village")
def signal_counts(request: AuthedRequest, level: str = "county") -> Any:
    check_capability(request, READ)
    if level not in selectors.LEVEL_LENGTH:
        level = "county"
    return [vars(r) for r in selectors.counts_by_area(request.user, level)]


@router.get("/{int:signal_id}", response=SignalOut, url_name="livelihood_signal",
            summary="One signal")
def signal_get(request: AuthedRequest, signal_id: int) -> Any:
    check_capability(request, READ)
    return _out(selectors.signal_detail(request.user, signal_id))


@router.post("/{int:signal_id}/decide", response=SignalOut, url_name="livelihood_signal_decide",
             summary="Decide a pending signal: identified for monitoring or not, with a reason")
def signal_decide_api(request: AuthedRequest, signal_id: int, payload: DecideIn) -> Any:
    check_capability(request, READ)
    signal = selectors.signal_detail(request.user, signal_id)
    check_capability(request, WRITE)
    decided = signal_decide(actor=request.user, signal=signal, identified=payload.identified,
                            reason=payload.reason)
    return _out(selectors.signal_detail(request.user, decided.pk))


@department_router.post("", response={201: list[DepartmentResultOut]},
                        url_name="livelihood_department_signals",
                        summary="Other departments' records (at most 500), all or nothing; "
                                "idempotent on (department, record_id)")
def department_signals(request: AuthedRequest, payload: DepartmentBatchIn) -> Any:
    check_capability(request, WRITE)
    results = department_batch(actor=request.user,
                               records=[r.dict() for r in payload.records])
    return Status(201, [{"department": r.department, "record_id": r.record_id,
                         "signal_id": r.signal.pk, "created": r.created} for r in results])
