"""Reads behind the public risk pages (no login; decision 1130). Unscoped on purpose: only
published levels and the names of divisions — never a case, a person or an unpublished day.

    public_moment(day)          -> datetime     # the end of `day` in Asia/Shanghai (None: now)
    public_snapshot(at, prefix) -> PublicSnapshot   # what the map and the lists show
    public_rows(at, prefix)     -> list[PublicRow]  # the downloads, one row per area
    place_search(q, at)         -> list[PlaceHit]
    latest_risky_day()          -> date | None  # the latest published day with a medium/high area
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Max, Min, Q
from django.utils import timezone

from shouwang.geo.models import Division, Level
from shouwang.risk.models import RANK, AreaRisk, Publication, RiskLevel, RiskOverride
from shouwang.risk.selectors.levels import (
    DEFAULT_DISEASE,
    LevelInForce,
    levels_in_force,
    publication_in_force,
)
from shouwang.risk.selectors.levels import _ancestor_codes as ancestor_codes
from shouwang.risk.selectors.rollup import RiskArea, risk_areas

SEARCH_LIMIT = 20
LEVEL_LETTER = {RiskLevel.LOW: "l", RiskLevel.MEDIUM: "m", RiskLevel.HIGH: "h"}


def public_moment(day: date | None) -> datetime:
    """The levels "of a day" are those in force at its end (Asia/Shanghai): the last instant
    before the next day starts. None: now."""
    if day is None:
        return timezone.now()
    start_next = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))
    return start_next - timedelta(microseconds=1)


@dataclass(frozen=True)
class PublicSnapshot:
    at: datetime
    publication: Publication | None
    levels: dict[str, LevelInForce]
    areas: list[RiskArea]           # medium and high, high first
    counties: int                   # county-level divisions under the prefix
    counties_medium: int
    counties_high: int

    @property
    def counties_low(self) -> int:
        return self.counties - self.counties_medium - self.counties_high

    @property
    def high(self) -> list[RiskArea]:
        return [a for a in self.areas if a.level == RiskLevel.HIGH]

    @property
    def medium(self) -> list[RiskArea]:
        return [a for a in self.areas if a.level == RiskLevel.MEDIUM]

    def map_data(self) -> dict[str, object]:
        """The compact island the map script reads: `{"l": {code: "m"|"h"}, "s": {code: since},
        "x": [county codes holding a medium/high township or village]}`. Counties absent from
        "l" are low; "s" holds every county's since-when (ISO dates grouped to save bytes)."""
        levels: dict[str, str] = {}
        since: dict[str, list[str]] = {}
        inner: set[str] = set()
        for code, lv in self.levels.items():
            if len(code) == 6:
                if lv.level != RiskLevel.LOW:
                    levels[code] = LEVEL_LETTER[RiskLevel(lv.level)]
                if lv.since is not None:
                    since.setdefault(lv.since.isoformat(), []).append(code)
            elif lv.level != RiskLevel.LOW:
                inner.add(code[:6])
        return {"l": levels, "s": {d: ",".join(sorted(c)) for d, c in sorted(since.items())},
                "x": sorted(inner)}


def public_snapshot(at: datetime, prefix: str = "",
                    disease: str = DEFAULT_DISEASE) -> PublicSnapshot:
    levels = levels_in_force(disease, at, prefix=prefix)
    counties = Division.objects.filter(level=Level.COUNTY)
    if prefix:
        counties = counties.filter(code__startswith=prefix)
    county_levels = [lv.level for c, lv in levels.items() if len(c) == 6]
    return PublicSnapshot(
        at=at, publication=publication_in_force(disease, at), levels=levels,
        areas=risk_areas(levels), counties=counties.count(),
        counties_medium=county_levels.count(RiskLevel.MEDIUM),
        counties_high=county_levels.count(RiskLevel.HIGH))


def published_range(disease: str = DEFAULT_DISEASE) -> tuple[date | None, date | None]:
    """The first and the last published day."""
    agg = Publication.objects.filter(disease_id=disease).aggregate(lo=Min("day"), hi=Max("day"))
    return agg["lo"], agg["hi"]


