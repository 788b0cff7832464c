"""Celery tasks of the livelihood app: thin wrappers over its services (decision 1220).

`livelihood.screening_daily` screens the platform's surveillance for households at risk
(services/screening.py). Beat runs it every day at SHOUWANG_LIVELIHOOD_SCREENING_HOUR:
SHOUWANG_LIVELIHOOD_SCREENING_MINUTE local time (default 01:10, after the risk levels of the
day are computed at 00:20). Idempotent: a repeated delivery stores nothing twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from shouwang.config.celery import app

SCREENING_TASK = "livelihood.screening_daily"


@shared_task(name=SCREENING_TASK, acks_late=True)
def screening_daily(day: str | None = None) -> dict[str, Any]:
    """Screen `day` (ISO date; default today, local calendar)."""
    from shouwang.livelihood.services.screening import screening_run

    return screening_run(day=date.fromisoformat(day) if day else timezone.localdate())


def _beat_entry() -> dict[str, Any]:
    hour = int(getattr(settings, "SHOUWANG_LIVELIHOOD_SCREENING_HOUR", 1))
    minute = int(getattr(settings, "SHOUWANG_LIVELIHOOD_SCREENING_MINUTE", 10))
    return {"task": SCREENING_TASK, "schedule": crontab(hour=hour, minute=minute)}


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}),
                          "livelihood-screening-daily": _beat_entry()}
