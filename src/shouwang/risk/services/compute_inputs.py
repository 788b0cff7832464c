"""The inputs of the daily risk levels: one aggregate query per source, then numpy matrices.

    gather(disease, hist_start, last_day, classifications) -> Sources      # three queries
    series(sources, areas, classifications, hist_start, span) -> Series   # per rule set

Sources: county cases per diagnosis day (surveillance DailyCount), township and village cases
per diagnosis day (the case reports whose address has 9 or 12 digits), and cluster spans
(tracing). The matrices cover the days `hist_start` … `last_day` (data days: the level of day D
counts the cases dated up to D-1); cases before `hist_start` enter as a total and the day of the
last of them (risk_rules.RiskInputs.cumulative_before / last_case_gap).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from shouwang.geo.models import Division, Level
from shouwang.surveillance.selectors.area_counts import AreaCount, area_case_counts
from shouwang.tracing.selectors.clusters import cluster_spans

LEVEL_OF_WIDTH = {6: Level.COUNTY.value, 9: Level.TOWNSHIP.value, 12: Level.VILLAGE.value}


@dataclass(frozen=True)
class Sources:
    county: list[AreaCount]
    subcounty: list[AreaCount]   # a village's rows count for its township too (see `series`)
    clusters: list[tuple[str, date, date]]


@dataclass(frozen=True)
class Series:
    codes: list[str]
    counts: NDArray[np.int64]     # (n, span) cases per day from hist_start
    before: NDArray[np.int64]     # (n,) cases before hist_start
    gap: NDArray[np.int64]        # (n,) days from the last of those to hist_start (0: none)
    cluster: NDArray[np.bool_]    # (n, span) a cluster of the area occurred that day


def gather(disease: str, hist_start: date, last_day: date,
           classifications: Sequence[str]) -> Sources:
    return Sources(
        county=area_case_counts(disease=disease, since=hist_start, until=last_day,
                                classifications=classifications, level="county"),
        subcounty=area_case_counts(disease=disease, since=hist_start, until=last_day,
                                   classifications=classifications, level="subcounty"),
        clusters=cluster_spans(disease, hist_start, last_day))


def county_codes(sources: Sources) -> list[str]:
    """Every county of the division table, and any county code the counts carry beyond it."""
    known = set(Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True))
    known.update(r.code for r in sources.county)
    return sorted(known)


def subcounty_codes(sources: Sources, also: Iterable[str] = ()) -> list[str]:
    """The townships and villages with any case (a village's township too), plus `also`."""
    out: set[str] = set()
    for r in sources.subcounty:
        out.add(r.code[:9])
        if len(r.code) == 12:
            out.add(r.code)
    out.update(c for c in also if len(c) in (9, 12))
    return sorted(out)


def series(sources: Sources, codes: Sequence[str], classifications: Iterable[str],
           hist_start: date, span: int, *, subcounty: bool) -> Series:
    """The matrices of the areas `codes` (all counties, or all sub-county areas) counting the
    classifications given."""
    index = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    counts = np.zeros((n, span), np.int64)
    before = np.zeros(n, np.int64)
    last_before = np.full(n, -1, np.int64)   # day ordinal
    wanted = set(classifications)
    start = hist_start.toordinal()
    rows = sources.subcounty if subcounty else sources.county
    for code, cls, day, cases, last in rows:
        if cls not in wanted:
            continue
        targets = [code, code[:9]] if subcounty and len(code) == 12 else [code]
        for target in targets:
            i = index.get(target)
            if i is None:
                continue
            if day is None:
                before[i] += cases
                last_before[i] = max(last_before[i], last.toordinal())
            else:
                counts[i, day.toordinal() - start] += cases
    gap = np.where(last_before >= 0, start - last_before, 0).astype(np.int64)
    cluster = np.zeros((n, span), bool)
    for code, first, last in sources.clusters:
        a = max(first.toordinal() - start, 0)
        b = min(last.toordinal() - start, span - 1)
        if b < a:
            continue
        if subcounty:
            targets = [code[:9]] + ([code] if len(code) == 12 else []) if len(code) >= 9 else []
        else:
            targets = [code[:6]]
        for target in targets:
            i = index.get(target)
            if i is not None:
                cluster[i, a:b + 1] = True
    return Series(list(codes), counts, before, gap, cluster)
