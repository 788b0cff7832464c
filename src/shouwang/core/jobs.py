"""Background jobs: one table, one Celery task, and a registry of job kinds.

A capability that needs work done outside the request (a bulk import, an export) registers a
`JobKind` with a runner; users enqueue jobs with `job_enqueue`, workers run them with `job_run`
(called by the thin task `shouwang.core.tasks.run_job`). Kinds are found by importing each
installed app's `jobs` module, the way Django finds `admin` modules. The same modules register
their scheduled (nightly) jobs with `register_scheduled_job`; `shouwang run-jobs` runs them.

Why the row and not the broker decides: brokers deliver at least once (a retry, a redelivery
after a worker died before acknowledging). `job_run` therefore claims a job with one conditional
UPDATE that stamps a fresh claim token; only the holder of the token may report progress or
finish it. A claim whose heartbeat is older than `LEASE` is considered abandoned (its worker died)
and may be taken over; a finished job is never run again.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, Job, JobStatus

if TYPE_CHECKING:
    from shouwang.accounts.models import User

logger = logging.getLogger(__name__)

# A running job whose worker has not reported for this long is taken to be abandoned.
LEASE = timedelta(minutes=10)
KEY_MAX_LENGTH = 128


class JobCancelled(Exception):
    """Raised inside a runner when its claim was taken over; the runner must stop writing."""


@dataclass
class JobContext:
    """What a runner gets besides its job: a way to report progress that also keeps its lease."""

    job: Job
    claim_token: str

    def progress(self, done: int, total: int | None = None) -> None:
        job_progress(job_id=self.job.pk, claim_token=self.claim_token, done=done, total=total)


Runner = Callable[[Job, JobContext], dict[str, Any]]
ParamsValidator = Callable[["User", Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class JobKind:
    """A kind of job: who may ask for it, how its parameters are checked, how it runs.

    `validate(user, params)` returns the normalised parameters (stored on the job and compared
    when the same key is sent again) or raises InvalidInput. `runner(job, ctx)` does the work,
    calls `ctx.progress(done, total)` now and then, and returns the JSON-able result; a result
    with a "file" entry (a path under VAR_DIR) can be downloaded by the job's owner.
    """

    name: str
    capability: str
    runner: Runner
    validate: ParamsValidator
    audit_action: str = AuditAction.EXPORT


_KINDS: dict[str, JobKind] = {}


def register_job_kind(kind: JobKind) -> JobKind:
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"job kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def job_kinds() -> dict[str, JobKind]:
    autodiscover_modules("jobs")
    return dict(_KINDS)


def job_kind(name: str) -> JobKind | None:
    return job_kinds().get(name)


@dataclass(frozen=True)
class ScheduledJob:
    """A job run for one day by `shouwang run-jobs <name> --date D` (from cron or Celery beat).

    `run(day)` must be idempotent for its day: running it again recomputes and replaces that
    day's findings, it never adds a second copy. It returns figures for the log.
    """

    name: str
    run: Callable[[date], dict[str, Any]]
    description: str = ""
    # The day run without --date, counted back from today: the nightly analytics judge
    # yesterday (1); a job producing the day's own findings (risk levels in force today) 0.
    default_days_back: int = 1


_SCHEDULED: dict[str, ScheduledJob] = {}


def register_scheduled_job(job: ScheduledJob) -> ScheduledJob:
    existing = _SCHEDULED.get(job.name)
    if existing is not None and existing != job:
        raise ValueError(f"scheduled job {job.name!r} is registered twice")
    _SCHEDULED[job.name] = job
    return job


def scheduled_jobs() -> dict[str, ScheduledJob]:
    autodiscover_modules("jobs")
    return dict(_SCHEDULED)


# --- Services -----------------------------------------------------------------------------------


def job_enqueue(*, actor: User, kind: str, key: str, params: Mapping[str, Any]) -> Job:
    """The job `key` of this kind for this user: created and queued once, returned ever after.

    Sending the same key again returns the same job (whatever its state) and queues nothing;
    sending it with different parameters is an error, not a silent second job.
    """
    key = (key or "").strip()
    spec = job_kind(kind)
    errors: dict[str, list[str]] = {}
    if spec is None:
        errors["kind"] = [_("未知的任务类型：%(kind)s。") % {"kind": kind}]
    if not key:
        errors["key"] = [_("此项为必填项。")]
    elif len(key) > KEY_MAX_LENGTH:
        errors["key"] = [_("不能超过 %(n)s 个字符。") % {"n": KEY_MAX_LENGTH}]
    if errors:
        raise InvalidInput(errors)
    assert spec is not None
    if not actor.has_capability(spec.capability):
        raise PermissionDenied(spec.capability)
    clean = spec.validate(actor, params)

    existing = Job.objects.filter(owner=actor, kind=kind, key=key).first()
    if existing is not None:
        return _same_job(existing, clean)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind, key=key, owner=actor, division_code=actor.division_code, params=clean,
            )
            audit_log(actor=actor, action=AuditAction.CREATE, obj=job,
                      summary=f"job {kind} queued", changes={"kind": kind, "key": key})
            transaction.on_commit(lambda: _send(job.pk))
    except IntegrityError:
        # Another request with the same key won the race; its job is the job.
        return _same_job(Job.objects.get(owner=actor, kind=kind, key=key), clean)
    return job


def _same_job(job: Job, clean: dict[str, Any]) -> Job:
    if job.params != clean:
        raise InvalidInput({"key": [_("该幂等键已用于参数不同的另一任务。")]})
    return job


def _send(job_id: int) -> None:
    from shouwang.core.tasks import run_job

    try:
        run_job.delay(job_id)
    except Exception:
        # The job row is committed and stays queued; `job_requeue_stale` sends it again.
        logger.exception("could not send job %s to the broker", job_id)


def job_progress(*, job_id: int, claim_token: str, done: int, total: int | None = None) -> None:
    """Record progress of a running job and renew its lease.

    Raises JobCancelled when the claim is no longer this runner's (it was taken over).
    """
    values: dict[str, Any] = {"progress_done": max(0, done), "heartbeat_at": timezone.now()}
    if total is not None:
        values["progress_total"] = max(0, total)
    updated = Job.objects.filter(
        pk=job_id, status=JobStatus.RUNNING, claim_token=claim_token
    ).update(**values)
    if updated == 0:
        raise JobCancelled(job_id)


def _claim(job_id: int) -> tuple[Job, str] | None:
    now = timezone.now()
    token = uuid.uuid4().hex
    claimable = Q(status=JobStatus.QUEUED) | Q(
        status=JobStatus.RUNNING, heartbeat_at__lt=now - LEASE
    )
    updated = Job.objects.filter(claimable, pk=job_id).update(
        status=JobStatus.RUNNING, claim_token=token, started_at=now, heartbeat_at=now,
        attempts=F("attempts") + 1, error="",
    )
    if updated == 0:
        return None
    return Job.objects.select_related("owner").get(pk=job_id), token


def job_run(*, job_id: int) -> str:
    """Run job `job_id` if nobody else is running or has run it. Returns the job's status.

    Safe to call any number of times for the same job, from any number of workers.
    """
    claimed = _claim(job_id)
    if claimed is None:
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return str(status or "missing")
    job, token = claimed
    spec = job_kind(job.kind)
    ctx = JobContext(job=job, claim_token=token)
    try:
        if spec is None:
            raise InvalidInput({"kind": [_("未知的任务类型：%(kind)s。") % {"kind": job.kind}]})
        if not job.owner.has_capability(spec.capability):
            raise InvalidInput({"owner": [_("发起人已无权执行此任务。")]})
        result = spec.runner(job, ctx)
    except JobCancelled:
        return JobStatus.RUNNING
    except InvalidInput as exc:
        _finish_failed(job, token, "; ".join(
            f"{name}: {' '.join(str(m) for m in msgs)}" for name, msgs in exc.fields.items()
        ))
        return JobStatus.FAILED
    except Exception as exc:
        if _is_transient(exc):
            # Give the claim back so the retried message can take it again at once.
            Job.objects.filter(pk=job.pk, claim_token=token).update(status=JobStatus.QUEUED)
            raise
        logger.exception("job %s failed", job.pk)
        _finish_failed(job, token, f"{type(exc).__name__}: {exc}")
        return JobStatus.FAILED
    return _finish_succeeded(job, token, spec, result)


def _is_transient(exc: Exception) -> bool:
    from django.db import OperationalError

    return isinstance(exc, OperationalError)


def _finish_succeeded(job: Job, token: str, spec: JobKind, result: dict[str, Any]) -> str:
    with transaction.atomic():
        now = timezone.now()
        # A finished job has done all it had to do, whatever its last progress report said.
        updated = Job.objects.filter(
            pk=job.pk, status=JobStatus.RUNNING, claim_token=token
        ).update(
            status=JobStatus.SUCCEEDED, result=result, finished_at=now, heartbeat_at=now,
            progress_done=Coalesce(F("progress_total"), F("progress_done")),
        )
        if updated == 0:
            return JobStatus.RUNNING
        audit_log(
            actor=job.owner, action=spec.audit_action, obj=job,
            summary=f"job {job.kind} succeeded",
            changes={"kind": job.kind, "params": job.params,
                     **{k: v for k, v in result.items() if k != "file"}},
        )
    return JobStatus.SUCCEEDED


def _finish_failed(job: Job, token: str, error: str) -> None:
    now = timezone.now()
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, claim_token=token).update(
        status=JobStatus.FAILED, error=error[:4000], finished_at=now, heartbeat_at=now,
    )


def job_requeue_stale(*, older_than: timedelta = LEASE) -> list[int]:
    """Send again every job stuck in the queue or abandoned by its worker. Returns their ids.

    Sending twice is harmless (the claim decides), so this may run as often as wanted.
    """
    cutoff = timezone.now() - older_than
    ids = list(
        Job.objects.filter(
            Q(status=JobStatus.QUEUED, created_at__lt=cutoff)
            | Q(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    for job_id in ids:
        _send(job_id)
    return ids


# --- Selectors ----------------------------------------------------------------------------------


def job_get(*, user: User, job_id: int) -> Job:
    """One of the user's own jobs; anybody else's answers 404, as if it did not exist."""
    if not user.is_authenticated or not user.is_active:
        raise Http404
    job = Job.objects.filter(pk=job_id, owner=user).first()
    if job is None:
        raise Http404
    return job


def job_file(job: Job) -> Path | None:
    """The finished job's file, if it has one and it is still there."""
    name = job.result.get("file") if job.status == JobStatus.SUCCEEDED else None
    if not name:
        return None
    exports = (Path(settings.VAR_DIR) / "exports").resolve()
    path = (exports / str(name)).resolve()
    if path.parent != exports or not path.is_file():
        return None
    return path


