"""Celery tasks of the risk app: thin wrappers over its services (decision 1100).

`risk.levels_daily` computes today's area risk levels of every disease with a rule set (a day
missed is filled in first) and, with SHOUWANG_RISK_AUTO_PUBLISH (default True), publishes them
and tells the officers of the areas that went up or down. Beat runs it every day at
SHOUWANG_RISK_LEVELS_HOUR:SHOUWANG_RISK_LEVELS_MINUTE local time (default 00:20: the day's
levels count the cases diagnosed up to the day before, so they can be computed just after
midnight). Idempotent: a repeated delivery recomputes nothing published and publishes nothing
twice. The beat entry is added when the worker or beat imports this module (autodiscovery), as
the warning and tracing apps' are.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from shouwang.config.celery import app

LEVELS_TASK = "risk.levels_daily"


@shared_task(name=LEVELS_TASK, acks_late=True)
def levels_daily(day: str | None = None, diseases: list[str] | None = None) -> dict[str, Any]:
    """The levels of `day` (ISO date; default today, local calendar)."""
    from shouwang.risk.services.compute_daily import levels_daily as run

    return run(day=date.fromisoformat(day) if day else None, diseases=diseases)


def _beat_entry() -> dict[str, Any]:
    hour = int(getattr(settings, "SHOUWANG_RISK_LEVELS_HOUR", 0))
    minute = int(getattr(settings, "SHOUWANG_RISK_LEVELS_MINUTE", 20))
    return {"task": LEVELS_TASK, "schedule": crontab(hour=hour, minute=minute)}


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), "risk-levels-daily": _beat_entry()}
