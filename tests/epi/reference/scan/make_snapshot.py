"""Make the seeded snapshot of `shouwang epi scan` (run once; commit the CSVs beside it).

No R package implements the space-time permutation scan (decision 0940), so this is a snapshot of
our own output, not a reference: it guards against a refactor silently changing results. Inputs:
the first 60 county-level centroids of Hubei (42xxxx) from the geo app's centroids.json, 21 days
of Poisson counts with a cluster planted around 420111 on the last 3 days.

    .venv/bin/python tests/epi/reference/scan/make_snapshot.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
ARGS = ["--replicates", "99", "--seed", "7", "--max-locations", "10", "--max-days", "7"]


def main() -> None:
    points = json.loads((ROOT / "src/shouwang/geo/data/centroids.json").read_text())
    codes = [c for c in points if c.startswith("42") and c[4:] != "00"][:60]
    rng = np.random.default_rng(20260301)
    counts = rng.poisson(rng.gamma(2.0, 0.4, len(codes))[:, None] * np.ones(21))
    lon = np.array([points[c][0] for c in codes])
    lat = np.array([points[c][1] for c in codes])
    centre = codes.index("420111")
    d = np.hypot(lon - lon[centre], lat - lat[centre])
    for i in np.argsort(d)[:5]:
        counts[i, -3:] += rng.poisson(3, 3)
    with (HERE / "locations.csv").open("w") as out:
        out.write("location,lon,lat\n")
        for c in codes:
            out.write(f"{c},{points[c][0]},{points[c][1]}\n")
    with (HERE / "counts.csv").open("w") as out:
        out.write("date,location,count\n")
        for t in range(21):
            for i, c in enumerate(codes):
                if counts[i, t]:
                    out.write(f"{date(2026, 3, 1) + timedelta(days=t)},{c},{counts[i, t]}\n")
    subprocess.run([sys.executable, "-m", "shouwang.cli", "epi", "scan", str(HERE / "counts.csv"),
                    "--locations", str(HERE / "locations.csv"), *ARGS,
                    "-o", str(HERE / "clusters.csv")], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
