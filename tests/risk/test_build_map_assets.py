"""The public map's compact boundary assets (shouwang/risk/build_map_assets.py): projection,
delta-encoded SVG paths, and the committed files (up to date, complete, shared edges shared,
the South China Sea islands line present, within the byte budget)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely

from shouwang.risk import build_map_assets as b

COMMITTED = b.OUT


def decode(path: str) -> list[list[tuple[int, int]]]:
    """The rings (or lines) of a path written by build_map_assets, as absolute integer points."""
    rings: list[list[tuple[int, int]]] = []
    for move, rel in re.findall(r"M([-0-9 ]+)l([-0-9 ]*)z?", path):
        start = [int(v) for v in re.findall(r"-?[0-9]+", move)]
        deltas = [int(v) for v in re.findall(r"-?[0-9]+", rel)]
        x, y = start
        ring = [(x, y)]
        for dx, dy in zip(deltas[::2], deltas[1::2], strict=True):
            x, y = x + dx, y + dy
            ring.append((x, y))
        rings.append(ring)
    return rings


def _load(name: str) -> Any:
    return json.loads((COMMITTED / name).read_text(encoding="utf-8"))


def test_the_projection_is_centred_equal_area_and_y_points_down() -> None:
    origin = b.project(np.array([[105.0, 0.0]]))
    assert np.allclose(origin, [[0.0, 0.0]], atol=1e-9)
    north = b.project(np.array([[105.0, 40.0]]))
    assert north[0, 1] < 0 and abs(north[0, 0]) < 1e-9
    for lat in (20.0, 35.0, 50.0):
        cell = shapely.Polygon([(100, lat), (101, lat), (101, lat + 1), (100, lat + 1)])
        dense = shapely.segmentize(cell, 0.01)
        projected = shapely.transform(dense, b.project)
        sphere = b._R ** 2 * math.radians(1) * (
            math.sin(math.radians(lat + 1)) - math.sin(math.radians(lat)))
        assert projected.area == pytest.approx(sphere, rel=1e-4)


def test_a_ring_is_quantised_delta_encoded_and_closed() -> None:
    coords = np.array([[0.2, 0.1], [10.4, 0.0], [10.6, -5.2], [10.55, -5.1], [0.0, 0.0]])
    path = b._ring_path(coords, 1.0, closed=True)
    assert path == "M0 0l10 0 1-5z"          # the repeat of (11, -5) and the closing point dropped
    assert decode(path) == [[(0, 0), (10, 0), (11, -5)]]
    assert b._ring_path(np.array([[0, 0], [0.1, 0.1], [0, 0]]), 1.0, closed=True) == ""
    assert b._numbers([3, -4, 5, -6]) == "3-4 5-6"


def test_the_committed_assets_are_what_the_builder_writes(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(b, "OUT", tmp_path)
    made = b.build()
    assert made["counties"] == 2843 and made["provinces"] == 34
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    assert written == sorted(p.relative_to(COMMITTED) for p in COMMITTED.rglob("*.json"))
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (COMMITTED / rel).read_bytes(), rel


def test_the_national_file_has_every_county_and_province_within_budget() -> None:
    china = _load("china.json")
    geo = json.loads((b.GEO / "counties.geojson").read_text(encoding="utf-8"))
    assert {c[0] for c in china["c"]} == {str(f["id"]) for f in geo["features"]}
    assert all(c[2].startswith("M") for c in china["c"])
    assert {p[0][:2] for p in china["p"]} >= {"11", "42", "46", "65", "71", "81", "82"}
    assert (COMMITTED / "china.json").stat().st_size < 600_000
    prefixes = {c[0][:2] for c in china["c"]}
    assert {p.stem for p in (COMMITTED / "p").glob("*.json")} == prefixes
    hubei = _load("p/42.json")
    assert len(hubei["c"]) == sum(c[0].startswith("42") for c in china["c"])


def test_neighbours_share_their_edge_after_simplification() -> None:
    china = {c[0]: c[2] for c in _load("china.json")["c"]}
    wuchang = {p for ring in decode(china["420106"]) for p in ring}
    hongshan = {p for ring in decode(china["420111"]) for p in ring}
    assert len(wuchang & hongshan) >= 2
    fine = {c[0]: c[1] for c in _load("p/42.json")["c"]}
    wuchang = {p for ring in decode(fine["420106"]) for p in ring}
    hongshan = {p for ring in decode(fine["420111"]) for p in ring}
    assert len(wuchang & hongshan) >= 3


def test_the_south_china_sea_islands_line_is_drawn_inside_the_frame() -> None:
    china = _load("china.json")
    points = [p for line in decode(china["l"]) for p in line]
    x0, y0, w, h = china["box"]
    south = b.project(np.array([[112.0, 3.5]]))[0]
    assert max(y for _, y in points) == pytest.approx(south[1], abs=60)   # reaches ~3.4° N
    assert all(x0 <= x <= x0 + w and y0 <= y <= y0 + h for x, y in points)
