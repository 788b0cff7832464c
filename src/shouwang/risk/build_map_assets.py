"""Build the public risk map's compact boundary assets once, from the committed geo boundaries.

    .venv/bin/python -m shouwang.risk.build_map_assets

Reads ``shouwang/geo/static/geo/{counties,provinces,lines}.geojson`` (decision 0100: already
simplified at 0.02°, 2.6 MB + 365 KB + 20 KB, far too much for a phone with Plotly's 4.6 MB on
top) and writes, under ``static/risk/map/`` (decision 1130):

- ``china.json`` — the national map: every county's outline simplified further with
  ``shapely.coverage_simplify`` (shared edges stay shared: neighbours neither overlap nor gap),
  the province outlines (the union of their counties, so the lines meet exactly; the provinces
  without counties in the data — Taiwan, Hong Kong, Macao — from provinces.geojson), and the
  boundary lines the map of China must show (the South China Sea islands line among them);
- ``p/<2-digit province>.json`` — one province's counties at the committed (finer) detail,
  loaded only when a reader zooms into the province.

Every coordinate is projected once to the plane (Albers equal-area conic, standard parallels
25° N and 47° N, central meridian 105° E; kilometres, y pointing down as in SVG), quantised to
integers of ``unit`` km and written as an SVG path string with relative (delta) moves, so the
browser draws it without any projection or parsing code of its own:

    {"v": 1, "unit": 1, "box": [x, y, w, h],
     "c": [[code, name, path], …],          # counties (6-digit GB/T 2260 code)
     "p": [[code, name, path, [lx, ly]], …], # provinces, with a label point
     "l": path}                             # boundary lines

A province file is ``{"v": 1, "code": "42", "unit": 0.25, "box": […], "c": [[code, path], …],
"o": path}`` in the same plane (``unit`` 0.25 km: draw it scaled by 0.25 over the national one).

Deterministic (same input, same bytes); run again only when the geo boundaries change. Prints
the sizes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

HERE = Path(__file__).resolve().parent
GEO = HERE.parent / "geo" / "static" / "geo"
OUT = HERE / "static" / "risk" / "map"

NATIONAL_UNIT = 1.0       # km per integer step on the national map
NATIONAL_TOLERANCE = 4.0  # km: coverage_simplify tolerance of the national outlines
PROVINCE_UNIT = 0.25      # km per integer step in the per-province files
PROVINCE_TOLERANCE = 0.3  # km: only removes what the quantisation makes redundant

# Albers equal-area conic for China.
_R = 6371.0
_LAT1, _LAT2, _LON0 = math.radians(25.0), math.radians(47.0), math.radians(105.0)
_N = (math.sin(_LAT1) + math.sin(_LAT2)) / 2
_C = math.cos(_LAT1) ** 2 + 2 * _N * math.sin(_LAT1)
_RHO0 = math.sqrt(_C) / _N  # latitude of origin 0°


def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    """(lon, lat) degrees → (x, y) km in the plane, y down. Vectorised over an (n, 2) array."""
    lon = np.radians(coords[:, 0])
    lat = np.radians(coords[:, 1])
    rho = np.sqrt(_C - 2 * _N * np.sin(lat)) / _N
    theta = _N * (lon - _LON0)
    x = _R * rho * np.sin(theta)
    y = -_R * (_RHO0 - rho * np.cos(theta))
    return np.column_stack([x, y])


def _read(name: str) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads(
        (GEO / f"{name}.geojson").read_text(encoding="utf-8"))["features"]
    return features


def _projected(feature: dict[str, Any]) -> BaseGeometry:
    return shapely.transform(shapely.make_valid(shape(feature["geometry"])), project)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def _numbers(values: Iterable[int]) -> str:
    """Integers joined as SVG wants them: a minus sign separates on its own."""
    out: list[str] = []
    for v in values:
        s = str(v)
        if out and not s.startswith("-"):
            out.append(" ")
        out.append(s)
    return "".join(out)


def _ring_path(coords: NDArray[np.float64], unit: float, closed: bool) -> str:
    q = np.rint(np.asarray(coords)[:, :2] / unit).astype(np.int64)
    if closed and len(q) > 1 and (q[0] == q[-1]).all():
        q = q[:-1]
    if len(q) > 1:  # drop points that quantise onto their predecessor
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = (np.diff(q, axis=0) != 0).any(axis=1)
        q = q[keep]
    if (closed and len(q) < 3) or len(q) < 2:
        return ""
    deltas = np.diff(q, axis=0).ravel().tolist()
    return f"M{_numbers(q[0].tolist())}l{_numbers(deltas)}" + ("z" if closed else "")


def polygon_path(geom: BaseGeometry, unit: float) -> str:
    """An SVG path (evenodd holes) of a polygon or multipolygon, in integers of `unit`."""
    geom = _polygonal(geom)
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    parts: list[str] = []
    for p in polygons:
        if p.is_empty:
            continue
        for ring in (p.exterior, *p.interiors):
            parts.append(_ring_path(np.asarray(ring.coords), unit, closed=True))
    return "".join(parts)


def lines_path(geoms: Iterable[BaseGeometry], unit: float) -> str:
    parts: list[str] = []
    for g in geoms:
        lines = list(g.geoms) if g.geom_type == "MultiLineString" else [g]
        parts.extend(_ring_path(np.asarray(line.coords), unit, closed=False) for line in lines)
    return "".join(parts)


def _box(geoms: Iterable[BaseGeometry], unit: float) -> list[int]:
    x0, y0, x1, y1 = shapely.total_bounds(list(geoms))
    lo = [math.floor(x0 / unit), math.floor(y0 / unit)]
    hi = [math.ceil(x1 / unit), math.ceil(y1 / unit)]
    return [int(lo[0] * unit), int(lo[1] * unit), math.ceil((hi[0] - lo[0]) * unit),
            math.ceil((hi[1] - lo[1]) * unit)]


def _label_point(geom: BaseGeometry, unit: float) -> list[int]:
    """The largest part's representative point (a label must lie inside, not in the sea)."""
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    biggest = max(polygons, key=lambda p: p.area)
    point = biggest.centroid if biggest.contains(biggest.centroid) else \
        biggest.point_on_surface()
    return [round(point.x / unit), round(point.y / unit)]


