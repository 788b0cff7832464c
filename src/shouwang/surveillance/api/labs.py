"""/api/v1/surveillance/labs: submit and read lab results; the report-due tasks they raise."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.params.functions import Header

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.surveillance.selectors import labs as selectors
from shouwang.surveillance.services import labs as services

router = Router(tags=["surveillance: labs"])

READ = "surveillance.read"
WRITE = "surveillance.write"


class LabResultIn(Schema):
    disease: str
    sample_id: str
    sample_type: str
    sampled_at: datetime
    tested_at: datetime
    method: str
    result: str
    ct_value: float | None = None
    laboratory: str
    laboratory_division_code: str
    division_code: str
    name: str
    id_type: str = "resident_id"
    id_number: str = ""
    phone: str = ""
    sex: str = "U"
    birth_date: date | None = None
    source_key: str | None = Field(None, max_length=96)


class LabResultOut(Schema):
    """No personal fields: a list of results is not a read of anybody's record."""

    id: int
    disease: str = Field(..., alias="disease_id")
    sample_id: str
    sample_type: str
    sampled_at: datetime
    tested_at: datetime
    method: str
    result: str
    ct_value: float | None
    laboratory: str
    laboratory_division_code: str
    division_code: str
    case_id: int | None
    created_at: datetime


class LabResultDetailOut(LabResultOut):
    name: str
    id_type: str
    id_number: str
    phone: str
    sex: str
    birth_date: date | None
    report_task_id: int | None

    @staticmethod
    def resolve_report_task_id(obj: Any) -> int | None:
        # The reverse one-to-one raises (an AttributeError) when there is no task.
        task = getattr(obj, "report_task", None)
        return task.pk if task is not None else None


class LabFilterIn(Schema):
    disease: str | None = None
    result: str | None = None
    method: str | None = None
    since: date | None = None
    until: date | None = None
    linked: bool | None = None


class ReportTaskOut(Schema):
    id: int
    disease: str = Field(..., alias="disease_id")
    division_code: str
    due_at: datetime
    status: str
    overdue: bool
    lab_result_id: int
    sample_id: str = Field(..., alias="lab_result.sample_id")
    case_id: int | None
    note: str
    created_at: datetime
    resolved_at: datetime | None


class CancelIn(Schema):
    reason: str = Field(..., max_length=255)


@router.post("", response={200: LabResultDetailOut, 201: LabResultDetailOut},
             summary="Submit a lab result (same Idempotency-Key or source_key → same result)")
def lab_result_submit(
    request: AuthedRequest,
    payload: LabResultIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Any:
    data = payload.dict()
    body_key = data.pop("source_key", None)
    key = idempotency_key or body_key
    try:
        result, created = services.lab_result_submit(actor=request.user, data=data,
                                                     source_key=key)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": services.LAB_WRITE}) from None
    return Status(201 if created else 200, result)


@router.get("", response=list[LabResultOut], summary="Lab results, latest test first")
@paginate(LimitOffsetPagination)
def lab_result_list(request: AuthedRequest, filters: Query[LabFilterIn]) -> Any:
    check_capability(request, READ)
    return selectors.lab_result_list(
        user=request.user, filters=selectors.LabResultFilters(**filters.dict())
    )


@router.get("/tasks", response=list[ReportTaskOut],
            summary="Open report-due tasks, soonest due first, with an overdue flag")
@paginate(LimitOffsetPagination)
def lab_report_tasks(request: AuthedRequest, overdue: bool = False) -> Any:
    check_capability(request, READ)
    return selectors.open_report_tasks(user=request.user, overdue_only=overdue)


@router.post("/tasks/{task_id}/cancel", response=ReportTaskOut,
             summary="Cancel an open report-due task (a false positive), with a reason")
def lab_report_task_cancel(request: AuthedRequest, task_id: int, payload: CancelIn) -> Any:
    task = selectors.report_task_get(user=request.user, task_id=task_id)
    try:
        services.report_task_cancel(actor=request.user, task=task, reason=payload.reason)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None
    return selectors.report_task_get(user=request.user, task_id=task_id)


@router.get("/{result_id}", response=LabResultDetailOut,
            summary="One lab result with the person's details (the read is audited)")
def lab_result_detail(request: AuthedRequest, result_id: int) -> Any:
    check_capability(request, READ)
    return selectors.lab_result_detail(user=request.user, result_id=result_id)
