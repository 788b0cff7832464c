"""/api/v1/surveillance/cases: submit, list, read and change case reports; duplicates."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.params.functions import Header

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import in_jurisdiction
from shouwang.surveillance.models import CaseReport
from shouwang.surveillance.selectors import cases as selectors
from shouwang.surveillance.services import cases as services
from shouwang.surveillance.services import dedup

router = Router(tags=["surveillance: cases"])

READ = "surveillance.read"
WRITE = "surveillance.write"


class CaseIn(Schema):
    disease: str
    classification: str
    name: str
    id_type: str = "resident_id"
    id_number: str = ""
    phone: str = ""
    sex: str = "U"
    birth_date: date | None = None
    age_years: int | None = None
    division_code: str
    address_detail: str = ""
    occupation: str = "unknown"
    onset_date: date | None = None
    diagnosed_at: datetime
    reported_at: datetime | None = None
    reporting_facility: str
    reporting_division_code: str
    severity: str = ""
    outcome: str = ""
    outcome_date: date | None = None
    imported: bool = False
    origin_division_code: str = ""
    origin_country: str = ""
    source_key: str | None = Field(None, max_length=96)


class CaseOut(Schema):
    """No personal fields: listing reports is not a read of anybody's record."""

    id: int
    disease: str = Field(..., alias="disease_id")
    disease_name: str = Field(..., alias="disease.name")
    classification: str
    status: str
    sex: str
    age_years: int | None
    division_code: str
    occupation: str
    onset_date: date | None
    diagnosed_at: datetime
    reported_at: datetime
    reporting_facility: str
    reporting_division_code: str
    severity: str
    outcome: str
    outcome_date: date | None
    imported: bool
    origin_division_code: str
    origin_country: str
    report_deadline_at: datetime
    verification_due_at: datetime
    verified_at: datetime | None
    merged_into_id: int | None
    version: int
    updated_at: datetime


class CaseDetailOut(CaseOut):
    name: str
    id_type: str
    id_number: str
    phone: str
    birth_date: date | None
    address_detail: str
    revoked_reason: str
    source_key: str | None


class SubmitOut(CaseDetailOut):
    duplicate_of: int | None = None  # set when the submission repeated this existing case
    duplicate_report_id: int | None = None  # the stored (merged) copy of the submission


class CasePageOut(Schema):
    items: list[CaseOut]
    has_next: bool
    offset: int
    limit: int
    total: int | None = None


class CaseFiltersIn(Schema):
    """The line list's filters (selectors.cases.CaseFilters), shared by the list and the export."""

    disease: str | None = None
    classification: str | None = None
    status: str | None = "active"
    onset_from: date | None = None
    onset_to: date | None = None
    diagnosed_from: date | None = None
    diagnosed_to: date | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    division_code: str | None = None
    imported: bool | None = None
    verified: bool | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    late: bool | None = None


class CaseFilterIn(CaseFiltersIn):
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=selectors.PAGE_MAX)
    with_total: bool = False


class HistoryOut(Schema):
    version: int
    kind: str
    changed_at: datetime
    actor: str | None = Field(None, alias="actor.username")
    reason: str
    changes: dict[str, Any]
    classification: str


class VersionIn(Schema):
    version: int


class CorrectIn(VersionIn):
    changes: dict[str, Any]
    reason: str = Field(..., max_length=255)


class ReclassifyIn(VersionIn):
    classification: str
    reason: str = Field(..., max_length=255)


class OutcomeIn(VersionIn):
    outcome: str
    outcome_date: date | None = None
    reason: str = Field("", max_length=255)


class ReasonIn(VersionIn):
    reason: str = Field(..., max_length=255)


class OptionalReasonIn(VersionIn):
    reason: str = Field("", max_length=255)


class UnmergeIn(Schema):
    version: int | None = None
    reason: str = Field("", max_length=255)


class BulkVerifyIn(Schema):
    case_ids: list[int] = Field(..., max_length=services.BULK_MAX)


class BulkOut(Schema):
    changed: list[int]
    skipped: list[int]