# --- The audit export ---------------------------------------------------------------------------

AUDIT_EXPORT = "audit_export"
AUDIT_EXPORT_COLUMNS = [
    "id", "occurred_at", "actor_username", "actor_role", "actor_division_code", "action",
    "object_type", "object_id", "division_code", "summary", "changes", "ip_address", "request_id",
]
_FILTER_KEYS = ("actor", "action", "object_type", "object_id", "division_code", "since", "until")
_PROGRESS_EVERY = 1000


def _validate_audit_export(user: User, params: Mapping[str, Any]) -> dict[str, Any]:
    from shouwang.core.selectors import AuditFilters, audit_event_list

    errors: dict[str, list[str]] = {}
    unknown = sorted(set(params) - set(_FILTER_KEYS))
    for name in unknown:
        errors[name] = [_("未知的参数。")]
    clean: dict[str, Any] = {}
    for name in _FILTER_KEYS:
        value = params.get(name)
        if value in (None, ""):
            continue
        if name in {"since", "until"}:
            try:
                clean[name] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[name] = [_("请输入有效日期（YYYY-MM-DD）。")]
        else:
            clean[name] = str(value).strip()[:64]
    if "since" in clean and "until" in clean and clean["since"] > clean["until"]:
        errors["until"] = [_("结束日期不能早于开始日期。")]
    if errors:
        raise InvalidInput(errors)
    # Builds the query once so that an unknown division code is reported now, not by the worker.
    audit_event_list(user=user, filters=_filters(clean, AuditFilters))
    return clean