def latest_risky_day(disease: str = DEFAULT_DISEASE) -> date | None:
    """The latest published day with at least one medium- or high-risk area (a hint for
    readers when today is all low)."""
    found = (Publication.objects.filter(disease_id=disease)
             .filter(Q(n_high__gt=0) | Q(n_medium__gt=0)).order_by("-day")
             .values_list("day", flat=True).first())
    return found


@dataclass(frozen=True)
class PublicRow:
    code: str
    name: str
    level: str
    since: date | None
    rule_set: str
    rule_set_version: int | None
    reason: str             # in Chinese, as published (an override's own reason)
    effective_at: datetime | None


def public_rows(at: datetime, prefix: str = "",
                disease: str = DEFAULT_DISEASE) -> list[PublicRow]:
    """Every area with a level in force at `at` under `prefix` (every county; townships and
    villages with a stored row or an override), by code: the JSON and CSV downloads."""
    levels = levels_in_force(disease, at, prefix=prefix)
    publication = publication_in_force(disease, at)
    rules = {
        pk: (code, version) for pk, code, version in AreaRisk.objects.filter(
            pk__in=[lv.area_risk_id for lv in levels.values() if lv.area_risk_id])
        .values_list("pk", "rule_set__code", "rule_set__version").iterator(5000)}
    overrides = dict(RiskOverride.objects.filter(
        pk__in={lv.override_id for lv in levels.values() if lv.override_id})
        .values_list("pk", "effective_at"))
    names = dict(Division.objects.filter(code__in=list(levels)).values_list("code", "name")
                 .iterator(5000))
    rows = []
    for code in sorted(levels):
        lv = levels[code]
        rule = rules.get(lv.area_risk_id or 0, ("", None))
        effective = publication.effective_at if publication else None
        moment = overrides.get(lv.override_id or 0)
        if moment is not None and (effective is None or moment > effective):
            effective = moment
        rows.append(PublicRow(code, names.get(code, ""), lv.level, lv.since, rule[0], rule[1],
                              lv.reason, effective))
    return rows


@dataclass(frozen=True)
class PlaceHit:
    code: str
    name: str
    level_label: str        # the division's level (省级, 县级 …)
    place: str              # the path above it: 湖北省 武汉市
    own_level: str          # the level in force of the division itself (low when no row)
    carried_level: str      # what a traveller from there carries (the highest above it)
    carried_by: str         # the name of the area that decides it ("" when low)
    since: date | None


def place_search(q: str, at: datetime, disease: str = DEFAULT_DISEASE) -> list[PlaceHit]:
    """Divisions whose name contains `q` (exact names first, then higher levels), at most
    SEARCH_LIMIT, each with its level in force and the level a traveller from it carries (as
    selectors.levels.level_of_place: the highest of the place and the divisions above it), in
    one read of the levels for every hit and its ancestors."""
    q = q.strip()
    if not q:
        return []
    order = {lv: i for i, lv in enumerate(Level.values)}
    found = list(Division.objects.filter(name__contains=q).exclude(level=Level.NATION)
                 .values_list("code", "name", "level")[:200])
    found.sort(key=lambda r: (r[1] != q, not r[1].startswith(q), order[r[2]], r[0]))
    found = found[:SEARCH_LIMIT]
    lineage = {code: ancestor_codes(code) for code, _, _ in found}
    related = {c for codes in lineage.values() for c in codes}
    names = dict(Division.objects.filter(code__in=related).values_list("code", "name"))
    levels = levels_in_force(disease, at, codes=related)
    labels = dict(Level.choices)
    hits = []
    for code, name, level in found:
        own = levels.get(code)
        deciding = max((levels[c] for c in lineage[code] if c in levels),
                       key=lambda lv: RANK[RiskLevel(lv.level)], default=None)
        carried = deciding.level if deciding is not None else RiskLevel.LOW
        above = [names.get(c, "") for c in reversed(lineage[code]) if c != code]
        hits.append(PlaceHit(
            code=code, name=name, level_label=str(labels[level]),
            place=" ".join(a for a in above if a),
            own_level=own.level if own else RiskLevel.LOW, carried_level=carried,
            carried_by=names.get(deciding.division_code, "")
            if deciding is not None and carried != RiskLevel.LOW else "",
            since=own.since if own else None))
    return hits
