"""Address normalisation throughput over the real division tree (target ≥ 5,000 addresses/s).

The index is built from the installed division package directly (as `shouwang geo load` would
store it), so the figure is the normaliser's own, without database round trips.
"""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")

import django

django.setup()

from bench.common import best_of, write_result  # noqa: E402
from shouwang.geo.address import AddressIndex, IndexEntry, normalize_address  # noqa: E402
from shouwang.geo.source import source_divisions  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "geo" / "fixtures" / "addresses.csv"


def main() -> None:
    t0 = time.perf_counter()
    entries = [IndexEntry("000000", "中华人民共和国", "nation", None)]
    entries += [IndexEntry(d.code, d.name, d.level, d.parent_code) for d in source_divisions()]
    index = AddressIndex(entries)
    build_s = time.perf_counter() - t0

    addresses = [row["address"] for row in csv.DictReader(FIXTURE.open(encoding="utf-8"))]
    batch = (addresses * (20_000 // len(addresses) + 1))[:20_000]

    def run() -> None:
        for a in batch:
            normalize_address(a, index)

    seconds = best_of(3, run)
    write_result("geo_address", {
        "divisions_indexed": len(index),
        "index_build_s": round(build_s, 3),
        "addresses": len(batch),
        "seconds": round(seconds, 3),
        "addresses_per_s": round(len(batch) / seconds),
        "mean_chars": round(sum(map(len, batch)) / len(batch), 1),
    }, targets={"addresses_per_s": ">= 5000"})


if __name__ == "__main__":
    main()
