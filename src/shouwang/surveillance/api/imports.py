"""/api/v1/surveillance/imports: the import wizard over the API.

template → upload (a batch, its suggested column mapping and a preview) → preview again with
another mapping → start (a background job; the same request twice gives the same job) → watch
the batch (status, counts, the job's progress) → download the per-row errors file.
Batches are scoped like the records they hold: an officer sees the batches of the own area.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, Job, JobStatus
from shouwang.surveillance.models import ImportBatch, ImportStatus
from shouwang.surveillance.selectors import imports as selectors
from shouwang.surveillance.services import imports as services

router = Router(tags=["surveillance: imports"])

READ = "surveillance.read"
WRITE = "surveillance.write"
TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
LIST_MAX = 100
PREVIEW_MAX = 200

Mapping = dict[str, str | None]


class ImportJobOut(Schema):
    id: int
    status: str
    progress_done: int
    progress_total: int | None
    result: dict[str, Any]
    error: str
    dry_run: bool = False


class BatchOut(Schema):
    id: int
    kind: str
    file_name: str
    encoding: str
    status: str
    mapping: dict[str, Any]
    division_code: str
    owner: str
    total_rows: int
    imported_rows: int
    duplicate_rows: int
    # Rows of this file imported before (same source key): skipped, never added twice.
    existing_rows: int
    error_rows: int
    # Rows stored but proposed as possible duplicates (no ID number) for an officer to decide.
    candidate_rows: int
    dry_run: bool
    failure: str
    created_at: datetime
    finished_at: datetime | None
    job: ImportJobOut | None = None
    # 0–100 from the job's progress; 100 once the batch has finished.
    percent: int | None = None
    errors_url: str | None = None


class ColumnOut(Schema):
    field: str
    header_zh: str
    header_en: str
    required: bool
    example: str
    help_zh: str
    help_en: str


class PreviewRowOut(Schema):
    line: int
    values: dict[str, str]
    errors: dict[str, list[str]]
    duplicate_of: int | None = None
    duplicate_kind: str = ""


class PreviewOut(Schema):
    headers: list[str]
    mapping: dict[str, str | None]
    columns: list[ColumnOut]
    missing_required: list[str]
    rows: list[PreviewRowOut]
    sample_size: int


class UploadOut(Schema):
    batch: BatchOut
    preview: PreviewOut


class PreviewIn(Schema):
    mapping: Mapping | None = None
    limit: int = Field(20, ge=1, le=PREVIEW_MAX)


class StartIn(Schema):
    mapping: Mapping
    dry_run: bool = False


class TemplateIn(Schema):
    format: str = "csv"


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None


def batch_percent(batch: ImportBatch, job: Job | None) -> int | None:
    """0–100 from the job's progress; 100 once finished; None before any job."""
    if batch.status == ImportStatus.DONE or (job is not None
                                              and job.status == JobStatus.SUCCEEDED):
        return 100
    if job is None:
        return None
    if job.progress_total:
        return min(100, int(job.progress_done * 100 / job.progress_total))
    return 0


def batch_out(batch: ImportBatch, job: Job | None = None) -> dict[str, Any]:
    """The batch with its job's progress, as the API and the wizard page show it."""
    job = job or batch.job
    percent = batch_percent(batch, job)
    job_out: dict[str, Any] | None = None
    if job is not None:
        job_out = {"id": job.pk, "status": job.status, "progress_done": job.progress_done,
                   "progress_total": job.progress_total, "result": job.result,
                   "error": job.error, "dry_run": bool(job.params.get("dry_run"))}
    errors = services.import_errors_file(batch)
    return {
        "id": batch.pk, "kind": batch.kind, "file_name": batch.file_name,
        "encoding": batch.encoding, "status": batch.status, "mapping": batch.mapping,
        "division_code": batch.division_code, "owner": batch.owner.username,
        "total_rows": batch.total_rows, "imported_rows": batch.imported_rows,
        "duplicate_rows": batch.duplicate_rows, "existing_rows": batch.existing_rows,
        "error_rows": batch.error_rows, "candidate_rows": batch.candidate_rows,
        "dry_run": batch.dry_run, "failure": batch.failure,
        "created_at": batch.created_at, "finished_at": batch.finished_at, "job": job_out,
        "percent": percent,
        "errors_url": f"/api/v1/surveillance/imports/{batch.pk}/errors" if errors else None,
    }


