"""The shipped boundaries wind as Plotly's d3-geo reads them: exterior rings clockwise, holes
counter-clockwise. A counter-clockwise exterior stands for the whole globe outside it and paints
the whole map (it did, before build_assets oriented the rings)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[2] / "src" / "shouwang" / "geo" / "static" / "geo"


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


@pytest.mark.parametrize("name", ["provinces.geojson", "counties.geojson"])
def test_exterior_rings_run_clockwise_and_holes_the_other_way(name: str) -> None:
    features = json.loads((STATIC / name).read_text(encoding="utf-8"))["features"]
    wrong = []
    for feature in features:
        geometry = feature["geometry"]
        polygons = ([geometry["coordinates"]] if geometry["type"] == "Polygon"
                    else geometry["coordinates"])
        for polygon in polygons:
            for i, ring in enumerate(polygon):
                area = _signed_area(ring)
                # Rounding to 0.001° can flatten a sliver to no area: no direction to check.
                if abs(area) > 1e-9 and (area < 0) != (i == 0):
                    wrong.append((feature["id"], i))
    assert not wrong, f"{len(wrong)} rings wound the wrong way, e.g. {wrong[:5]}"
