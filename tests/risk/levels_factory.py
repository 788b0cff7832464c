"""Published levels for the tests of the readers (pages, public map, travel rules), written
directly: those tests are about reading, and the computation has its own tests.

    publish_levels(date(2026, 3, 1), {"420106": "high", "420111": "medium"})

Every county of the sample divisions without a level given gets a low row, as the daily job
would store; sub-county codes given get their row. Returns the Publication.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from shouwang.geo.models import Division, Level
from shouwang.risk.models import AreaRisk, Publication, RuleSet

_LEVEL_OF_LENGTH = {6: Level.COUNTY, 9: Level.TOWNSHIP, 12: Level.VILLAGE}


def publish_levels(day: date, levels: dict[str, str], *, disease: str = "covid19",
                   effective_at: datetime | None = None,
                   published_at: datetime | None = None,
                   since: dict[str, date] | None = None) -> Publication:
    county_rules = RuleSet.objects.get(code="cn-county-2020", version=1)
    finer_rules = RuleSet.objects.get(code="cn-subcounty-2021", version=1)
    start = timezone.make_aware(datetime.combine(day, time()))
    publication = Publication.objects.create(
        disease_id=disease, day=day, published_at=published_at or start,
        effective_at=effective_at or start,
        n_high=sum(v == "high" for v in levels.values()),
        n_medium=sum(v == "medium" for v in levels.values()))
    codes = dict.fromkeys(Division.objects.filter(level=Level.COUNTY)
                          .values_list("code", flat=True), "low")
    codes.update(levels)
    rows: list[AreaRisk] = []
    for code, level in codes.items():
        inputs: dict[str, Any] = {"new_in_window": 0 if level == "low" else 3,
                                  "cumulative": 0 if level == "low" else 60,
                                  "counted": 0 if level == "low" else 60,
                                  "cluster_in_window": level == "high", "quiet_days": -1,
                                  "streak": 0, "window_days": 14, "threshold": 50}
        reason_code = {"low": "no_case", "medium": "no_cluster",
                       "high": "over_threshold"}[level]
        rows.append(AreaRisk(
            disease_id=disease, division_code=code, division_level=_LEVEL_OF_LENGTH[len(code)],
            day=day, computed_level=level, level=level,
            rule_set=county_rules if len(code) == 6 else finer_rules, inputs=inputs,
            reason_code=reason_code, reason=f"test {level}", previous_level="",
            since=(since or {}).get(code, day), computed_at=start, publication=publication))
    AreaRisk.objects.bulk_create(rows)
    return publication
