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


# --- overdue signals (services/overdue.py; decision 1270): every day at
# SHOUWANG_LIVELIHOOD_OVERDUE_HOUR:SHOUWANG_LIVELIHOOD_OVERDUE_MINUTE (default 08:00 local, at
# the start of the working day). Idempotent: a signal is told once.

OVERDUE_TASK = "livelihood.overdue_signals_daily"


@shared_task(name=OVERDUE_TASK, acks_late=True)
def overdue_signals_daily() -> dict[str, Any]:
    """Tell the cadres about the signals overdue by now."""
    from shouwang.livelihood.services.overdue import overdue_notify

    return overdue_notify()


def _overdue_beat_entry() -> dict[str, Any]:
    hour = int(getattr(settings, "SHOUWANG_LIVELIHOOD_OVERDUE_HOUR", 8))
    minute = int(getattr(settings, "SHOUWANG_LIVELIHOOD_OVERDUE_MINUTE", 0))
    return {"task": OVERDUE_TASK, "schedule": crontab(hour=hour, minute=minute)}


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}),
                          "livelihood-overdue-signals-daily": _overdue_beat_entry()}


# --- monitoring pass (services/monitoring.py; decision 1230): monthly, on day
# SHOUWANG_LIVELIHOOD_MONITORING_DAY (default 2, after the month's income is in) at
# SHOUWANG_LIVELIHOOD_MONITORING_HOUR:SHOUWANG_LIVELIHOOD_MONITORING_MINUTE (default 02:30 local),
# judging the previous month. Idempotent: a month run again opens nothing new.

MONITORING_TASK = "livelihood.monitoring_monthly"


@shared_task(name=MONITORING_TASK, acks_late=True)
def monitoring_monthly(month: str | None = None) -> dict[str, Any]:
    """The pass for `month` (YYYY-MM; default the previous month, local calendar)."""
    from shouwang.livelihood.selectors.monitoring import last_complete_month
    from shouwang.livelihood.services.monitoring import monitoring_run, run_summary

    when = date.fromisoformat(f"{month}-01") if month else last_complete_month()
    return run_summary(monitoring_run(month=when))


def _monitoring_beat_entry() -> dict[str, Any]:
    day = int(getattr(settings, "SHOUWANG_LIVELIHOOD_MONITORING_DAY", 2))
    hour = int(getattr(settings, "SHOUWANG_LIVELIHOOD_MONITORING_HOUR", 2))
    minute = int(getattr(settings, "SHOUWANG_LIVELIHOOD_MONITORING_MINUTE", 30))
    return {"task": MONITORING_TASK,
            "schedule": crontab(day_of_month=day, hour=hour, minute=minute)}


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}),
                          "livelihood-monitoring-monthly": _monitoring_beat_entry()}
