"""What level is in force where, and which rule set judges an area: the readers every part of
the risk app shares (the pages, the public map, the travel rules, certificates later).

These readers are *unscoped*: published levels are public information (the public map shows
them to anyone). Officer-only views (computed but unpublished days, override history, inputs)
go through the scoped readers in selectors.history.

In force at a moment `at`:
- the latest publication of the disease for a day up to `at`'s date gives every area's level
  (`publication_in_force`: one scheduled ahead waits for its effective time);
- an override active at `at` (effective_at ≤ at, not ended, not revoked by then) replaces its
  area's level;
- an area without a row in that publication is low (sub-county areas are stored only while
  they have cases; a county row exists every day).
A place's level (for a traveller) is the highest of the levels in force of the place itself and
every division above it: a village in a high-risk township is high.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from shouwang.core.scoping import prefix_q
from shouwang.risk.models import RANK, AreaRisk, Publication, RiskLevel, RiskOverride, RuleSet

DEFAULT_DISEASE = "covid19"


@dataclass(frozen=True)
class LevelInForce:
    division_code: str
    level: str                 # RiskLevel value
    since: date | None         # first day of the current run (override: its effective day)
    day: date | None           # the published day it comes from (None: no row, low)
    area_risk_id: int | None
    override_id: int | None    # set when an override decides it
    reason: str                # in Chinese, as published (an override's reason when overridden)


def _ancestor_codes(code: str) -> list[str]:
    """The code itself and the codes of the divisions above it (6/4/2 digits padded as stored:
    provinces 420000, prefectures 420100, counties 420111, townships 9, villages 12)."""
    out = [code]
    if len(code) == 12:
        out.append(code[:9])
    if len(code) >= 9:
        out.append(code[:6])
    county = code[:6]
    if county[4:] != "00":
        out.append(county[:4] + "00")
    if county[2:] != "0000":
        out.append(county[:2] + "0000")
    seen: list[str] = []
    for c in out:
        if c not in seen:
            seen.append(c)
    return seen


def publication_in_force(disease: str = DEFAULT_DISEASE,
                         at: datetime | None = None) -> Publication | None:
    """The publication whose levels hold at `at`: the latest of a day up to `at`'s date (in
    Asia/Shanghai). One published with an effective time set ahead of its publication (for the
    next morning) waits for that time; one published late (a missed night, a backfill) holds
    for its own day, so that looking at a past day shows that day's levels."""
    at = at or timezone.now()
    return (Publication.objects.filter(disease_id=disease, day__lte=timezone.localdate(at))
            .exclude(effective_at__gt=at, published_at__lt=F("effective_at"))
            .order_by("-day").first())


def active_overrides(disease: str = DEFAULT_DISEASE, at: datetime | None = None,
                     codes: Iterable[str] | None = None,
                     prefix: str = "") -> QuerySet[RiskOverride]:
    """Overrides in force at `at`; the latest one per area wins (see `_latest_per_area`)."""
    at = at or timezone.now()
    qs = (RiskOverride.objects.filter(disease_id=disease, effective_at__lte=at)
          .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
          .filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=at))
          .filter(prefix_q("division_code", prefix)))
    if codes is not None:
        qs = qs.filter(division_code__in=list(codes))
    return qs.order_by("division_code", "-effective_at", "-id")


def _latest_per_area(overrides: Iterable[RiskOverride]) -> dict[str, RiskOverride]:
    out: dict[str, RiskOverride] = {}
    for o in overrides:  # ordered newest first within an area
        out.setdefault(o.division_code, o)
    return out


def levels_in_force(disease: str = DEFAULT_DISEASE, at: datetime | None = None,
                    prefix: str = "", codes: Iterable[str] | None = None,
                    ) -> dict[str, LevelInForce]:
    """`{division_code: LevelInForce}` for every area with a published row or an active
    override under `prefix` (or among `codes`). Areas absent are low."""
    at = at or timezone.now()
    code_list = list(codes) if codes is not None else None
    out: dict[str, LevelInForce] = {}
    publication = publication_in_force(disease, at)
    if publication is not None:
        rows = AreaRisk.objects.filter(publication=publication).filter(
            prefix_q("division_code", prefix))
        if code_list is not None:
            rows = rows.filter(division_code__in=code_list)
        for r in rows.values_list("id", "division_code", "level", "since", "day", "reason",
                                  "override_id").iterator(5000):
            rid, code, level, since, day, reason, override_id = r
            out[code] = LevelInForce(code, level, since, day, rid, override_id, reason)
    for code, o in _latest_per_area(active_overrides(disease, at, code_list, prefix)).items():
        current = out.get(code)
        if current is not None and current.override_id == o.pk:
            continue
        out[code] = LevelInForce(code, o.level, timezone.localdate(o.effective_at),
                                 current.day if current else None,
                                 current.area_risk_id if current else None, o.pk, o.reason)
    return out


def level_of_place(code: str, disease: str = DEFAULT_DISEASE,
                   at: datetime | None = None) -> tuple[str, LevelInForce | None]:
    """The level a traveller from (or to) `code` carries: the highest in force of the place
    and the divisions above it, and the area that decided it (None: low everywhere)."""
    levels = levels_in_force(disease, at, codes=_ancestor_codes(code))
    best: LevelInForce | None = None
    for found in levels.values():
        if best is None or RANK[RiskLevel(found.level)] > RANK[RiskLevel(best.level)]:
            best = found
    if best is None or best.level == RiskLevel.LOW:
        return RiskLevel.LOW, best
    return best.level, best


def rule_sets_in_force(disease: str, day: date) -> list[RuleSet]:
    """Every rule set that may judge some area of the disease on `day`: per code, the latest
    version already effective. Which one judges an area is `rule_set_for_area`."""
    latest: dict[str, RuleSet] = {}
    for rs in (RuleSet.objects.filter(disease_id=disease, effective_from__lte=day)
               .order_by("code", "-effective_from", "-version")):
        latest.setdefault(rs.code, rs)
    return list(latest.values())


def rule_set_for_area(rule_sets: Iterable[RuleSet], division_code: str,
                      division_level: str) -> RuleSet | None:
    """Of the rule sets in force, the one for an area: it judges the area's level and its scope
    holds the area; the most specific scope wins (a province's own over the national), then the
    latest effective date."""
    best: RuleSet | None = None
    for rs in rule_sets:
        if division_level not in rs.levels or not division_code.startswith(rs.scope_prefix):
            continue
        if best is None or (len(rs.scope_prefix), rs.effective_from, rs.version) > (
                len(best.scope_prefix), best.effective_from, best.version):
            best = rs
    return best