def _filters(clean: Mapping[str, Any], cls: Any) -> Any:
    values = dict(clean)
    for name in ("since", "until"):
        if name in values:
            values[name] = date.fromisoformat(values[name])
    return cls(**values)


def _csv_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A cell starting with a formula sign would run as a formula in a spreadsheet.
    if text[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + text
    return text


def _run_audit_export(job: Job, ctx: JobContext) -> dict[str, Any]:
    from shouwang.core.selectors import AuditFilters, audit_event_list

    qs = audit_event_list(user=job.owner, filters=_filters(job.params, AuditFilters))
    total = qs.count()
    ctx.progress(0, total)
    exports = Path(settings.VAR_DIR) / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    name = f"audit-export-{job.pk}.csv"
    final = exports / name
    # Written under a per-attempt name and renamed: a retried or taken-over run never leaves a
    # half-written file where the download would find it.
    partial = exports / f".{name}.{ctx.claim_token}.part"
    rows = 0
    tz = timezone.get_default_timezone()
    try:
        with partial.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(AUDIT_EXPORT_COLUMNS)
            for event in qs.iterator(chunk_size=2000):
                writer.writerow([
                    event.pk,
                    event.occurred_at.astimezone(tz).isoformat(timespec="seconds"),
                    *(_csv_cell(v) for v in (
                        event.actor_username, event.actor_role, event.actor_division_code,
                        event.action, event.object_type, event.object_id, event.division_code,
                        event.summary,
                        json.dumps(event.changes, ensure_ascii=False, sort_keys=True),
                        event.ip_address, event.request_id,
                    )),
                ])
                rows += 1
                if rows % _PROGRESS_EVERY == 0:
                    ctx.progress(rows, total)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return {"file": name, "rows": rows, "content_type": "text/csv"}


register_job_kind(JobKind(
    name=AUDIT_EXPORT,
    capability="audit.read",
    runner=_run_audit_export,
    validate=_validate_audit_export,
    audit_action=AuditAction.EXPORT,
))
