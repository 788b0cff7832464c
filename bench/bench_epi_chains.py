"""Transmission-chain analysis: 1,000,000 cases and 10,000,000 contact edges (target < 30 s and
< 4 GB of memory), and `shouwang tracing analyze` on a 1,000,000-row line list.

The outbreak: 10,000 imported roots; every later case takes its infector among the cases before
it with probability proportional to a gamma-distributed infectiousness (shape 0.3), so offspring
are over-dispersed as in real outbreaks (a few super-spreaders, most cases infecting nobody).
Contact edges: 10,000,000 pairs, half between cases close in the line list (households,
workplaces: near in time) and half at random. Memory is the peak of the analysis measured by
tracemalloc (numpy reports its arrays to it), beside the process's maximum resident size.

    .venv/bin/python -m bench.bench_epi_chains
"""

from __future__ import annotations

import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from bench.common import write_result
from shouwang.epi.chains import analyse_chains
from shouwang.epi.cli.chains import read_line_list, summary

CASES = 1_000_000
ROOTS = 10_000
EDGES = 10_000_000
SHAPE = 0.3


def outbreak(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    weight = rng.gamma(SHAPE, 1 / SHAPE, CASES)
    cumulative = np.cumsum(weight)
    later = np.arange(ROOTS, CASES)
    draws = rng.random(later.size) * cumulative[later - 1]
    parent = np.full(CASES, -1, dtype=np.int64)
    parent[ROOTS:] = np.searchsorted(cumulative, draws, side="right")
    return parent


def contacts(seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    half = EDGES // 2
    near_a = rng.integers(0, CASES, half)
    near_b = np.clip(near_a + rng.integers(-50, 51, half), 0, CASES - 1)
    return (np.concatenate([near_a, rng.integers(0, CASES, EDGES - half)]),
            np.concatenate([near_b, rng.integers(0, CASES, EDGES - half)]))


def main() -> None:
    parent = outbreak()
    a, b = contacts()
    tracemalloc.start()
    t0 = time.perf_counter()
    chains = analyse_chains(parent)
    forest_seconds = time.perf_counter() - t0
    _now, forest_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    with_contacts = analyse_chains(parent, contacts=(a, b))
    all_seconds = time.perf_counter() - t0
    _now, all_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert with_contacts.components is not None

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "line_list.csv"
        ids = [f"C{i:07d}" for i in range(CASES)]
        with path.open("w", encoding="utf-8") as fh:
            fh.write("case_id,infector\n")
            fh.writelines(f"{ids[i]},{ids[p] if p >= 0 else ''}\n"
                          for i, p in enumerate(parent.tolist()))
        t0 = time.perf_counter()
        read_ids, infector, _onset, _dated = read_line_list(path, "case_id", "infector", None)
        read_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats = summary(read_ids, infector, None)
        summary_seconds = time.perf_counter() - t0

    figures = {
        "cases": CASES, "roots": ROOTS, "contact_edges": EDGES,
        "infectiousness_gamma_shape": SHAPE,
        "chains_seconds": round(forest_seconds, 2),
        "chains_and_contact_components_seconds": round(all_seconds, 2),
        "peak_memory_mb_chains": round(forest_peak / 2**20, 1),
        "peak_memory_mb_with_contacts": round(all_peak / 2**20, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "max_generation": int(chains.generation.max()),
        "largest_chain": int(chains.chain_size.max()),
        "mean_r": round(chains.fit.r, 4),
        "k": round(chains.fit.k, 4),
        "superspreading_threshold": chains.superspreading_threshold,
        "superspreaders": int((chains.offspring > chains.superspreading_threshold).sum()),
        "contact_components": int(np.unique(with_contacts.components).size),
        "cli_read_seconds": round(read_seconds, 2),
        "cli_summary_seconds": round(summary_seconds, 2),
        "cli_largest_spreader": stats["largest_spreaders"][0],
    }
    write_result("epi_chains", figures, targets={
        "chains_and_contact_components_seconds": "< 30", "peak_memory_mb_with_contacts": "< 4096"})


if __name__ == "__main__":
    main()
