"""Background jobs over the API: enqueue, watch progress, download the result.

A job is visible to its owner only; anybody else's job answers 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from shouwang.core import jobs
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction, Job

if TYPE_CHECKING:
    from shouwang.accounts.models import User

router = Router(tags=["jobs"])


def _user(request: HttpRequest) -> User:
    # Every route of the API is authenticated (token or session), so this is a real user.
    return cast("User", request.user)


class JobIn(Schema):
    kind: str
    key: str
    params: dict[str, Any] = {}


class JobOut(Schema):
    id: int
    kind: str
    key: str
    status: str
    progress_done: int
    progress_total: int | None
    result: dict[str, Any]
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    download_url: str | None

    @staticmethod
    def resolve_download_url(obj: Job) -> str | None:
        return f"/api/v1/jobs/{obj.pk}/download" if jobs.job_file(obj) is not None else None


@router.post("", response={202: JobOut}, summary="Enqueue a job (same key → same job)")
def job_create(request: HttpRequest, payload: JobIn) -> Any:
    try:
        job = jobs.job_enqueue(
            actor=_user(request), kind=payload.kind, key=payload.key,
            params=payload.params,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from None
    return Status(202, job)


@router.get("/{job_id}", response=JobOut, summary="A job's status and progress")
def job_detail(request: HttpRequest, job_id: int) -> Any:
    return jobs.job_get(user=_user(request), job_id=job_id)


@router.get("/{job_id}/download", summary="The file a finished job produced")
def job_download(request: HttpRequest, job_id: int) -> Any:
    job = jobs.job_get(user=_user(request), job_id=job_id)
    path = jobs.job_file(job)
    if path is None:
        raise HttpError(409, "job has no file to download (yet)")
    audit_log(actor=_user(request), action=AuditAction.EXPORT, obj=job,
              summary=f"job {job.kind} file downloaded", changes={"file": path.name})
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=path.name,
        content_type=str(job.result.get("content_type") or "application/octet-stream"),
    )
