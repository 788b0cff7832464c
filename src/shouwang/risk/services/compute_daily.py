"""The daily job of the risk levels: compute (and, by default, publish) today's levels of every
disease that has a rule set. Celery beat (tasks.py) and `shouwang run-jobs risk-levels`
(jobs.py) both call `levels_daily`.

    levels_daily(*, day=None, diseases=None) -> dict

Days the job missed are filled in first: it computes from the day after the last computed day
of the disease (at most CATCH_UP_DAYS back) to `day`, so the levels and their step-down counts
continue without a gap. With settings.SHOUWANG_RISK_AUTO_PUBLISH (default True) every day it
computed is published and the officers of the areas that went up or down are told. Idempotent:
a second run the same day recomputes nothing published and publishes nothing twice.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from shouwang.risk.models import AreaRisk, Publication, RuleSet
from shouwang.risk.services.compute import levels_compute_range
from shouwang.risk.services.publish import auto_publish, levels_publish

CATCH_UP_DAYS = 31


def diseases_with_rules() -> list[str]:
    return sorted(set(RuleSet.objects.values_list("disease_id", flat=True)))


def levels_daily(*, day: date | None = None, diseases: list[str] | None = None
                 ) -> dict[str, Any]:
    day = day or timezone.localdate()
    publish = auto_publish()
    figures: dict[str, Any] = {"day": day.isoformat(), "publish": publish, "diseases": {}}
    for disease in diseases or diseases_with_rules():
        last = (AreaRisk.objects.filter(disease_id=disease, day__lt=day)
                .aggregate(last=Max("day"))["last"])
        start = day
        if last is not None and (day - last).days <= CATCH_UP_DAYS:
            start = last + timedelta(days=1)
        result = levels_compute_range(disease=disease, start=start, end=day)
        published = []
        if publish:
            # Publish every unpublished computed day up to `day`, oldest first (also a day
            # computed earlier by hand and not published).
            days = sorted(set(AreaRisk.objects.filter(
                disease_id=disease, day__gte=start, day__lte=day, publication__isnull=True)
                .values_list("day", flat=True)))
            for d in days:
                levels_publish(disease=disease, day=d)
                published.append(d.isoformat())
        pub = Publication.objects.filter(disease_id=disease, day=day).first()
        figures["diseases"][disease] = {
            **result.as_dict(), "published": published,
            "in_force": {"n_high": pub.n_high, "n_medium": pub.n_medium, "n_up": pub.n_up,
                         "n_down": pub.n_down} if pub else None}
    return figures