class CandidateOut(Schema):
    id: int
    case_id: int
    other_id: int
    division_code: str
    score: float
    reasons: list[str]
    status: str
    created_at: datetime
    decided_at: datetime | None


class DismissIn(Schema):
    reason: str = Field("", max_length=255)


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service; PermissionDenied → 403, a concurrent edit → 409."""
    try:
        return fn(**kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None
    except services.CaseConflict as exc:
        raise HttpError(409, exc.message) from None


@router.post("", response={200: SubmitOut, 201: SubmitOut},
             summary="Submit a case report (same Idempotency-Key or source_key → same report; "
                     "a repeat of an existing case → 200 with duplicate_of)")
def case_report_submit(
    request: AuthedRequest,
    payload: CaseIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Any:
    data = payload.dict()
    body_key = data.pop("source_key", None)
    result = _call(services.case_report_submit, actor=request.user, data=data,
                   source_key=idempotency_key or body_key)
    case: Any = result.case
    if result.duplicate is not None:
        case.duplicate_of = case.pk
        case.duplicate_report_id = result.duplicate.pk
    return Status(201 if result.created else 200, case)


class ValidateOut(Schema):
    valid: bool
    errors: dict[str, list[str]]
    # What the rules derived from the input (sex and birth date from a resident ID, the age).
    derived: dict[str, Any]


@router.post("/validate", response=ValidateOut,
             summary="Check a report's fields with the service's rules without storing anything "
                     "(the report form's instant validation)")
def case_report_validate(request: AuthedRequest, payload: Body[dict[str, Any]]) -> Any:
    check_capability(request, WRITE)
    data = {k: v for k, v in payload.items() if k in services.INPUT_FIELDS}
    try:
        clean = services.validate_for(request.user, data)
    except InvalidInput as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        # The service checks the jurisdiction once the rest is valid; the form wants to know
        # as soon as the user leaves the address, so the same check runs here on the code alone.
        code = str(data.get("division_code") or "").strip()
        if code and "division_code" not in errors and not in_jurisdiction(request.user, code):
            errors["division_code"] = [_("现住址区划不在您的管辖范围内。")]
        return {"valid": False, "derived": {}, "errors": errors}
    return {"valid": True, "errors": {}, "derived": {
        "sex": clean.sex, "age_years": clean.age_years,
        "birth_date": clean.birth_date.isoformat() if clean.birth_date else None}}


@router.get("", response=CasePageOut,
            summary="Case reports, newest report first, a page at a time (has_next, no count "
                    "unless with_total)")
def case_report_list(request: AuthedRequest, filters: Query[CaseFilterIn]) -> Any:
    check_capability(request, READ)
    raw = filters.dict()
    offset, limit, with_total = raw.pop("offset"), raw.pop("limit"), raw.pop("with_total")
    f = selectors.CaseFilters(**raw)
    page = selectors.case_page(user=request.user, filters=f, offset=offset, limit=limit)
    total = selectors.case_count(user=request.user, filters=f) if with_total else None
    return {"items": page.items, "has_next": page.has_next, "offset": page.offset,
            "limit": page.limit, "total": total}


@router.post("/bulk/verify", response=BulkOut,
             summary="Verify many reports at once (those not eligible are listed as skipped)")
def case_reports_bulk_verify(request: AuthedRequest, payload: BulkVerifyIn) -> Any:
    check_capability(request, WRITE)
    return _call(services.case_reports_bulk_verify, actor=request.user,
                 case_ids=payload.case_ids)


@router.get("/duplicates", response=list[CandidateOut],
            summary="Open duplicate candidates (reports without an ID number), best match first")
def duplicate_candidate_list(request: AuthedRequest) -> Any:
    check_capability(request, READ)
    return list(selectors.duplicate_candidates(user=request.user)[:500])


@router.post("/duplicates/{candidate_id}/merge", response=CaseDetailOut,
             summary="Merge a candidate pair: the later report into the earlier one")
def duplicate_candidate_merge(request: AuthedRequest, candidate_id: int) -> Any:
    check_capability(request, WRITE)
    candidate = selectors.duplicate_candidate_get(user=request.user, candidate_id=candidate_id)
    return _call(dedup.duplicate_candidate_merge, actor=request.user, candidate=candidate)


@router.post("/duplicates/{candidate_id}/dismiss", response=CandidateOut,
             summary="Dismiss a candidate pair: not the same person")
def duplicate_candidate_dismiss(request: AuthedRequest, candidate_id: int,
                                payload: DismissIn) -> Any:
    check_capability(request, WRITE)
    candidate = selectors.duplicate_candidate_get(user=request.user, candidate_id=candidate_id)
    return _call(dedup.duplicate_candidate_dismiss, actor=request.user, candidate=candidate,
                 reason=payload.reason)


@router.get("/{case_id}", response=CaseDetailOut,
            summary="One case report with the person's details (the read is audited)")
def case_report_detail(request: AuthedRequest, case_id: int) -> Any:
    check_capability(request, READ)
    return selectors.case_detail(user=request.user, case_id=case_id)


@router.get("/{case_id}/history", response=list[HistoryOut],
            summary="Every change of the report, oldest first (personal values masked)")
def case_report_history(request: AuthedRequest, case_id: int) -> Any:
    check_capability(request, READ)
    return list(selectors.case_history(user=request.user, case_id=case_id))


def _case(request: AuthedRequest, case_id: int) -> CaseReport:
    check_capability(request, WRITE)
    return selectors.case_get(user=request.user, case_id=case_id)


@router.post("/{case_id}/correct", response=CaseDetailOut,
             summary="Correct fields of a report (name the version you read; 409 if it changed)")
def case_report_correct(request: AuthedRequest, case_id: int, payload: CorrectIn) -> Any:
    case = _case(request, case_id)
    return _call(services.case_report_correct, actor=request.user, case=case,
                 version=payload.version, changes=payload.changes, reason=payload.reason)


@router.post("/{case_id}/reclassify", response=CaseDetailOut,
             summary="Change the classification (e.g. suspected → confirmed), with a reason")
def case_report_reclassify(request: AuthedRequest, case_id: int, payload: ReclassifyIn) -> Any:
    case = _case(request, case_id)
    return _call(services.case_report_reclassify, actor=request.user, case=case,
                 version=payload.version, classification=payload.classification,
                 reason=payload.reason)


@router.post("/{case_id}/outcome", response=CaseDetailOut,
             summary="Record the outcome (recovered or died) and its date")
def case_report_outcome(request: AuthedRequest, case_id: int, payload: OutcomeIn) -> Any:
    case = _case(request, case_id)
    return _call(services.case_report_set_outcome, actor=request.user, case=case,
                 version=payload.version, outcome=payload.outcome,
                 outcome_date=payload.outcome_date, reason=payload.reason)


@router.post("/{case_id}/verify", response=CaseDetailOut, summary="Verify the report")
def case_report_verify(request: AuthedRequest, case_id: int, payload: VersionIn) -> Any:
    case = _case(request, case_id)
    return _call(services.case_report_verify, actor=request.user, case=case,
                 version=payload.version)


@router.post("/{case_id}/revoke", response=CaseDetailOut,
             summary="Revoke (delete) the report with a reason; it stops counting")
def case_report_revoke(request: AuthedRequest, case_id: int, payload: ReasonIn) -> Any:
    case = _case(request, case_id)
    return _call(services.case_report_revoke, actor=request.user, case=case,
                 version=payload.version, reason=payload.reason)


@router.post("/{case_id}/restore", response=CaseDetailOut, summary="Restore a revoked report")
def case_report_restore(request: AuthedRequest, case_id: int, payload: OptionalReasonIn) -> Any:
    case = _case(request, case_id)
    return _call(services.case_report_restore, actor=request.user, case=case,
                 version=payload.version, reason=payload.reason)


@router.post("/{case_id}/unmerge", response=CaseDetailOut,
             summary="Undo the merge of a duplicate report")
def case_report_unmerge(request: AuthedRequest, case_id: int, payload: UnmergeIn) -> Any:
    case = _case(request, case_id)
    return _call(dedup.case_report_unmerge, actor=request.user, case=case,
                 version=payload.version, reason=payload.reason)
