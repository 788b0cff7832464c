"""/api/v1/livelihood/assistance: measures, follow-up visits and elimination (decision 1240).

- POST flags/{flag_id}/measures {category, description, responsible, started_on, ended_on,
  amount} → 201 the measure
- POST measures/{id}/end {ended_on} → the measure
- POST households/{household_id}/visits {visited_on, notes, guarantees: {name: bool}} → 201 a
  new visit, 200 the same visitor's visit of that day updated
- POST flags/{flag_id}/elimination {evidence_note, month?} → the flag (eliminated); 422 with
  the reason when the income has not been above the threshold long enough
- GET  flags/{flag_id}/evidence → the flag's status and its elimination evidence
- GET  flags/{flag_id}/measures, households/{household_id}/visits → the lists
- GET  flags/{flag_id}/elimination → where the household stands: good months N of M, the
  earliest month, why not yet

A record outside the caller's jurisdiction answers 404; without livelihood.write 403; bad
fields 422 with field-level messages.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.livelihood.models import AssistanceMeasure, FollowUpVisit, MonitoringFlag
from shouwang.livelihood.selectors import assistance as sel
from shouwang.livelihood.services.assistance import measure_add, measure_end, visit_record
from shouwang.livelihood.services.elimination import flag_eliminate

router = Router(tags=["livelihood: assistance"])

READ = "livelihood.read"
WRITE = "livelihood.write"


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None


class MeasureIn(Schema):
    category: str = Field(..., description="industry, employment, minimum_living, "
                                           "social_security, medical, education, housing, "
                                           "microcredit, other")
    description: str
    responsible: int = Field(..., description="user id: active, jurisdiction holds the household")
    started_on: str = Field(..., description="YYYY-MM-DD, not in the future")
    ended_on: str = Field("", description="YYYY-MM-DD (optional), not before started_on")
    amount: str = Field("", description="yuan (optional), ≥ 0")


class MeasureOut(Schema):
    id: int
    flag_id: int
    category: str
    description: str
    responsible_id: int
    started_on: dt.date
    ended_on: dt.date | None
    amount: Decimal | None
    created_by_id: int
    created_at: dt.datetime


class EndIn(Schema):
    ended_on: str = Field(..., description="YYYY-MM-DD, not in the future")


class GuaranteesSeen(Schema):
    food_clothing_secure: bool
    education_secure: bool
    medical_secure: bool
    housing_secure: bool
    water_secure: bool


class VisitIn(Schema):
    visited_on: str = Field(..., description="YYYY-MM-DD, not in the future")
    notes: str
    guarantees: GuaranteesSeen


class VisitOut(Schema):
    id: int
    household_id: int
    flag_id: int | None
    visited_on: dt.date
    visitor_id: int
    notes: str
    guarantees: dict[str, bool]


class EliminateIn(Schema):
    evidence_note: str = Field("", description="the cadre's note (mandatory)")
    month: str = Field("", description="YYYY-MM evaluated (default the last complete month)")


class EvidenceOut(Schema):
    id: int
    household_id: int
    status: str
    eliminated_at: dt.datetime | None
    eliminated_by: str | None
    elimination_evidence: dict[str, Any]


class OutlookOut(Schema):
    flag_id: int
    status: str
    evaluated_month: str | None
    eligible: bool
    good_months: int | None
    required_months: int | None
    eligible_from: str | None
    income_annual: float | None
    threshold: float | None
    refusal: str | None = Field(None, description="why it cannot be marked yet (None: it can)")


def _measure(m: AssistanceMeasure) -> dict[str, Any]:
    return {"id": m.pk, "flag_id": m.flag_id, "category": m.category,
            "description": m.description, "responsible_id": m.responsible_id,
            "started_on": m.started_on, "ended_on": m.ended_on, "amount": m.amount,
            "created_by_id": m.created_by_id, "created_at": m.created_at}


def _visit(v: FollowUpVisit) -> dict[str, Any]:
    return {"id": v.pk, "household_id": v.household_id, "flag_id": v.flag_id,
            "visited_on": v.visited_on, "visitor_id": v.visitor_id, "notes": v.notes,
            "guarantees": v.guarantees}


def _evidence(f: MonitoringFlag) -> dict[str, Any]:
    return {"id": f.pk, "household_id": f.household_id, "status": f.status,
            "eliminated_at": f.eliminated_at,
            "eliminated_by": f.eliminated_by.username if f.eliminated_by else None,
            "elimination_evidence": f.elimination_evidence}


@router.post("/flags/{int:flag_id}/measures", response={201: MeasureOut},
             url_name="livelihood_flag_measures",
             summary="Add an assistance measure to an open flag")
def measure_create(request: AuthedRequest, flag_id: int, payload: MeasureIn) -> Any:
    check_capability(request, READ)
    m = _call(measure_add, actor=request.user, flag_id=flag_id, data=payload.dict())
    return Status(201, _measure(m))


@router.get("/flags/{int:flag_id}/measures", response=list[MeasureOut],
            url_name="livelihood_flag_measures", summary="The measures of a flag")
def measure_list(request: AuthedRequest, flag_id: int) -> Any:
    check_capability(request, READ)
    flag = sel.flag_get(user=request.user, flag_id=flag_id)
    return [_measure(m) for m in sel.measures_of(flag)]


@router.post("/measures/{int:measure_id}/end", response=MeasureOut,
             url_name="livelihood_measure_end", summary="Record the day a measure ended")
def measure_finish(request: AuthedRequest, measure_id: int, payload: EndIn) -> Any:
    check_capability(request, READ)
    return _measure(_call(measure_end, actor=request.user, measure_id=measure_id,
                          ended_on=payload.ended_on))


@router.get("/households/{int:household_id}/visits", response=list[VisitOut],
            url_name="livelihood_household_visits", summary="The follow-up visits of a household")
def visit_list(request: AuthedRequest, household_id: int) -> Any:
    check_capability(request, READ)
    return [_visit(v) for v in sel.household_visits(user=request.user,
                                                    household_id=household_id)]


@router.post("/households/{int:household_id}/visits", response={200: VisitOut, 201: VisitOut},
             url_name="livelihood_household_visits",
             summary="Record a follow-up visit (the same visitor and day again updates it)")
def visit_create(request: AuthedRequest, household_id: int, payload: VisitIn) -> Any:
    check_capability(request, READ)
    visit, created = _call(visit_record, actor=request.user, household_id=household_id,
                           data=payload.dict())
    return Status(201 if created else 200, _visit(visit))


@router.get("/flags/{int:flag_id}/elimination", response=OutlookOut,
            url_name="livelihood_flag_elimination",
            summary="Whether the risk may be marked eliminated now, and from when")
def flag_outlook(request: AuthedRequest, flag_id: int) -> Any:
    check_capability(request, READ)
    flag = sel.flag_get(user=request.user, flag_id=flag_id)
    return {"flag_id": flag.pk, "status": flag.status, **sel.elimination_outlook(flag)}


@router.post("/flags/{int:flag_id}/elimination", response=EvidenceOut,
             url_name="livelihood_flag_elimination",
             summary="Mark the risk eliminated (refused with the reason before the period)")
def flag_elimination(request: AuthedRequest, flag_id: int, payload: EliminateIn) -> Any:
    check_capability(request, READ)
    flag = _call(flag_eliminate, actor=request.user, flag_id=flag_id,
                 evidence_note=payload.evidence_note, month=payload.month or None)
    return _evidence(sel.flag_get(user=request.user, flag_id=flag.pk))


@router.get("/flags/{int:flag_id}/evidence", response=EvidenceOut,
            url_name="livelihood_flag_evidence",
            summary="The flag's status and the evidence stored when its risk was eliminated")
def flag_evidence(request: AuthedRequest, flag_id: int) -> Any:
    check_capability(request, READ)
    return _evidence(sel.flag_get(user=request.user, flag_id=flag_id))
