"""Province rollup of the levels in force: which provinces have every county-level area low,
and the medium- and high-risk areas of each (unscoped: published levels are public).

Names are Chinese unless a reader asks for English (`english=True`: the divisions' `name_en`,
pinyin, the path smallest first: "Wuchang Qu, Wuhan Shi, Hubei Sheng"). `with_reasons=True`
adds each area's reason in the active language and its rule set (one more query for the rows,
one for the overrides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.geo.models import Division, Level
from shouwang.risk.models import AreaRisk, RiskLevel, RiskOverride
from shouwang.risk.reasons import reason_text
from shouwang.risk.selectors.levels import DEFAULT_DISEASE, LevelInForce, levels_in_force


@dataclass(frozen=True)
class RiskArea:
    """A medium- or high-risk area, named for a reader who has never heard of it."""

    code: str
    name: str         # the area's own name
    place: str        # the full path below the nation: 湖北省 武汉市 武昌区 …
    level: str
    since: date | None
    overridden: bool
    reason: str       # in Chinese, as published (an override's own reason)
    above: str = ""   # the path above the area (its place without its own name)
    reason_text: str = ""          # with_reasons: the rule that produced it, reader's language
    rule_set: str = ""             # with_reasons: the rule set's code ("" for an override alone)
    rule_set_version: int | None = None


@dataclass
class ProvinceRollup:
    code: str
    name: str
    counties: int = 0
    counties_medium: int = 0
    counties_high: int = 0
    high: list[RiskArea] = field(default_factory=list)
    medium: list[RiskArea] = field(default_factory=list)

    @property
    def all_low(self) -> bool:
        return not self.high and not self.medium


def english_active() -> bool:
    """Whether the reader reads English (the active language)."""
    return (translation.get_language() or "").lower().startswith("en")


def division_names(codes: set[str] | list[str], english: bool = False) -> dict[str, str]:
    """`{code: name}`; English: `name_en`, the Chinese name when it has none."""
    rows = Division.objects.filter(code__in=list(codes)).values_list("code", "name", "name_en")
    return {code: (name_en or name) if english else name
            for code, name, name_en in rows.iterator(5000)}


def join_path(parts: list[str], english: bool = False) -> str:
    """A path of division names, top first: "湖北省 武汉市"; English smallest first, by commas:
    "Wuhan Shi, Hubei Sheng"."""
    kept = [p for p in parts if p]
    return ", ".join(reversed(kept)) if english else " ".join(kept)


def level_reasons(chosen: list[LevelInForce]) -> dict[str, tuple[str, str, int | None]]:
    """`{code: (reason in the active language, rule set code, version)}` of the chosen levels:
    the rule's reason from the row's reason_code and inputs, "人工调整：…" for an override."""
    rows = {pk: (code, inputs, rs, version) for pk, code, inputs, rs, version in
            AreaRisk.objects.filter(pk__in=[lv.area_risk_id for lv in chosen if lv.area_risk_id])
            .values_list("pk", "reason_code", "inputs", "rule_set__code", "rule_set__version")}
    overrides = dict(RiskOverride.objects.filter(
        pk__in=[lv.override_id for lv in chosen if lv.override_id]).values_list("pk", "reason"))
    out: dict[str, tuple[str, str, int | None]] = {}
    for lv in chosen:
        code, inputs, rs, version = rows.get(lv.area_risk_id or 0, ("", {}, "", None))
        if lv.override_id is not None:
            text = _("人工调整：%(reason)s") % {
                "reason": overrides.get(lv.override_id, lv.reason)}
            out[lv.division_code] = (text, rs, version)
        else:
            out[lv.division_code] = (reason_text(code, inputs) if code else lv.reason,
                                     rs, version)
    return out


def _path_codes(code: str) -> list[str]:
    """Province, prefecture, county, township, village codes of `code`, top first, as stored."""
    out = [code[:2] + "0000"]
    if code[2:4] != "00":
        out.append(code[:4] + "00")
    if len(code) >= 6 and code[4:6] != "00":
        out.append(code[:6])
    if len(code) >= 9:
        out.append(code[:9])
    if len(code) == 12:
        out.append(code)
    return list(dict.fromkeys(out))


def risk_areas(levels: dict[str, LevelInForce], *, english: bool = False,
               with_reasons: bool = False) -> list[RiskArea]:
    """The medium and high areas among `levels`, high first, then by code."""
    chosen = [lv for lv in levels.values() if lv.level != RiskLevel.LOW]
    names = division_names({c for lv in chosen for c in _path_codes(lv.division_code)}, english)
    reasons = level_reasons(chosen) if with_reasons else {}
    areas = []
    for lv in chosen:
        path = [names.get(c, "") for c in _path_codes(lv.division_code)]
        text, rule_set, version = reasons.get(lv.division_code, ("", "", None))
        areas.append(RiskArea(
            code=lv.division_code, name=names.get(lv.division_code, lv.division_code),
            place=join_path(path, english), level=lv.level, since=lv.since,
            overridden=lv.override_id is not None, reason=lv.reason,
            above=join_path(path[:-1], english), reason_text=text, rule_set=rule_set,
            rule_set_version=version))
    areas.sort(key=lambda a: (a.level != RiskLevel.HIGH, a.code))
    return areas


def province_rollup(disease: str = DEFAULT_DISEASE, at: datetime | None = None,
                    prefix: str = "", *, english: bool = False) -> list[ProvinceRollup]:
    """One entry per province under `prefix` ("" = all), in code order."""
    provinces = Division.objects.filter(level=Level.PROVINCE)
    if prefix:
        provinces = provinces.filter(code__startswith=prefix[:2])
    out = {p.code[:2]: ProvinceRollup(p.code, (p.name_en or p.name) if english else p.name)
           for p in provinces.order_by("code")}
    county_counts = Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True)
    for code in county_counts.iterator(5000):
        entry = out.get(code[:2])
        if entry is not None:
            entry.counties += 1
    levels = levels_in_force(disease, at, prefix=prefix)
    for area in risk_areas(levels, english=english):
        entry = out.get(area.code[:2])
        if entry is None:
            continue
        (entry.high if area.level == RiskLevel.HIGH else entry.medium).append(area)
        if len(area.code) == 6:
            if area.level == RiskLevel.HIGH:
                entry.counties_high += 1
            else:
                entry.counties_medium += 1
    return list(out.values())
