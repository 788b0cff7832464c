"""Demo data of the risk app: the area risk levels over the demo outbreak's whole course.

Runs after tracing (order 80, tracing is 70), so the clusters it detected count. From the first
diagnosis of the outbreak's disease to today, every day's levels are computed and published
through the services (services.compute.levels_compute_range with publish; no notifications for
a history). Idempotent: published days are skipped, so a second run the same day adds nothing
(a run on a later day adds the days since). The small demo loads every county of the country,
so a year is about a million rows: the computation writes them in bulk (COPY on PostgreSQL).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Min
from django.utils import timezone

from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.risk.models import AreaRisk, Publication, RuleSet
from shouwang.surveillance.demo import DISEASE
from shouwang.surveillance.models import DailyCount, DateBasis


def _progress(ctx: DemoContext, done: int, total: int, stage: str, width: int = 30) -> None:
    filled = width * done // max(total, 1)
    ctx.out.write(f"  风险等级 {stage} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")


def first_case_day(disease: str = DISEASE) -> date | None:
    first: date | None = (DailyCount.objects
                          .filter(disease_id=disease, basis=DateBasis.DIAGNOSIS, count__gt=0)
                          .aggregate(first=Min("day"))["first"])
    return first


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """[first … end of its month], [the next month] … [… last]: the stretches computed at once."""
    out: list[tuple[date, date]] = []
    start = first
    while start <= last:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(following - timedelta(days=1), last)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def build_demo_risk(ctx: DemoContext) -> None:
    from shouwang.risk.services.compute import levels_compute_range

    if not RuleSet.objects.filter(disease_id=DISEASE).exists():
        ctx.notes.append(f"Risk levels: no rule set for {DISEASE}; nothing computed.")
        return
    first = first_case_day()
    if first is None:
        ctx.notes.append("Risk levels: no outbreak cases; nothing computed.")
        return
    today = timezone.localdate()
    # A month at a time, with a progress line after each: the same lines on a re-run (which
    # skips the published days), as every builder's output must be.
    months = _months(first, today)
    _progress(ctx, 0, len(months), "months")
    for i, (start, end) in enumerate(months, start=1):
        levels_compute_range(disease=DISEASE, start=start, end=end, publish=True, notify=False)
        _progress(ctx, i, len(months), "months")
    ctx.notes.append(summary(first, today))


def summary(first: date, last: date) -> str:
    """What the demo holds: the same on a re-run."""
    pubs = Publication.objects.filter(disease_id=DISEASE, day__gte=first, day__lte=last)
    n = pubs.count()
    rows = AreaRisk.objects.filter(disease_id=DISEASE, day__gte=first, day__lte=last).count()
    peak_high = pubs.order_by("-n_high", "day").first()
    peak_medium = pubs.order_by("-n_medium", "day").first()
    high = (f"{peak_high.n_high} high on {peak_high.day}" if peak_high and peak_high.n_high
            else "no high-risk area")
    medium = (f"{peak_medium.n_medium} medium on {peak_medium.day}"
              if peak_medium and peak_medium.n_medium else "no medium-risk area")
    return (f"Risk levels ({DISEASE}, {first} to {last}): {n} days published, {rows} area-days; "
            f"peak {high}, {medium}.")


register_demo_builder(DemoBuilder(
    name="risk.levels", order=80, build=build_demo_risk,
    description="area risk levels computed and published for every day from the outbreak's "
                "first case to today",
))

__all__ = ["build_demo_risk", "first_case_day", "summary"]
