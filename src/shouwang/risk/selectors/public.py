"""Reads behind the public risk pages (no login; decision 1130). Unscoped on purpose: only
published levels and the names of divisions — never a case, a person or an unpublished day.

    public_moment(day)          -> datetime     # the end of `day` in Asia/Shanghai (None: now)
    public_snapshot(at, prefix) -> PublicSnapshot   # what the map and the lists show
    public_rows(at, prefix)     -> list[PublicRow]  # the downloads, one row per area
    place_search(q, at)         -> list[PlaceHit]
    latest_risky_day()          -> date | None  # the latest published day with a medium/high area
    map_names()                 -> dict[str, str]   # English names of counties and provinces
    area_public(code, at)       -> AreaPublic | None  # one area's page: level, reason, history

`english=True` names places by `Division.name_en` (pinyin); reasons follow the active language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, Max, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.geo.models import Division, Level
from shouwang.risk.models import RANK, AreaRisk, Publication, RiskLevel, RiskOverride
from shouwang.risk.reasons import reason_text
from shouwang.risk.selectors.levels import (
    DEFAULT_DISEASE,
    LevelInForce,
    level_of_place,
    levels_in_force,
    publication_in_force,
)
from shouwang.risk.selectors.levels import _ancestor_codes as ancestor_codes
from shouwang.risk.selectors.rollup import (
    RiskArea,
    division_names,
    join_path,
    level_reasons,
    risk_areas,
)

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

    def map_data(self, names: dict[str, str] | None = None) -> dict[str, object]:
        """The compact island the map script reads: `{"l": {code: "m"|"h"}, "s": {code: since},
        "x": [county codes holding a medium/high township or village]}`. Counties absent from
        "l" are low; "s" holds every county's since-when (ISO dates grouped to save bytes).
        `names` (the English page): `"n": {code: name}` replaces the map file's Chinese names."""
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
        data: dict[str, object] = {
            "l": levels, "s": {d: ",".join(sorted(c)) for d, c in sorted(since.items())},
            "x": sorted(inner)}
        if names:
            data["n"] = names
        return data


def map_names() -> dict[str, str]:
    """The English names of the provinces and counties the map draws (`name_en`; the map file
    keeps the Chinese ones): about 70 KB for the nation, only in the English page."""
    rows = (Division.objects.filter(level__in=(Level.PROVINCE, Level.COUNTY))
            .exclude(name_en="").order_by("code").values_list("code", "name_en"))
    return dict(rows.iterator(5000))


