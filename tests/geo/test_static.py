"""The committed boundary files: small enough to serve, keyed by division code."""

from __future__ import annotations

import json
from pathlib import Path

from shouwang.geo.source import CENTROIDS_PATH, source_divisions

STATIC = Path(__file__).resolve().parents[2] / "src" / "shouwang" / "geo" / "static" / "geo"
BOUNDARIES = ["provinces.geojson", "counties.geojson", "lines.geojson"]


def test_boundaries_served_are_at_most_5_mb() -> None:
    total = sum((STATIC / name).stat().st_size for name in BOUNDARIES)
    assert total <= 5 * 1024 * 1024
    assert sorted(p.name for p in STATIC.glob("*.geojson")) == sorted(BOUNDARIES)


def test_features_are_keyed_by_the_division_code() -> None:
    divisions = {d.code: d for d in source_divisions()}
    provinces = json.loads((STATIC / "provinces.geojson").read_text(encoding="utf-8"))
    ids = {f["id"] for f in provinces["features"]}
    assert ids == {c for c, d in divisions.items() if d.level == "province"}
    counties = json.loads((STATIC / "counties.geojson").read_text(encoding="utf-8"))
    county_codes = {c for c, d in divisions.items() if d.level == "county"}
    for f in counties["features"]:
        assert f["id"] == f["properties"]["code"]
        assert f["id"] in county_codes
        assert f["properties"]["parent"] == divisions[f["id"]].parent_code
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(counties["features"]) >= len(county_codes) - 5


def test_centroids_cover_the_divisions() -> None:
    centroids = json.loads(CENTROIDS_PATH.read_text(encoding="utf-8"))
    codes = {d.code for d in source_divisions()}
    assert set(centroids) <= codes
    assert len(codes - set(centroids)) <= 5
    lon, lat = centroids["420111"]
    assert 114.1 < lon < 114.7 and 30.3 < lat < 30.8
