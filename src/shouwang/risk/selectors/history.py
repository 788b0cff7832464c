"""The officers' readers of the risk levels, scoped to the reader's jurisdiction (404 outside):
one area's daily history (published and computed days, with rule set and version, inputs and
reason), its overrides, the changes of a day, and the levels in force in the jurisdiction.

Published levels are public (selectors.levels reads them unscoped); what is here goes further —
computed days not yet published, the inputs, who overrode what and why — so every reader takes
the `user` and answers Http404 for an area outside it. Decision 1110.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.scoping import jurisdiction_prefix, prefix_q, scoped
from shouwang.geo.models import Division, Level
from shouwang.risk.models import RANK, AreaRisk, RiskLevel, RiskOverride
from shouwang.risk.reasons import area_reason
from shouwang.risk.selectors.levels import DEFAULT_DISEASE, LevelInForce, levels_in_force
from shouwang.risk.selectors.rollup import ProvinceRollup, province_rollup

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

    Reader = User | AnonymousUser

# The longest history one request reads (a year and a bit: the step chart and its table).
HISTORY_MAX_DAYS = 400
HISTORY_DEFAULT_DAYS = 90


@dataclass(frozen=True)
class HistoryDay:
    day: date
    level: str
    computed_level: str
    published: bool
    rule_set_code: str
    rule_set_version: int
    rule_set_name: str
    inputs: dict[str, Any]
    reason_code: str
    reason: str                 # in the reader's language
    override_id: int | None
    previous_level: str
    since: date


@dataclass(frozen=True)
class LevelChange:
    code: str
    name: str
    division_level: str
    day: date
    before: str
    after: str
    reason: str                 # in the reader's language

    @property
    def direction(self) -> str:
        return "up" if RANK[RiskLevel(self.after)] > RANK[RiskLevel(self.before)] else "down"


def reader_prefix(user: Reader | None) -> str:
    """The reader's prefix; Http404 for a reader bound to no division (sees nothing)."""
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        raise Http404
    return prefix


def area_get(*, user: Reader, code: str) -> Division:
    """The division `code` if it lies in the reader's jurisdiction, else Http404."""
    prefix = reader_prefix(user)
    if not code.isdigit() or not code.startswith(prefix):
        raise Http404
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise Http404
    return division


def moment_of(day: date) -> datetime:
    """The moment whose levels in force a reader asking about `day` means: now for today (or
    later), else the last moment of that day (Asia/Shanghai)."""
    if day >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time())) - timedelta(
        microseconds=1)


def area_history(*, user: Reader, code: str, start: date, end: date,
                 disease: str = DEFAULT_DISEASE) -> list[HistoryDay]:
    """Every stored day of the area between `start` and `end` (inclusive), oldest first,
    published or not. Days without a row (a township without cases) are low and absent."""
    area_get(user=user, code=code)
    rows = (scoped(AreaRisk.objects.all(), user)
            .filter(disease_id=disease, division_code=code, day__gte=start, day__lte=end)
            .select_related("rule_set", "override").order_by("day"))
    return [HistoryDay(
        day=r.day, level=r.level, computed_level=r.computed_level,
        published=r.publication_id is not None, rule_set_code=r.rule_set.code,
        rule_set_version=r.rule_set.version, rule_set_name=r.rule_set.name,
        inputs=dict(r.inputs or {}), reason_code=r.reason_code, reason=area_reason(r),
        override_id=r.override_id, previous_level=r.previous_level, since=r.since)
        for r in rows]


def override_list(*, user: Reader, disease: str = DEFAULT_DISEASE, code: str = "",
                  active_at: datetime | None = None) -> QuerySet[RiskOverride]:
    """Overrides in the reader's jurisdiction, newest first; only those of `code` (Http404
    outside) and only those active at `active_at` when given."""
    qs = scoped(RiskOverride.objects.all(), user).filter(disease_id=disease)
    if code:
        area_get(user=user, code=code)
        qs = qs.filter(division_code=code)
    if active_at is not None:
        qs = (qs.filter(effective_at__lte=active_at)
              .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=active_at))
              .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=active_at)))
    return qs.select_related("created_by", "revoked_by").order_by("-effective_at", "-id")


def override_get(*, user: Reader, override_id: int) -> RiskOverride:
    found = (scoped(RiskOverride.objects.all(), user).select_related("created_by", "revoked_by")
             .filter(pk=override_id).first())
    if found is None:
        raise Http404
    return found