def public_snapshot(at: datetime, prefix: str = "", disease: str = DEFAULT_DISEASE, *,
                    english: bool = False) -> PublicSnapshot:
    levels = levels_in_force(disease, at, prefix=prefix)
    counties = Division.objects.filter(level=Level.COUNTY)
    if prefix:
        counties = counties.filter(code__startswith=prefix)
    county_levels = [lv.level for c, lv in levels.items() if len(c) == 6]
    return PublicSnapshot(
        at=at, publication=publication_in_force(disease, at), levels=levels,
        areas=risk_areas(levels, english=english, with_reasons=True), counties=counties.count(),
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
    name_en: str
    level: str
    since: date | None
    rule_set: str
    rule_set_version: int | None
    reason: str             # in Chinese, as published (an override's own reason)
    reason_en: str          # the rule's reason in English ("Overridden: …" for an override)
    effective_at: datetime | None


def _reason_en(lv: LevelInForce, reason_code: str, inputs: dict[str, object],
               override_reason: str) -> str:
    with translation.override("en"):
        if lv.override_id is not None:
            return translation.gettext("人工调整：%(reason)s") % {"reason": override_reason}
        return reason_text(reason_code, inputs) if reason_code else lv.reason


def public_rows(at: datetime, prefix: str = "",
                disease: str = DEFAULT_DISEASE) -> list[PublicRow]:
    """Every area with a level in force at `at` under `prefix` (every county; townships and
    villages with a stored row or an override), by code: the JSON and CSV downloads."""
    levels = levels_in_force(disease, at, prefix=prefix)
    publication = publication_in_force(disease, at)
    rules: dict[int, tuple[str, int | None, str, dict[str, object]]] = {
        pk: (code, version, reason_code, inputs)
        for pk, code, version, reason_code, inputs in AreaRisk.objects.filter(
            pk__in=[lv.area_risk_id for lv in levels.values() if lv.area_risk_id])
        .values_list("pk", "rule_set__code", "rule_set__version", "reason_code", "inputs")
        .iterator(5000)}
    overrides = {pk: (moment, reason) for pk, moment, reason in RiskOverride.objects.filter(
        pk__in={lv.override_id for lv in levels.values() if lv.override_id})
        .values_list("pk", "effective_at", "reason")}
    names = {code: (name, name_en) for code, name, name_en in Division.objects.filter(
        code__in=list(levels)).values_list("code", "name", "name_en").iterator(5000)}
    rows = []
    for code in sorted(levels):
        lv = levels[code]
        rule = rules.get(lv.area_risk_id or 0, ("", None, "", {}))
        effective = publication.effective_at if publication else None
        moment, override_reason = overrides.get(lv.override_id or 0, (None, lv.reason))
        if moment is not None and (effective is None or moment > effective):
            effective = moment
        name, name_en = names.get(code, ("", ""))
        rows.append(PublicRow(code, name, name_en, lv.level, lv.since, rule[0], rule[1],
                              lv.reason, _reason_en(lv, rule[2], rule[3], override_reason),
                              effective))
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


def place_search(q: str, at: datetime, disease: str = DEFAULT_DISEASE, *,
                 english: bool = False) -> list[PlaceHit]:
    """Divisions whose name (or English name, any case) contains `q` (exact names first, then
    higher levels), at most SEARCH_LIMIT, each with its level in force and the level a
    traveller from it carries (as selectors.levels.level_of_place: the highest of the place and
    the divisions above it), in one read of the levels for every hit and its ancestors."""
    q = q.strip()
    if not q:
        return []
    order = {lv: i for i, lv in enumerate(Level.values)}
    low = q.lower()
    found = list(Division.objects.filter(Q(name__contains=q) | Q(name_en__icontains=q))
                 .exclude(level=Level.NATION).values_list("code", "name", "level", "name_en")[:200])
    found.sort(key=lambda r: (r[1] != q and r[3].lower() != low,
                              not (r[1].startswith(q) or r[3].lower().startswith(low)),
                              order[r[2]], r[0]))
    lineage = {code: ancestor_codes(code) for code, _, _, _ in found[:SEARCH_LIMIT]}
    related = {c for codes in lineage.values() for c in codes}
    names = division_names(related, english)
    levels = levels_in_force(disease, at, codes=related)
    labels = dict(Level.choices)
    hits = []
    for code, _name, level, _name_en in found[:SEARCH_LIMIT]:
        own = levels.get(code)
        deciding = max((levels[c] for c in lineage[code] if c in levels),
                       key=lambda lv: RANK[RiskLevel(lv.level)], default=None)
        carried = deciding.level if deciding is not None else RiskLevel.LOW
        above = [names.get(c, "") for c in reversed(lineage[code]) if c != code]
        hits.append(PlaceHit(
            code=code, name=names.get(code, _name), level_label=str(labels[level]),
            place=join_path(above, english),
            own_level=own.level if own else RiskLevel.LOW, carried_level=carried,
            carried_by=names.get(deciding.division_code, "")
            if deciding is not None and carried != RiskLevel.LOW else "",
            since=own.since if own else None))
    return hits


HISTORY_DAYS = 90


@dataclass(frozen=True)
class LevelChange:
    day: date
    before: str             # "" for the first published day in the window
    after: str
    reason: str             # why it changed, in the reader's language


@dataclass(frozen=True)
class AreaPublic:
    """One area's public page: only published levels and division names."""

    code: str
    name: str
    place: str              # the path above it
    division_level: str     # 县级 …
    level: str              # in force at `at` (low without a row)
    since: date | None
    reason: str             # the rule that produced it, reader's language ("" without a row)
    rule_set: str
    rule_set_version: int | None
    overridden: bool
    carried_level: str      # what a traveller from there carries
    carried_by: str         # the area that decides it, when above this one
    start: date             # the history window, first and last day
    end: date
    series: list[tuple[date, str]]   # one (day, level) per published day in the window
    changes: list[LevelChange]


def _published_days(disease: str, at: datetime, start: date) -> dict[int, date]:
    """`{publication id: day}` of the publications of days start..at's day that were in force
    by `at` (one scheduled ahead of `at` is left out, as in publication_in_force)."""
    return dict(Publication.objects.filter(
        disease_id=disease, day__gte=start, day__lte=timezone.localdate(at))
        .exclude(effective_at__gt=at, published_at__lt=F("effective_at"))
        .values_list("pk", "day"))


def area_public(code: str, at: datetime, disease: str = DEFAULT_DISEASE, *,
                english: bool = False) -> AreaPublic | None:
    """The public page of one division (None: no such division, or the nation): its level in
    force at `at` with the reason and rule set, the level a traveller from it carries, and its
    published levels over the last HISTORY_DAYS days with every change and its reason."""
    division = (Division.objects.filter(code=code).exclude(level=Level.NATION)
                .values_list("code", "level").first())
    if division is None:
        return None
    lineage = ancestor_codes(code)
    names = division_names(set(lineage), english)
    lv = levels_in_force(disease, at, codes=[code]).get(code)
    reason, rule_set, version = (level_reasons([lv])[code] if lv is not None
                                 else ("", "", None))
    carried, deciding = level_of_place(code, disease, at)
    end = timezone.localdate(at)
    start = end - timedelta(days=HISTORY_DAYS - 1)
    days = _published_days(disease, at, start)
    rows = {day: (level, reason_code, inputs, override_reason)
            for day, level, reason_code, inputs, override_reason in AreaRisk.objects.filter(
                disease_id=disease, division_code=code, publication_id__in=list(days))
            .values_list("day", "level", "reason_code", "inputs", "override__reason")}
    series: list[tuple[date, str]] = []
    changes: list[LevelChange] = []
    for day in sorted(days.values()):
        level, reason_code, inputs, override_reason = rows.get(
            day, (RiskLevel.LOW.value, "", {}, None))
        before = series[-1][1] if series else ""
        if level != before:
            if override_reason is not None:
                why = _("人工调整：%(reason)s") % {"reason": override_reason}
            elif reason_code:
                why = reason_text(reason_code, inputs)
            else:
                why = _("无发布的等级记录（按低风险）")
            changes.append(LevelChange(day, before, level, why))
        series.append((day, level))
    labels = dict(Level.choices)
    return AreaPublic(
        code=code, name=names.get(code, code),
        place=join_path([names.get(c, "") for c in reversed(lineage) if c != code], english),
        division_level=str(labels[division[1]]),
        level=lv.level if lv is not None else RiskLevel.LOW.value,
        since=lv.since if lv is not None else None, reason=reason, rule_set=rule_set,
        rule_set_version=version, overridden=lv is not None and lv.override_id is not None,
        carried_level=carried,
        carried_by=names.get(deciding.division_code, "")
        if deciding is not None and carried != RiskLevel.LOW and deciding.division_code != code
        else "",
        start=start, end=end, series=series, changes=changes)
