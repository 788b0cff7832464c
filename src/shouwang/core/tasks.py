"""Celery tasks of core: thin wrappers over the job services."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from shouwang.core.jobs import job_requeue_stale, job_run


@shared_task(
    name="core.run_job", acks_late=True, autoretry_for=(OperationalError,),
    retry_backoff=True, retry_backoff_max=300, max_retries=5,
)
def run_job(job_id: int) -> str:
    """Run one job. Idempotent: a finished or already-running job is left alone."""
    return job_run(job_id=job_id)


@shared_task(name="core.requeue_stale_jobs")
def requeue_stale_jobs() -> list[int]:
    return job_requeue_stale()
