"""/api/v1/risk: the levels in force in the caller's jurisdiction, one area's daily history, and
the province rollup (decision 1110). Officers only (risk.read); an area outside the caller's
jurisdiction answers 404.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import datetime as dt
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.risk.models import RiskLevel
from shouwang.risk.selectors import history
from shouwang.risk.selectors.levels import DEFAULT_DISEASE, levels_in_force
from shouwang.risk.selectors.rollup import risk_areas

router = Router(tags=["risk: levels"])

READ = "risk.read"


class LevelsIn(Schema):
    date: dt.date | None = Field(None, description="the day (default today): what was in force "
                                                "at its end, or now for today")
    level: str | None = Field(None, description=", ".join(RiskLevel.values))
    disease: str = DEFAULT_DISEASE


class AreaLevelOut(Schema):
    code: str
    name: str
    place: str
    level: str
    level_label: str
    since: dt.date | None
    day: dt.date | None = Field(None, description="the published day the level comes from")
    overridden: bool
    override_id: int | None
    reason: str


class LevelsOut(Schema):
    date: dt.date
    counts: dict[str, int]
    items: list[AreaLevelOut]


class HistoryIn(Schema):
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None
    disease: str = DEFAULT_DISEASE


class HistoryDayOut(Schema):
    day: dt.date
    level: str
    computed_level: str
    published: bool
    rule_set: str
    rule_set_version: int
    rule_set_name: str
    inputs: dict[str, Any]
    reason_code: str
    reason: str
    override_id: int | None
    previous_level: str
    since: dt.date


class OverrideBriefOut(Schema):
    id: int
    level: str
    reason: str
    effective_at: Any
    ends_at: Any
    revoked_at: Any
    state: str


class HistoryOut(Schema):
    code: str
    name: str
    level_in_force: str
    days: list[HistoryDayOut]
    overrides: list[OverrideBriefOut]


class RollupAreaOut(Schema):
    code: str
    name: str
    place: str
    level: str
    since: dt.date | None
    overridden: bool
    reason: str


class RollupOut(Schema):
    code: str
    name: str
    counties: int
    counties_medium: int
    counties_high: int
    all_low: bool
    high: list[RollupAreaOut]
    medium: list[RollupAreaOut]


def _levels_out(levels: dict[str, Any], wanted: str) -> list[dict[str, Any]]:
    chosen = [lv for lv in levels.values() if not wanted or lv.level == wanted]
    reasons = history.localised_reasons(chosen)
    by_code = {a.code: a for a in risk_areas({lv.division_code: lv for lv in chosen
                                               if lv.level != RiskLevel.LOW})}
    from shouwang.geo.selectors import division_names

    names = division_names([lv.division_code for lv in chosen if lv.division_code not in by_code])
    out = []
    for lv in sorted(chosen, key=lambda x: (-["low", "medium", "high"].index(x.level),
                                            x.division_code)):
        area = by_code.get(lv.division_code)
        out.append({
            "code": lv.division_code,
            "name": area.name if area else names.get(lv.division_code, lv.division_code),
            "place": area.place if area else "", "level": lv.level,
            "level_label": str(RiskLevel(lv.level).label), "since": lv.since, "day": lv.day,
            "overridden": lv.override_id is not None, "override_id": lv.override_id,
            "reason": reasons.get(lv.division_code, lv.reason)})
    return out


@router.get("/levels", response=LevelsOut, url_name="risk_levels",
            summary="The levels in force in the caller's jurisdiction on a day (default today), "
                    "with since-when and the reason; areas absent are low")
def levels(request: AuthedRequest, filters: Query[LevelsIn]) -> Any:
    check_capability(request, READ)
    day = filters.date or timezone.localdate()
    if day > timezone.localdate() + timedelta(days=1):
        raise InvalidInput({"date": [_("日期不能晚于明天。")]})
    if filters.level and filters.level not in RiskLevel.values:
        raise InvalidInput({"level": [_("风险等级应为低、中、高风险之一。")]})
    found = history.levels_in_jurisdiction(user=request.user, at=history.moment_of(day),
                                           disease=filters.disease)
    counts = {v: 0 for v in RiskLevel.values}
    for lv in found.values():
        counts[lv.level] += 1
    return {"date": day, "counts": counts, "items": _levels_out(found, filters.level or "")}


@router.get("/areas/{code}/history", response=HistoryOut, url_name="risk_area_history",
            summary="One area's stored days (published or computed), oldest first, with rule "
                    "set and version, inputs and reason; and its overrides")
def area_history(request: AuthedRequest, code: str, filters: Query[HistoryIn]) -> Any:
    check_capability(request, READ)
    division = history.area_get(user=request.user, code=code)
    end = filters.to or timezone.localdate()
    start = filters.from_ or end - timedelta(days=history.HISTORY_DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput({"from": [_("开始日期不能晚于结束日期。")]})
    if (end - start).days >= history.HISTORY_MAX_DAYS:
        raise InvalidInput({"from": [_("一次最多查询 %(n)s 天。") % {
            "n": history.HISTORY_MAX_DAYS}]})
    days = history.area_history(user=request.user, code=code, start=start, end=end,
                                disease=filters.disease)
    in_force = levels_in_force(filters.disease, codes=[code])
    overrides = history.override_list(user=request.user, code=code, disease=filters.disease)
    return {
        "code": division.code, "name": division.name,
        "level_in_force": in_force[code].level if code in in_force else RiskLevel.LOW,
        "days": [{**d.__dict__, "rule_set": d.rule_set_code} for d in days],
        "overrides": [{"id": o.pk, "level": o.level, "reason": o.reason,
                       "effective_at": o.effective_at, "ends_at": o.ends_at,
                       "revoked_at": o.revoked_at, "state": history.override_state(o)}
                      for o in overrides],
    }


@router.get("/rollup", response=list[RollupOut], url_name="risk_rollup",
            summary="Per province: are all county-level areas low; its medium and high areas "
                    "(every province for a national officer, the caller's own otherwise)")
def rollup(request: AuthedRequest, disease: str = DEFAULT_DISEASE) -> Any:
    check_capability(request, READ)
    out = []
    for p in history.rollup_for(user=request.user, disease=disease):
        out.append({
            "code": p.code, "name": p.name, "counties": p.counties,
            "counties_medium": p.counties_medium, "counties_high": p.counties_high,
            "all_low": p.all_low,
            "high": [a.__dict__ for a in p.high], "medium": [a.__dict__ for a in p.medium]})
    return out
