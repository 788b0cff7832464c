"""Celery tasks of the tracing app: thin wrappers over its services (decision 1010).

- `tracing.investigations_open`: open the investigation of every active confirmed case and
  asymptomatic infection that has none (bulk, idempotent). Beat runs it every
  SHOUWANG_INVESTIGATIONS_OPEN_MINUTES minutes (default 10), so a new case has its investigation
  within minutes without the case report service knowing about tracing.
- `tracing.clusters_detect`: detect the clusters of every disease with case exposures at settings
  (or of one disease), as of a day (default today). Beat runs it every night at
  SHOUWANG_CLUSTER_DETECTION_HOUR (default 03:00 local time, after the early warning at 02:00).

Both are idempotent, so a repeated delivery changes nothing. The beat entries are added when the
worker or beat imports this module (autodiscovery), as the warning app's are.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from shouwang.config.celery import app

OPEN_TASK = "tracing.investigations_open"
DETECT_TASK = "tracing.clusters_detect"


@shared_task(name=OPEN_TASK, acks_late=True)
def investigations_open(disease: str | None = None) -> dict[str, int]:
    """Open the missing investigations (of `disease`, or of all diseases)."""
    from shouwang.tracing.services.investigations import investigations_open_bulk

    return investigations_open_bulk(disease=disease)


@shared_task(name=DETECT_TASK, acks_late=True)
def clusters_detect(disease: str | None = None, as_of: str | None = None) -> dict[str, Any]:
    """Detect clusters as of `as_of` (ISO date; default today), of `disease` or of all."""
    from shouwang.surveillance.models import Disease
    from shouwang.tracing.services.clusters import clusters_detect as detect
    from shouwang.tracing.services.clusters import clusters_detect_all

    day = date.fromisoformat(as_of) if as_of else None
    if disease:
        return detect(disease=Disease.objects.get(code=disease), as_of=day)
    return clusters_detect_all(as_of=day)


def _beat_entries() -> dict[str, Any]:
    minutes = int(getattr(settings, "SHOUWANG_INVESTIGATIONS_OPEN_MINUTES", 10))
    hour = int(getattr(settings, "SHOUWANG_CLUSTER_DETECTION_HOUR", 3))
    return {
        "tracing-investigations-open": {"task": OPEN_TASK, "schedule": minutes * 60.0},
        "tracing-clusters-detect": {"task": DETECT_TASK,
                                    "schedule": crontab(hour=hour, minute=0)},
    }


app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **_beat_entries()}
