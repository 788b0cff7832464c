"""The early-warning app's scheduled jobs (`shouwang run-jobs early-warning --date D`, also from
Celery beat): the nightly computation, and the escalation of alerts nobody verified in time."""

from __future__ import annotations

from datetime import date
from typing import Any

from shouwang.core.jobs import ScheduledJob, register_scheduled_job


def _early_warning(day: date) -> dict[str, Any]:
    from shouwang.warning.services.nightly import run_early_warning

    return run_early_warning(day=day)


def _escalation(day: date) -> dict[str, Any]:
    from shouwang.warning.services.alerts import alerts_escalate

    return alerts_escalate()


register_scheduled_job(ScheduledJob(
    name="early-warning", run=_early_warning,
    description="Rt, aberration detection, space-time scan, nowcast and forecast for every "
                "division and disease; raises alerts"))
register_scheduled_job(ScheduledJob(
    name="alert-escalation", run=_escalation,
    description="escalate alerts not verified within the configured time"))