def _dump(path: Path, payload: dict[str, Any]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return len(text.encode("utf-8")) + 1


def build() -> dict[str, Any]:
    counties = sorted(_read("counties"), key=lambda f: f["id"])
    codes = [str(f["id"]) for f in counties]
    names = {str(f["id"]): f["properties"]["name"] for f in counties}
    fine = [_polygonal(_projected(f)) for f in counties]

    coarse = list(shapely.coverage_simplify(fine, NATIONAL_TOLERANCE))
    finer = list(shapely.coverage_simplify(fine, PROVINCE_TOLERANCE))

    by_province: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        by_province.setdefault(code[:2], []).append(i)

    province_rows: list[list[Any]] = []
    for f in sorted(_read("provinces"), key=lambda f: f["id"]):
        code = str(f["id"])
        members = by_province.get(code[:2])
        if members:
            outline = shapely.coverage_union_all([coarse[i] for i in members])
        else:  # no county data (Taiwan, Hong Kong, Macao): the province's own polygon
            outline = shapely.simplify(_polygonal(_projected(f)), NATIONAL_TOLERANCE)
        province_rows.append([code, f["properties"]["name"],
                              polygon_path(outline, NATIONAL_UNIT),
                              _label_point(outline, NATIONAL_UNIT)])

    lines = [shapely.transform(shape(f["geometry"]), project) for f in _read("lines")]
    national = {
        "v": 1, "unit": NATIONAL_UNIT,
        "box": _box([*coarse, *lines], NATIONAL_UNIT),
        "c": [[code, names[code], polygon_path(g, NATIONAL_UNIT)]
              for code, g in zip(codes, coarse, strict=True)],
        "p": province_rows,
        "l": lines_path(lines, NATIONAL_UNIT),
    }
    sizes = {"china.json": _dump(OUT / "china.json", national)}
    for prefix, members in sorted(by_province.items()):
        geoms = [finer[i] for i in members]
        sizes[f"p/{prefix}.json"] = _dump(OUT / "p" / f"{prefix}.json", {
            "v": 1, "code": prefix, "unit": PROVINCE_UNIT, "box": _box(geoms, PROVINCE_UNIT),
            "c": [[codes[i], polygon_path(finer[i], PROVINCE_UNIT)] for i in members],
            "o": polygon_path(shapely.coverage_union_all(geoms), PROVINCE_UNIT),
        })
    return {"counties": len(codes), "provinces": len(province_rows),
            "bytes": {"china.json": sizes["china.json"],
                      "provinces_total": sum(v for k, v in sizes.items() if k.startswith("p/")),
                      "largest_province": max((v, k) for k, v in sizes.items()
                                              if k.startswith("p/"))}}


if __name__ == "__main__":
    print(json.dumps(build(), ensure_ascii=False, indent=2))
