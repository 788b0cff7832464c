"""/api/v1/livelihood/households and /members: the household registry — the village list, one
household with its members, its income and shocks, and the writes through the registry services
(decision 1210). A household outside the caller's jurisdiction answers 404; a stale `version`
409; bad fields 422 with field-level messages.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.livelihood.selectors import households as sel
from shouwang.livelihood.services import households as svc
from shouwang.livelihood.services.incomes import income_record_set
from shouwang.livelihood.services.shocks import shock_record

router = Router(tags=["livelihood: households"])
members_router = Router(tags=["livelihood: households"])

READ = "livelihood.read"
WRITE = "livelihood.write"


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service; PermissionDenied → 403, a concurrent edit → 409."""
    try:
        return fn(**kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None
    except svc.HouseholdConflict as exc:
        raise HttpError(409, exc.message) from None


class ListIn(Schema):
    division: str = Field(..., description="division code (the village, or any division above)")
    status: str = Field("", description="monitoring status")
    poverty_status: str = ""
    guarantees_lost: bool = False
    q: str = Field("", description="household number starts with")
    page: int = 1
    per_page: int = sel.PER_PAGE
    year: int | None = Field(None, description="income year (default last year)")


class RowOut(Schema):
    id: int
    household_number: str
    division_code: str
    poverty_status: str
    lifted_out_year: int | None
    monitoring_status: str
    members: int
    income_year: int
    net_income: Decimal | None
    per_capita_income: Decimal | None
    guarantees_lost: list[str]
    latest_shock_kind: str
    latest_shock_on: dt.date | None
    version: int


class ListOut(Schema):
    division: str
    total: int
    page: int
    pages: int
    per_page: int
    income_year: int
    status_counts: dict[str, int]
    items: list[RowOut]


class HouseholdIn(Schema):
    division_code: str
    household_number: str
    address_detail: str = ""
    poverty_status: str = "never_poor"
    lifted_out_year: int | None = None


class HouseholdPatch(Schema):
    version: int
    household_number: str | None = None
    address_detail: str | None = None
    poverty_status: str | None = None
    lifted_out_year: int | None = None


class GuaranteesIn(Schema):
    version: int
    food_clothing_secure: bool
    education_secure: bool
    medical_secure: bool
    housing_secure: bool
    water_secure: bool
    guarantees_checked_on: dt.date


class MemberOut(Schema):
    id: int
    name: str
    id_type: str
    id_number: str
    phone: str
    sex: str
    birth_date: dt.date | None
    birth_year: int | None
    relationship: str
    health: str
    disability: str
    schooling: str
    work: str
    migrant_destination_code: str
    migrant_destination: str
    active: bool
    left_on: dt.date | None
    masked: bool


class HouseholdOut(Schema):
    id: int
    household_number: str
    division_code: str
    division_name: str
    address_detail: str
    poverty_status: str
    lifted_out_year: int | None
    monitoring_status: str
    food_clothing_secure: bool
    education_secure: bool
    medical_secure: bool
    housing_secure: bool
    water_secure: bool
    guarantees_checked_on: dt.date | None
    version: int
    members: list[MemberOut]


class MemberIn(Schema):
    name: str
    id_type: str = "resident_id"
    id_number: str = ""
    phone: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    relationship: str
    health: str = "healthy"
    disability: str = "none"
    schooling: str = "not_in_school"
    work: str = "farming"
    migrant_destination_code: str = ""
    migrant_destination: str = ""


class MemberPatch(Schema):
    name: str | None = None
    id_type: str | None = None
    id_number: str | None = None
    phone: str | None = None
    relationship: str | None = None
    health: str | None = None
    disability: str | None = None
    schooling: str | None = None
    work: str | None = None
    migrant_destination_code: str | None = None
    migrant_destination: str | None = None


class LeaveIn(Schema):
    left_on: dt.date | None = None


class IncomeIn(Schema):
    year: int
    month: int | None = None
    component: str
    amount: Decimal
    source: str = "cadre_visit"


class IncomeOut(Schema):
    id: int
    year: int
    month: int | None
    component: str
    amount: Decimal
    source: str


class IncomesOut(Schema):
    by_year: dict[int, dict[str, Decimal]]
    records: list[IncomeOut]


class ShockIn(Schema):
    kind: str
    occurred_on: dt.date
    ended_on: dt.date | None = None
    amount: Decimal
    source: str = "cadre_visit"
    description: str = ""
    member_id: int | None = None
    source_key: str | None = None


class ShockOut(Schema):
    id: int
    kind: str
    occurred_on: dt.date
    ended_on: dt.date | None
    amount: Decimal
    source: str
    description: str
    member_id: int | None
    case_id: int | None


def _detail(request: AuthedRequest, household_id: int) -> dict[str, Any]:
    d = sel.household_detail(user=request.user, household_id=household_id)
    h = d.household
    return {
        "id": h.pk, "household_number": h.household_number, "division_code": h.division_code,
        "division_name": d.division.name if d.division else "", "address_detail": d.address_detail,
        "poverty_status": h.poverty_status, "lifted_out_year": h.lifted_out_year,
        "monitoring_status": h.monitoring_status,
        **{g: getattr(h, g) for g in sel.GUARANTEE_FIELDS},
        "guarantees_checked_on": h.guarantees_checked_on, "version": h.version,
        "members": d.members}


@router.get("", response=ListOut, url_name="livelihood_households",
            summary="One page of a division's households: members, per-capita net income of the "
                    "year, monitoring status, guarantees lost, latest shock; counts by status")
def household_list(request: AuthedRequest, filters: Query[ListIn]) -> Any:
    check_capability(request, READ)
    page = sel.village_list(
        user=request.user, code=filters.division, page=filters.page, per_page=filters.per_page,
        year=filters.year, filters=sel.VillageFilters(
            status=filters.status, poverty_status=filters.poverty_status,
            guarantees_lost=filters.guarantees_lost, q=filters.q))
    return {"division": page.division.code, "total": page.total, "page": page.page,
            "pages": page.pages, "per_page": page.per_page, "income_year": page.income_year,
            "status_counts": page.status_counts, "items": [r.__dict__ for r in page.rows]}


@router.post("", response={201: HouseholdOut}, url_name="livelihood_households",
             summary="Register a household (division inside the caller's jurisdiction)")
def household_create(request: AuthedRequest, payload: HouseholdIn) -> Any:
    data = payload.dict()
    code = data.pop("division_code")
    h = _call(svc.household_create, actor=request.user, division_code=code, data=data)
    return Status(201, _detail(request, h.pk))


@router.get("/{household_id}", response=HouseholdOut, url_name="livelihood_household",
            summary="One household with its members (personal data masked without "
                    "livelihood.write; the read of personal data is audited)")
def household_get(request: AuthedRequest, household_id: int) -> Any:
    check_capability(request, READ)
    return _detail(request, household_id)


@router.patch("/{household_id}", response=HouseholdOut, url_name="livelihood_household",
              summary="Change a household read at `version` (409 when it changed since)")
def household_update(request: AuthedRequest, household_id: int, payload: HouseholdPatch) -> Any:
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    _call(svc.household_update, actor=request.user, household_id=household_id,
          version=version, data=data)
    return _detail(request, household_id)


@router.put("/{household_id}/guarantees", response=HouseholdOut,
            url_name="livelihood_household_guarantees",
            summary="Set the five guarantees and the day they were checked")
def guarantees_update(request: AuthedRequest, household_id: int, payload: GuaranteesIn) -> Any:
    data = payload.dict()
    version = data.pop("version")
    _call(svc.guarantees_update, actor=request.user, household_id=household_id,
          version=version, data=data)
    return _detail(request, household_id)


@router.get("/{household_id}/members", response=list[MemberOut], url_name="livelihood_members",
            summary="The household's members (personal data masked without livelihood.write)")
def members(request: AuthedRequest, household_id: int) -> Any:
    check_capability(request, READ)
    return sel.household_detail(user=request.user, household_id=household_id).members


@router.post("/{household_id}/members", response={201: MemberOut}, url_name="livelihood_members",
             summary="Add a member (a person active in another household: 422 naming it)")
def member_add(request: AuthedRequest, household_id: int, payload: MemberIn) -> Any:
    m = _call(svc.member_add, actor=request.user, household_id=household_id,
              data=payload.dict())
    return Status(201, sel.member_view(m, personal=True))


@members_router.get("/{member_id}", response=MemberOut, url_name="livelihood_member",
                    summary="One member (personal data masked without livelihood.write)")
def member_get(request: AuthedRequest, member_id: int) -> Any:
    check_capability(request, READ)
    m = sel.member_get(user=request.user, member_id=member_id)
    return sel.member_view_audited(request.user, m)


@members_router.patch("/{member_id}", response=MemberOut, url_name="livelihood_member",
                      summary="Change a member")
def member_update(request: AuthedRequest, member_id: int, payload: MemberPatch) -> Any:
    m = _call(svc.member_update, actor=request.user, member_id=member_id,
              data=payload.dict(exclude_unset=True))
    return sel.member_view(m, personal=True)


@members_router.post("/{member_id}/leave", response=MemberOut, url_name="livelihood_member_leave",
                     summary="A member left the household (moved, married out, died)")
def member_leave(request: AuthedRequest, member_id: int, payload: LeaveIn) -> Any:
    m = _call(svc.member_leave, actor=request.user, member_id=member_id, left_on=payload.left_on)
    return sel.member_view(m, personal=True)


@router.get("/{household_id}/incomes", response=IncomesOut, url_name="livelihood_incomes",
            summary="Net income by year and component, and the stored records")
def incomes(request: AuthedRequest, household_id: int) -> Any:
    check_capability(request, READ)
    by_year = sel.incomes_by_year(user=request.user, household_id=household_id)
    records = sel.income_records(user=request.user, household_id=household_id)
    return {"by_year": by_year, "records": list(records)}


@router.put("/{household_id}/incomes", response={200: IncomeOut, 201: IncomeOut},
            url_name="livelihood_incomes",
            summary="Store one component's income of a year or month (the same record twice is "
                    "stored once; negative wages or transfers: 422)")
def income_set(request: AuthedRequest, household_id: int, payload: IncomeIn) -> Any:
    record, created = _call(income_record_set, actor=request.user, household_id=household_id,
                            **payload.dict())
    return Status(201 if created else 200, record)


@router.get("/{household_id}/shocks", response=list[ShockOut], url_name="livelihood_shocks",
            summary="The household's shocks, latest first")
def shocks(request: AuthedRequest, household_id: int) -> Any:
    check_capability(request, READ)
    return list(sel.shock_list(user=request.user, household_id=household_id))


@router.post("/{household_id}/shocks", response={200: ShockOut, 201: ShockOut},
             url_name="livelihood_shocks",
             summary="Record a shock (idempotent on source_key; a negative amount: 422)")
def shock_create(request: AuthedRequest, household_id: int, payload: ShockIn) -> Any:
    shock, created = _call(shock_record, actor=request.user, household_id=household_id,
                           **payload.dict())
    return Status(201 if created else 200, shock)
