"""The risk app's scheduled job (`shouwang run-jobs risk-levels --date D`, also from Celery beat
through tasks.py): the day's area risk levels, computed and (by default) published."""

from __future__ import annotations

from datetime import date
from typing import Any

from shouwang.core.jobs import ScheduledJob, register_scheduled_job


def _risk_levels(day: date) -> dict[str, Any]:
    from shouwang.risk.services.compute_daily import levels_daily

    return levels_daily(day=day)


register_scheduled_job(ScheduledJob(
    name="risk-levels", run=_risk_levels,
    description="area risk levels of every division for the day (counties, and townships and "
                "villages with cases), published with SHOUWANG_RISK_AUTO_PUBLISH; tells the "
                "officers of the areas that went up or down",
    # The levels in force today, from the cases up to yesterday: without --date, today.
    default_days_back=0))