def override_state(override: RiskOverride, at: datetime | None = None) -> str:
    """"revoked", "ended", "pending" (not yet effective) or "active" at `at` (default now)."""
    at = at or timezone.now()
    if override.revoked_at is not None and override.revoked_at <= at:
        return "revoked"
    if override.ends_at is not None and override.ends_at <= at:
        return "ended"
    if override.effective_at > at:
        return "pending"
    return "active"


def levels_in_jurisdiction(*, user: Reader, at: datetime | None = None,
                           disease: str = DEFAULT_DISEASE) -> dict[str, LevelInForce]:
    """The levels in force at `at` in the reader's jurisdiction (areas absent are low)."""
    return levels_in_force(disease, at, prefix=reader_prefix(user))


def localised_reasons(levels: list[LevelInForce]) -> dict[str, str]:
    """`{code: reason}` in the reader's language for the given levels in force (the stored
    text is Chinese): one query for their rows and overrides."""
    row_ids = [lv.area_risk_id for lv in levels if lv.area_risk_id is not None]
    rows = {r.pk: r for r in AreaRisk.objects.filter(pk__in=row_ids).select_related("override")}
    override_ids = [lv.override_id for lv in levels if lv.override_id is not None]
    overrides = {o.pk: o for o in RiskOverride.objects.filter(pk__in=override_ids)}
    out: dict[str, str] = {}
    for lv in levels:
        if lv.override_id is not None and lv.override_id in overrides:
            out[lv.division_code] = _("人工调整：%(reason)s") % {
                "reason": overrides[lv.override_id].reason}
        elif lv.area_risk_id in rows:
            out[lv.division_code] = area_reason(rows[lv.area_risk_id])
        else:
            out[lv.division_code] = lv.reason
    return out


def _level_of_length(code: str) -> str:
    return {6: Level.COUNTY, 9: Level.TOWNSHIP, 12: Level.VILLAGE}.get(len(code), "")


def level_changes(*, user: Reader, day: date,
                  disease: str = DEFAULT_DISEASE) -> list[LevelChange]:
    """The areas of the reader's jurisdiction whose stored level on `day` differs from the day
    before (up first, then down, by code). A sub-county area whose row of the day before was
    medium or high and that has no row on `day` stepped down to low (rows are stored only while
    an area is not trivially low) — counted only when `day` itself was computed."""
    prefix = reader_prefix(user)
    base = AreaRisk.objects.filter(disease_id=disease).filter(prefix_q("division_code", prefix))
    today = {r.division_code: r for r in base.filter(day=day).select_related("override")}
    if not today:
        return []
    before = dict(base.filter(day=day - timedelta(days=1))
                  .values_list("division_code", "level"))
    # An area without a row the day before (that day not computed): its stored previous level,
    # else its latest row before `day`; none at all — it was low.
    unknown = [c for c, r in today.items() if c not in before and not r.previous_level]
    earlier: dict[str, str] = {}
    for code, level in (base.filter(division_code__in=unknown, day__lt=day)
                        .order_by("division_code", "-day")
                        .values_list("division_code", "level")):
        earlier.setdefault(code, level)
    changes: list[LevelChange] = []
    for code, row in today.items():
        prev = (before.get(code) or row.previous_level or earlier.get(code)
                or RiskLevel.LOW)
        if prev != row.level:
            changes.append(LevelChange(code, "", row.division_level, day, prev, row.level,
                                       area_reason(row)))
    for code, prev in before.items():
        if code not in today and prev != RiskLevel.LOW:
            changes.append(LevelChange(code, "", _level_of_length(code), day, prev,
                                       RiskLevel.LOW, _("无新增病例，不再列为风险地区")))
    names = dict(Division.objects.filter(code__in=[c.code for c in changes])
                 .values_list("code", "name"))
    named = [LevelChange(c.code, names.get(c.code, c.code), c.division_level, c.day, c.before,
                         c.after, c.reason) for c in changes]
    named.sort(key=lambda c: (c.direction != "up", c.code))
    return named


def rollup_for(*, user: Reader, at: datetime | None = None,
               disease: str = DEFAULT_DISEASE) -> list[ProvinceRollup]:
    """The province rollup for the reader: every province for a national officer, the reader's
    own province otherwise (published levels are public; the province is the unit of the
    rollup), with the reasons in the reader's language."""
    prefix = reader_prefix(user)[:2]
    rollups = province_rollup(disease, at, prefix=prefix)
    risky = [lv for lv in levels_in_force(disease, at, prefix=prefix).values()
             if lv.level != RiskLevel.LOW]
    reasons = localised_reasons(risky)
    for entry in rollups:
        entry.high = [replace(a, reason=reasons.get(a.code, a.reason)) for a in entry.high]
        entry.medium = [replace(a, reason=reasons.get(a.code, a.reason)) for a in entry.medium]
    return rollups
