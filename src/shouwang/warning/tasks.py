"""Celery tasks of the early-warning app: thin wrappers over its scheduled jobs.

`warning.early_warning` runs the nightly computation for a day (default: yesterday, the
deployment's local calendar). Celery beat runs it every night at SHOUWANG_EARLY_WARNING_HOUR
(default 02:00 local time, after the late reports of the day before are in): the entry is added
to the app's beat schedule when the worker or beat imports this module (autodiscovery), since
the project configures no schedule of its own. The job is idempotent for its day, so a repeated
delivery recomputes the same rows.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from shouwang.config.celery import app

EARLY_WARNING_TASK = "warning.early_warning"


@shared_task(name=EARLY_WARNING_TASK, acks_late=True)
def early_warning(day: str | None = None, diseases: list[str] | None = None) -> dict[str, Any]:
    """The nightly early warning of `day` (ISO date; default yesterday)."""
    from shouwang.warning.services.nightly import run_early_warning

    when = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    return run_early_warning(day=when, diseases=diseases)


def _beat_entry() -> dict[str, Any]:
    hour = int(getattr(settings, "SHOUWANG_EARLY_WARNING_HOUR", 2))
    return {"task": EARLY_WARNING_TASK, "schedule": crontab(hour=hour, minute=0)}


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), "warning-early-warning": _beat_entry()}
