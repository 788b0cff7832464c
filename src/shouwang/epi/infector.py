"""Who infected whom: candidate infectors of each case ranked by how well their timing fits.

For a case i and each candidate j (a person i was exposed to — a household member, a colleague,
a fellow passenger), the relative likelihood that j infected i is the serial-interval
probability of the gap between their onsets, w(t_i − t_j), as in Wallinga & Teunis (2004), Am J
Epidemiol 160:509–516; normalised over i's candidates it is the probability p_ij that j is the
infector, given that one of them is. The serial interval is EpiEstim's discretised gamma
(`serial_interval.discr_si`) or a given distribution.

When the date of the exposure between i and j is known, it must be possible: within j's
infectious period (from `infectious_before` days before j's onset to `infectious_after` days
after it) and at least `min_incubation` days before i's onset. An impossible exposure gives the
pair likelihood 0, whatever the onsets say. A pair with an unknown onset cannot be scored (NaN):
the investigator decides.

The result is per candidate pair: the likelihood, the probability among the case's candidates
(NaN when none of them fits), the rank (1 = best; ties share the better rank) and why a pair
was ruled out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shouwang.epi.serial_interval import check_si_distr, discr_si

SI_DAYS = 60   # days of a parametric serial interval kept (the tail beyond is negligible)

FITS = "fits"
NO_ONSET = "onset unknown"
SOURCE_LATER = "candidate fell ill after the case"
OUTSIDE_SERIAL_INTERVAL = "onset gap outside the serial interval"
EXPOSURE_NOT_INFECTIOUS = "exposure outside the candidate's infectious period"
EXPOSURE_TOO_LATE = "exposure too close to the case's onset"


class InfectorInputError(ValueError):
    """Inputs the ranking cannot use; the message says which."""


@dataclass(frozen=True)
class Ranking:
    likelihood: NDArray[np.float64]    # per pair: w(t_i − t_j), 0 when ruled out, NaN unknown
    probability: NDArray[np.float64]   # per pair, normalised over the case's candidates
    rank: NDArray[np.int64]            # per pair, 1 = most likely among the case's candidates
    reason: list[str]                  # per pair: FITS or why it was ruled out / not scored


def rank_infectors(case: ArrayLike, candidate: ArrayLike, *, onset: ArrayLike,
                   exposure_day: ArrayLike | None = None, mean_si: float | None = None,
                   std_si: float | None = None, si_distr: ArrayLike | None = None,
                   infectious_before: float = 2.0, infectious_after: float = 10.0,
                   min_incubation: float = 1.0) -> Ranking:
    """Rank the candidate infector of each pair (case[p], candidate[p]) among the case's
    candidates; `onset` is per person (day numbers, NaN unknown), `exposure_day` per pair."""
    cases = np.asarray(case, dtype=np.int64)
    cands = np.asarray(candidate, dtype=np.int64)
    days = np.asarray(onset, dtype=np.float64)
    if cases.shape != cands.shape or cases.ndim != 1:
        raise InfectorInputError("case and candidate must be equally long lists of indices")
    if cases.size and (min(cases.min(), cands.min()) < 0
                       or max(cases.max(), cands.max()) >= days.size):
        raise InfectorInputError(f"person indices must lie in 0 … {days.size - 1}")
    if np.any(cases == cands):
        p = int(np.argmax(cases == cands))
        raise InfectorInputError(f"pair {p}: person {int(cases[p])} cannot infect themself")
    if si_distr is not None:
        if mean_si is not None or std_si is not None:
            raise InfectorInputError("give either si_distr or mean_si and std_si, not both")
        w = check_si_distr(si_distr)
    elif mean_si is not None and std_si is not None:
        w = discr_si(np.arange(SI_DAYS + 1), mean_si, std_si)
    else:
        raise InfectorInputError("give the serial interval: mean_si and std_si, or si_distr")

    gap = days[cases] - days[cands]
    known = np.isfinite(gap)
    whole = np.where(known, np.rint(gap), -1).astype(np.int64)
    inside = known & (whole >= 0) & (whole < w.size)
    likelihood = np.where(inside, w[np.clip(whole, 0, w.size - 1)], 0.0)
    likelihood[~known] = np.nan
    reason = np.full(cases.size, FITS, dtype=object)
    reason[known & (whole < 0)] = SOURCE_LATER
    reason[known & (whole >= 0) & (likelihood == 0)] = OUTSIDE_SERIAL_INTERVAL
    reason[~known] = NO_ONSET
    if exposure_day is not None:
        exposed = np.asarray(exposure_day, dtype=np.float64)
        if exposed.shape != cases.shape:
            raise InfectorInputError("exposure_day must have one value per pair (NaN: unknown)")
        dated = np.isfinite(exposed) & known
        source_onset = days[cands]
        not_infectious = dated & ((exposed < source_onset - infectious_before)
                                  | (exposed > source_onset + infectious_after))
        too_late = dated & ~not_infectious & (exposed > days[cases] - min_incubation)
        likelihood[not_infectious | too_late] = 0.0
        reason[not_infectious] = EXPOSURE_NOT_INFECTIOUS
        reason[too_late] = EXPOSURE_TOO_LATE

    scored = np.where(np.isfinite(likelihood), likelihood, 0.0)
    n = days.size
    total = np.bincount(cases, weights=scored, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        probability = np.where(np.isfinite(likelihood) & (total[cases] > 0),
                               scored / total[cases], np.nan)
    return Ranking(likelihood=likelihood, probability=probability,
                   rank=_ranks(cases, np.where(np.isfinite(likelihood), likelihood, -1.0)),
                   reason=[str(r) for r in reason])


def _ranks(group: NDArray[np.int64], key: NDArray[np.float64]) -> NDArray[np.int64]:
    """Competition ranks ("1224") of `key`, highest first, within each group."""
    rank = np.empty(group.size, dtype=np.int64)
    if group.size == 0:
        return rank
    order = np.lexsort((-key, group))
    g, k = group[order], key[order]
    idx = np.arange(group.size)
    first_of_group = np.r_[True, g[1:] != g[:-1]]
    first_of_run = first_of_group | np.r_[True, k[1:] != k[:-1]]
    group_start = np.maximum.accumulate(np.where(first_of_group, idx, 0))
    run_start = np.maximum.accumulate(np.where(first_of_run, idx, 0))
    rank[order] = run_start - group_start + 1
    return rank


def plausible_exposure_day(start: ArrayLike, end: ArrayLike, *, source_onset: ArrayLike,
                           case_onset: ArrayLike, infectious_before: float = 2.0,
                           infectious_after: float = 10.0,
                           min_incubation: float = 1.0) -> NDArray[np.float64]:
    """One day for each pair's exposure known only as a span [start, end] (two people at one
    setting on overlapping days): the day of the span that `rank_infectors` would accept —
    within the source's infectious period and at least `min_incubation` days before the case's
    onset — nearest the source's onset; when no day of the span is possible, the span's end
    nearest that window, so the ranking rules the pair out with its reason. NaN where the span
    or an onset is unknown (the ranking then uses the onsets alone)."""
    lo = np.asarray(start, dtype=np.float64)
    hi = np.asarray(end, dtype=np.float64)
    src = np.asarray(source_onset, dtype=np.float64)
    case = np.asarray(case_onset, dtype=np.float64)
    if not (lo.shape == hi.shape == src.shape == case.shape):
        raise InfectorInputError("start, end and the onsets must have one value per pair")
    if np.any(hi < lo):
        p = int(np.argmax(hi < lo))
        raise InfectorInputError(f"pair {p}: the exposure span ends before it starts")
    window_lo = src - infectious_before
    window_hi = np.minimum(src + infectious_after, case - min_incubation)
    a = np.maximum(lo, window_lo)
    b = np.minimum(hi, window_hi)
    with np.errstate(invalid="ignore"):
        possible = a <= b
        inside = np.clip(src, a, b)
        nearest = np.where(hi < window_lo, hi, lo)
    day = np.where(possible, inside, nearest)
    known = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(src) & np.isfinite(case)
    return np.where(known, np.rint(day), np.nan)


__all__ = ["EXPOSURE_NOT_INFECTIOUS", "EXPOSURE_TOO_LATE", "FITS", "NO_ONSET",
           "OUTSIDE_SERIAL_INTERVAL", "SOURCE_LATER", "InfectorInputError", "Ranking",
           "plausible_exposure_day", "rank_infectors"]
