"""Relapse-into-poverty monitoring: one pass over 10,000,000 households × 24 months (issue 7:
< 2 minutes and < 4 GB of memory).

Synthetic rural households, made 500,000 at a time (the inputs of the whole country would
take 7.7 GB as float32; the pass never needs them at once): per-capita monthly income by
component around a yearly 12,000 yuan (log-normal between households, seasonal, operating
income sometimes a loss), 1 % of months missing, a quarter of the households losing 40–70 % of
their income in the second year (migrant work stopped), rigid spending with rare large
medical and disaster shocks, a guarantee missing in 2 % of household-months, thresholds of
6,000–7,500 yuan by "province", 40 % of households lifted out of poverty in 2016–2020.

Timed: the rule pass alone (`relapse_monitoring`, summed over the chunks) and the whole loop
with the data generation. Memory: the peak traced by tracemalloc (numpy reports its arrays to
it) over the loop — one chunk of inputs and its temporaries plus the 10 million results —,
beside the process's maximum resident size.

    .venv/bin/python -m bench.bench_livelihood_monitoring
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np

from bench.common import write_result
from shouwang.epi.livelihood_rules import (
    ALL_GUARANTEES,
    Group,
    LivelihoodInputs,
    LivelihoodResult,
    Trigger,
    relapse_monitoring,
)

HOUSEHOLDS = 10_000_000
MONTHS = 24
CHUNK = 500_000
YEAR = 2022


def households(n: int, seed: int) -> LivelihoodInputs:
    rng = np.random.default_rng(seed)
    f32 = np.float32
    level = (rng.lognormal(np.log(1000), 0.5, n)).astype(f32)[:, None]  # yuan/person/month
    season = (1 + 0.3 * np.sin(np.arange(MONTHS) * np.pi / 6)).astype(f32)[None, :]
    base = level * season
    shocked = rng.random(n) < 0.25
    cut = np.where(shocked, rng.uniform(0.3, 0.6, n), 1.0).astype(f32)
    base[:, 12:] *= cut[:, None]
    noise = rng.standard_normal((n, MONTHS, 4), dtype=f32) * f32(0.1) + f32(1)
    share = np.array([0.55, 0.25, 0.03, 0.17], f32)
    income = base[:, :, None] * share * noise
    income[:, :, 0] = np.maximum(income[:, :, 0], 0)
    income[:, :, 1] -= f32(150) * (rng.random((n, MONTHS), dtype=f32) < 0.05)  # a loss
    income[rng.random((n, MONTHS), dtype=f32) < 0.01] = np.nan
    spending = rng.exponential(80, (n, MONTHS, 4)).astype(f32)
    big = rng.random((n, MONTHS), dtype=f32) < 0.003
    spending[:, :, 0] += big * rng.exponential(30000, (n, MONTHS)).astype(f32)
    disaster = rng.random((n, MONTHS), dtype=f32) < 0.001
    spending[:, :, 1] += disaster * rng.exponential(15000, (n, MONTHS)).astype(f32)
    guarantees = np.full((n, MONTHS), ALL_GUARANTEES, np.uint8)
    lost = rng.random((n, MONTHS), dtype=f32) < 0.02
    guarantees[lost] &= ~(np.uint8(1) << rng.integers(0, 5, int(lost.sum()), dtype=np.uint8))
    lifted = np.where(rng.random(n) < 0.4, rng.integers(2016, 2021, n), 0).astype(np.int16)
    return LivelihoodInputs(
        income=income, spending=spending, members=rng.integers(1, 7, n).astype(np.uint8),
        threshold=rng.choice(np.array([6000, 6500, 7000, 7500], f32), n),
        guarantees=guarantees, lifted_year=lifted, year=YEAR)


def main() -> None:
    params: dict[str, object] = {}
    parts: list[LivelihoodResult] = []
    rule_seconds = 0.0
    tracemalloc.start()
    t_all = time.perf_counter()
    for k, start in enumerate(range(0, HOUSEHOLDS, CHUNK)):
        inputs = households(min(CHUNK, HOUSEHOLDS - start), seed=k)
        t0 = time.perf_counter()
        parts.append(relapse_monitoring(inputs, params))
        rule_seconds += time.perf_counter() - t0
        del inputs
    result = LivelihoodResult.concat(parts)
    del parts
    total_seconds = time.perf_counter() - t_all
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    n = result.flagged.size
    triggers = {t.name.lower(): int(((result.triggers & t.value) != 0).sum()) for t in Trigger}
    groups = {g.name.lower(): int(((result.groups & g.value) != 0).sum()) for g in Group}
    figures = {
        "households": n, "months": MONTHS, "generation_chunk": CHUNK,
        "rule_pass_seconds": round(rule_seconds, 2),
        "with_data_generation_seconds": round(total_seconds, 2),
        "households_per_second": round(n / rule_seconds),
        "peak_memory_mb": round(peak / 2**20, 1),
        "process_max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "result_mb": round(sum(a.nbytes for a in vars(result).values()
                               if isinstance(a, np.ndarray)) / 2**20, 1),
        "flagged": int(result.flagged.sum()),
        "triggers": triggers,
        "groups": groups,
        "eligible_for_elimination": int(result.eligible.sum()),
        "example": result.explain(int(np.argmax(result.flagged))),
    }
    write_result("livelihood_monitoring", figures, targets={
        "rule_pass_seconds": "< 120", "with_data_generation_seconds": "< 120",
        "peak_memory_mb": "< 4096"})


if __name__ == "__main__":
    main()
