"""Clusters of cases in one small setting (聚集性疫情): two or more cases within 14 days linked to
one household, site or unit, where person-to-person transmission is possible.

Input is one row per (case, setting) link with the day that counts for it (onset, or the report
or sampling day of an asymptomatic infection), for the cases that qualify (confirmed cases and
asymptomatic infections; the caller filters). Within a setting, rows are grouped by single
linkage in time: a row joins the group of the previous row when it is at most `window_days`
later, so a household whose cases arrive every ten days is one cluster, and a second wave a
month later is another. A group with at least `min_cases` distinct cases is a cluster. A case
linked to two settings (home and work) may belong to two clusters: each setting is its own
question for the investigator.

Vectorised: one sort by (setting, day) and cumulative sums, no loop per setting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


class ClusterInputError(ValueError):
    """Rows the detection cannot use; the message says which."""


@dataclass(frozen=True)
class SettingClusters:
    label: NDArray[np.int64]     # per input row: its cluster (0, 1, …) or −1
    setting: NDArray[np.int64]   # per cluster
    first_day: NDArray[np.int64]
    last_day: NDArray[np.int64]
    cases: NDArray[np.int64]     # distinct cases per cluster


def setting_clusters(case: ArrayLike, setting: ArrayLike, day: ArrayLike, *,
                     window_days: int = 14, min_cases: int = 2) -> SettingClusters:
    cases = np.asarray(case, dtype=np.int64)
    settings = np.asarray(setting, dtype=np.int64)
    days = np.asarray(day)
    if not (cases.shape == settings.shape == days.shape) or cases.ndim != 1:
        raise ClusterInputError("case, setting and day must be equally long lists")
    if days.size and not np.issubdtype(days.dtype, np.integer):
        raise ClusterInputError("days must be whole day numbers (e.g. date.toordinal())")
    if window_days < 0 or min_cases < 1:
        raise ClusterInputError("window_days must be ≥ 0 and min_cases ≥ 1")
    days = days.astype(np.int64)
    n = cases.size
    label = np.full(n, -1, dtype=np.int64)
    empty = np.zeros(0, dtype=np.int64)
    if n == 0:
        return SettingClusters(label, empty, empty, empty, empty)
    order = np.lexsort((cases, days, settings))
    s, d, c = settings[order], days[order], cases[order]
    new_group = np.r_[True, (s[1:] != s[:-1]) | (d[1:] - d[:-1] > window_days)]
    group = np.cumsum(new_group) - 1
    # Distinct cases per group: a repeated (group, case) pair counts once.
    pair_first = np.ones(n, dtype=bool)
    by_pair = np.lexsort((c, group))
    g_p, c_p = group[by_pair], c[by_pair]
    pair_first[by_pair[1:]] = (g_p[1:] != g_p[:-1]) | (c_p[1:] != c_p[:-1])
    distinct = np.bincount(group, weights=pair_first.astype(np.float64)).astype(np.int64)
    keep = distinct >= min_cases
    number = np.cumsum(keep) - 1
    label[order] = np.where(keep[group], number[group], -1)
    starts = np.flatnonzero(new_group)
    ends = np.r_[starts[1:], n] - 1
    kept = np.flatnonzero(keep)
    return SettingClusters(label=label, setting=s[starts[kept]], first_day=d[starts[kept]],
                           last_day=d[ends[kept]], cases=distinct[kept])


__all__ = ["ClusterInputError", "SettingClusters", "setting_clusters"]
