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
