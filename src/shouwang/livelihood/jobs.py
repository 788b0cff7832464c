"""The livelihood app's scheduled job (`shouwang run-jobs livelihood-screening --date D`, also
from Celery beat through tasks.py): this platform's surveillance screened for households at risk
(severe cases among members, migrants at high-risk destinations; decision 1220)."""

from __future__ import annotations

from datetime import date
from typing import Any

from shouwang.core.jobs import ScheduledJob, register_scheduled_job


def _screening(day: date) -> dict[str, Any]:
    from shouwang.livelihood.services.screening import screening_run

    return screening_run(day=day)


register_scheduled_job(ScheduledJob(
    name="livelihood-screening", run=_screening,
    description="signals for households with a member reported as a severe or critical case, "
                "or working at a destination of high risk (idempotent: keyed by case, member "
                "and the high-risk run)",
    default_days_back=0))


# --- overdue signals (services/overdue.py; decision 1270) --------------------------------------


def _overdue_signals(day: date) -> dict[str, Any]:
    """Signals overdue by `day`: by now for today (or a later day), by the end of a past day."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from shouwang.livelihood.services.overdue import overdue_notify

    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return overdue_notify(at=min(end, timezone.now()))


register_scheduled_job(ScheduledJob(
    name="livelihood-overdue-signals", run=_overdue_signals,
    description="tell the livelihood cadres of the village, township and county about pending "
                "signals past their time limit (once per signal: Signal.overdue_notified_at)",
    default_days_back=0))


# --- monitoring pass (services/monitoring.py; decision 1230) ------------------------------------


def _monitoring(day: date) -> dict[str, Any]:
    """The pass over every household for the last month complete on `day` (the month before
    `day`'s: run on 2026-12-01 or any day of December, it judges November)."""
    from shouwang.livelihood.selectors.monitoring import last_complete_month
    from shouwang.livelihood.services.monitoring import monitoring_run, run_summary

    return run_summary(monitoring_run(month=last_complete_month(day)))


register_scheduled_job(ScheduledJob(
    name="livelihood-monitoring", run=_monitoring,
    description="monitoring pass: every household judged at the previous month by the rule set "
                "in force, newly flagged households opened for monitoring (idempotent per month)",
    default_days_back=0))
