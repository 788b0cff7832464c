"""Province rollup of the levels in force: which provinces have every county-level area low,
and the medium- and high-risk areas of each (unscoped: published levels are public)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from shouwang.geo.models import Division, Level
from shouwang.risk.models import RiskLevel
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
    reason: str


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


def _names(codes: set[str]) -> dict[str, str]:
    return dict(Division.objects.filter(code__in=codes).values_list("code", "name"))


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


def risk_areas(levels: dict[str, LevelInForce]) -> list[RiskArea]:
    """The medium and high areas among `levels`, high first, then by code."""
    chosen = [lv for lv in levels.values() if lv.level != RiskLevel.LOW]
    names = _names({c for lv in chosen for c in _path_codes(lv.division_code)})
    areas = []
    for lv in chosen:
        path = [names.get(c, "") for c in _path_codes(lv.division_code)]
        areas.append(RiskArea(
            code=lv.division_code, name=names.get(lv.division_code, lv.division_code),
            place=" ".join(p for p in path if p), level=lv.level, since=lv.since,
            overridden=lv.override_id is not None, reason=lv.reason))
    areas.sort(key=lambda a: (a.level != RiskLevel.HIGH, a.code))
    return areas


def province_rollup(disease: str = DEFAULT_DISEASE, at: datetime | None = None,
                    prefix: str = "") -> list[ProvinceRollup]:
    """One entry per province under `prefix` ("" = all), in code order."""
    provinces = Division.objects.filter(level=Level.PROVINCE)
    if prefix:
        provinces = provinces.filter(code__startswith=prefix[:2])
    out = {p.code[:2]: ProvinceRollup(p.code, p.name) for p in provinces.order_by("code")}
    county_counts = Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True)
    for code in county_counts.iterator(5000):
        entry = out.get(code[:2])
        if entry is not None:
            entry.counties += 1
    levels = levels_in_force(disease, at, prefix=prefix)
    for area in risk_areas(levels):
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