def preview_out(preview: Any) -> dict[str, Any]:
    return {
        "headers": list(preview.headers), "mapping": dict(preview.mapping),
        "columns": [{"field": c.field, "header_zh": c.header_zh, "header_en": c.header_en,
                     "required": c.required, "example": c.example, "help_zh": c.help_zh,
                     "help_en": c.help_en} for c in preview.columns],
        "missing_required": list(preview.missing_required),
        "rows": [{"line": r.line, "values": r.values,
                  "errors": {k: [str(m) for m in v] for k, v in r.errors.items()},
                  "duplicate_of": r.duplicate_of, "duplicate_kind": r.duplicate_kind}
                 for r in preview.rows],
        "sample_size": preview.sample_size,
    }


@router.get("/template", summary="The line-list template (CSV or XLSX) with Chinese and "
                                 "English headers and an example row")
def import_template(request: AuthedRequest, params: Query[TemplateIn]) -> Any:
    check_capability(request, WRITE)
    fmt = params.format.strip().lower()
    if fmt not in TEMPLATE_TYPES:
        raise InvalidInput({"format": [_("取值无效，可选：%(opts)s。") % {"opts": "csv, xlsx"}]})
    response = HttpResponse(services.import_template(fmt), content_type=TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="case-import-template.{fmt}"'
    return response


@router.get("", response=list[BatchOut], summary="Import batches of my area, newest first")
def import_batch_list(request: AuthedRequest) -> Any:
    check_capability(request, READ)
    batches = selectors.import_batch_list(user=request.user).select_related("owner", "job")
    return [batch_out(b) for b in batches[:LIST_MAX]]


@router.post("/upload", response={201: UploadOut},
             summary="Upload a CSV or XLSX line list: the batch, a suggested column mapping "
                     "and a preview of the first rows")
def import_upload(request: AuthedRequest, file: File[UploadedFile]) -> Any:
    check_capability(request, WRITE)
    batch = _call(services.import_upload, actor=request.user, file_name=file.name or "",
                  content=file.read())
    preview = _call(services.import_preview, actor=request.user, batch=batch)
    return Status(201, {"batch": batch_out(batch), "preview": preview_out(preview)})


@router.get("/{batch_id}", response=BatchOut,
            summary="A batch: status, counts and the progress of its job")
def import_batch_detail(request: AuthedRequest, batch_id: int) -> Any:
    check_capability(request, READ)
    return batch_out(selectors.import_batch_get(user=request.user, batch_id=batch_id))


@router.post("/{batch_id}/preview", response=PreviewOut,
             summary="Check the first rows with a column mapping (a dry run that writes "
                     "nothing)")
def import_batch_preview(request: AuthedRequest, batch_id: int, payload: PreviewIn) -> Any:
    check_capability(request, WRITE)
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    preview = _call(services.import_preview, actor=request.user, batch=batch,
                    mapping=payload.mapping, limit=payload.limit)
    return preview_out(preview)


@router.post("/{batch_id}/start", response=BatchOut,
             summary="Start the import (or a full dry run) as a background job; the same "
                     "mapping again returns the same job")
def import_batch_start(request: AuthedRequest, batch_id: int, payload: StartIn) -> Any:
    check_capability(request, WRITE)
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    job = _call(services.import_start, actor=request.user, batch=batch,
                mapping=payload.mapping, dry_run=payload.dry_run)
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    return batch_out(batch, Job.objects.get(pk=job.pk))


@router.get("/{batch_id}/errors",
            summary="The rows that could not be imported, with their errors (CSV); the "
                    "download is audited")
def import_batch_errors(request: AuthedRequest, batch_id: int) -> Any:
    check_capability(request, WRITE)
    batch = selectors.import_batch_get(user=request.user, batch_id=batch_id)
    path = services.import_errors_file(batch)
    if path is None:
        raise HttpError(404, _("该批次没有错误行文件。"))
    # The file repeats the rows' values, personal fields included: a download is an export.
    audit_log(actor=request.user, action=AuditAction.EXPORT, obj=batch,
              summary="import errors file downloaded",
              changes={"error_rows": batch.error_rows, "file": path.name})
    return FileResponse(path.open("rb"), as_attachment=True,
                        filename=f"import-{batch.pk}-errors.csv",
                        content_type="text/csv; charset=utf-8")
