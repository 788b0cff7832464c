"""Space-time permutation scan: 2,900 locations × 28 days × 999 replicates, default sizes.

Locations are the real centroids shipped with the geo app (src/shouwang/geo/data/centroids.json,
read as plain JSON, no Django): the 2,843 county-level divisions, topped up to 2,900 with the
first prefecture-level ones. Counts are Poisson with a lognormal rate per location and a weekly
rhythm; a cluster is planted in the 12 locations nearest to 武汉市江岸区 (420102) on the last 4
days at three times the usual rate. The scan runs with its defaults (30 locations, 14 days, 999
replicates, seed 1); the figures say how long it took and whether the planted cluster was found.

No R package implements the space-time permutation scan (rsatscan needs SaTScan, not installed;
surveillance::stcd is a different method), so there is no R timing to set beside it.

    .venv/bin/python -m bench.bench_epi_scan
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from bench.common import write_result
from shouwang.epi.scan import Cylinders, ScanOptions, space_time_permutation_scan

CENTROIDS = (Path(__file__).resolve().parents[1] / "src" / "shouwang" / "geo" / "data"
             / "centroids.json")
LOCATIONS = 2_900
DAYS = 28
PLANT_CENTRE = "420102"
PLANT_SIZE = 12
PLANT_DAYS = 4
RELATIVE_RISK = 3.0


def locations() -> tuple[list[str], np.ndarray, np.ndarray]:
    points: dict[str, list[float]] = json.loads(CENTROIDS.read_text())
    counties = [c for c in points if c[4:] != "00"]
    prefectures = [c for c in points if c[4:] == "00" and c[2:4] != "00"]
    codes = (counties + prefectures)[:LOCATIONS]
    lon = np.array([points[c][0] for c in codes])
    lat = np.array([points[c][1] for c in codes])
    return codes, lon, lat


def synthetic(codes: list[str], lon: np.ndarray, lat: np.ndarray,
              seed: int = 2026) -> tuple[np.ndarray, set[int]]:
    rng = np.random.default_rng(seed)
    rate = rng.lognormal(np.log(0.6), 0.9, len(codes))
    weekly = 1 + 0.3 * np.cos(2 * np.pi * np.arange(DAYS) / 7)
    mean = rate[:, None] * weekly[None, :]
    cyl = Cylinders(np.zeros((len(codes), 1), dtype=np.int64), lon, lat, PLANT_SIZE, 1, 2)
    planted = {int(i) for i in cyl.neighbours[codes.index(PLANT_CENTRE)]}
    rows = sorted(planted)
    mean[rows, -PLANT_DAYS:] *= RELATIVE_RISK
    return rng.poisson(mean), planted


def main() -> None:
    codes, lon, lat = locations()
    counts, planted = synthetic(codes, lon, lat)
    options = ScanOptions()
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    result = space_time_permutation_scan(counts, lon, lat, options)
    seconds = time.perf_counter() - t0
    top = result.clusters[0]
    members = set(top.locations)
    found = (len(members & planted) >= PLANT_SIZE // 2 and top.p_value <= 0.05
             and top.start_day >= DAYS - PLANT_DAYS - 1)
    cylinders = result.max_locations * len(codes) * result.max_days
    figures = {
        "locations": len(codes),
        "days": DAYS,
        "cases": result.total_cases,
        "replicates": options.replicates,
        "max_locations": result.max_locations,
        "max_days": result.max_days,
        "cylinders": cylinders,
        "seconds": round(seconds, 2),
        "cylinder_evaluations_per_second": round(cylinders * (options.replicates + 1) / seconds),
        "load_average_at_start": round(load, 2),
        "planted": {"centre": PLANT_CENTRE, "locations": PLANT_SIZE, "days": PLANT_DAYS,
                    "relative_risk": RELATIVE_RISK},
        "planted_cluster_found": bool(found),
        "most_likely_cluster": {
            "centre": codes[top.centre], "locations": len(top.locations),
            "planted_locations_in_it": len(members & planted),
            "start_day": top.start_day, "end_day": top.end_day, "observed": top.observed,
            "expected": round(top.expected, 2), "llr": round(top.llr, 3),
            "p_value": top.p_value,
        },
        "clusters_reported": len(result.clusters),
        "r": "no R package implements the space-time permutation scan (rsatscan drives "
             "SaTScan, not installed; surveillance::stcd is Assunção & Correa's method)",
    }
    write_result("epi_scan", figures, targets={"seconds": "< 60"})


if __name__ == "__main__":
    main()
