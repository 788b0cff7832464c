"""Transmission chains: who infected whom, as a forest of infector → infectee links.

Each case has at most one infector (its source); cases without one are the roots of their
chains. From that, vectorised over millions of cases (pointer jumping: log₂(depth) passes over
the arrays, no Python loop per case):

- the chain (root) of every case, chain sizes and their distribution;
- generations (the root is generation 0, its infectees 1, …);
- the offspring distribution (infectees per case), its mean R and the dispersion k of a
  negative binomial fitted by maximum likelihood (as `MASS::fitdistr(x, "negative binomial")`,
  checked against it), and the super-spreaders: cases with more infectees than the 99th
  percentile of a Poisson(R) — Lloyd-Smith et al. (2005), Nature 438:355–359;
- optionally the connected components of a wider undirected graph (contact edges between
  cases, e.g. household or workplace links) in which the chains sit.

Bad links are errors, never guesses: an infector that is not a case, a case that is its own
infector, a cycle of infector links, and (with onsets) an infectee whose onset precedes the
infector's exposure — checked as onset(infectee) < onset(infector) − `max_onset_lead` days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, sparse, special, stats
from scipy.sparse import csgraph

NO_INFECTOR = -1


class ChainInputError(ValueError):
    """Links the analysis cannot use; the message names the first offending case."""


@dataclass(frozen=True)
class NegBinFit:
    """Offspring ~ NegBin(mean r, size k); k = inf when the counts are not over-dispersed."""

    r: float
    k: float
    loglik: float
    n: int


@dataclass(frozen=True)
class Chains:
    root: NDArray[np.int64]          # per case: the index of its chain's root
    generation: NDArray[np.int64]    # per case: links from its root
    offspring: NDArray[np.int64]     # per case: its infectees
    chain_size: NDArray[np.int64]    # per case: the size of its chain
    roots: NDArray[np.int64]         # indices of the roots
    fit: NegBinFit
    superspreading_threshold: int    # more infectees than this is a super-spreading event
    components: NDArray[np.int64] | None = field(default=None)  # with contact edges


def check_links(infector: ArrayLike, onset: ArrayLike | None = None, *,
                max_onset_lead: float = 0.0,
                day_label: Callable[[float], str] = "{:g}".format) -> NDArray[np.int64]:
    """The infector index of every case (NO_INFECTOR = none) as int64, checked. `day_label`
    writes an onset day in messages (e.g. back as a date)."""
    parent = np.asarray(infector)
    if parent.ndim != 1:
        raise ChainInputError("infector must be one index per case")
    if parent.size and not np.issubdtype(parent.dtype, np.integer):
        raise ChainInputError("infector indices must be whole numbers")
    parent = parent.astype(np.int64, copy=False)
    n = parent.size
    bad = (parent < NO_INFECTOR) | (parent >= n)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ChainInputError(f"case {i}: infector {int(parent[i])} is not a case")
    own = parent == np.arange(n)
    if np.any(own):
        raise ChainInputError(f"case {int(np.argmax(own))} is its own infector")
    if onset is not None:
        days = np.asarray(onset, dtype=np.float64)
        if days.shape != parent.shape:
            raise ChainInputError("onset must have one value per case")
        linked = np.flatnonzero(parent >= 0)
        early = days[linked] < days[parent[linked]] - max_onset_lead
        early &= np.isfinite(days[linked]) & np.isfinite(days[parent[linked]])
        if np.any(early):
            i = int(linked[np.argmax(early)])
            raise ChainInputError(
                f"case {i}: onset {day_label(days[i])} precedes its infector {int(parent[i])}'s "
                f"onset {day_label(days[parent[i]])}: the infectee fell ill before its source "
                f"could have exposed it")
    return parent


def _roots_and_generations(parent: NDArray[np.int64]
                           ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pointer jumping: after pass j every case points 2^j links up (or at its root)."""
    n = parent.size
    index = np.arange(n, dtype=np.int64)
    up = np.where(parent >= 0, parent, index)
    depth = (parent >= 0).astype(np.int64)
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))) + 1)):
        jump = up[up]
        if np.array_equal(jump, up):
            break
        depth = depth + depth[up]
        up = jump
    stuck = parent[up] >= 0
    if np.any(stuck):
        i = int(np.argmax(stuck))
        cycle = _cycle_from(parent, i)
        raise ChainInputError(
            "infector links form a cycle: " + " → ".join(str(c) for c in cycle))
    return up, depth


def _cycle_from(parent: NDArray[np.int64], start: int) -> list[int]:
    seen: dict[int, int] = {}
    path: list[int] = []
    node = start
    while node >= 0 and node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = int(parent[node])
    return [*path[seen[node]:], node] if node >= 0 else path


def negbin_fit(counts: ArrayLike) -> NegBinFit:
    """Maximum-likelihood NegBin(mean r, size k) of non-negative counts. The mean's MLE is the
    sample mean; k maximises the profile likelihood (k = inf, Poisson, when the variance does
    not exceed the mean)."""
    x = np.asarray(counts, dtype=np.float64)
    if x.size == 0:
        raise ChainInputError("no offspring counts to fit")
    r = float(x.mean())
    values, freq = np.unique(x, return_counts=True)

    def loglik(k: float) -> float:
        if not np.isfinite(k):
            return float(np.sum(freq * stats.poisson.logpmf(values, r)))
        return float(np.sum(freq * (special.gammaln(values + k) - special.gammaln(k)
                                    - special.gammaln(values + 1) + k * np.log(k / (k + r))
                                    + values * np.log(r / (k + r) if r > 0 else 1.0))))

    if r == 0 or x.var() <= r:
        return NegBinFit(r=r, k=float("inf"), loglik=loglik(float("inf")), n=int(x.size))
    best = optimize.minimize_scalar(lambda t: -loglik(float(np.exp(t))), bounds=(-12.0, 12.0),
                                    method="bounded", options={"xatol": 1e-10})
    k = float(np.exp(best.x))
    return NegBinFit(r=r, k=k, loglik=loglik(k), n=int(x.size))


def analyse_chains(infector: ArrayLike, *, onset: ArrayLike | None = None,
                   max_onset_lead: float = 0.0,
                   contacts: tuple[ArrayLike, ArrayLike] | None = None,
                   day_label: Callable[[float], str] = "{:g}".format,
                   offspring_until: float | None = None) -> Chains:
    """Chains, generations, offspring statistics and k of one outbreak's cases (see the module
    docstring). `contacts` = (a, b): undirected edges between case indices whose connected
    components (with the infector links) are returned too.

    `offspring_until` (a day, needs `onset`): only cases with an onset on or before it enter
    the offspring fit and the super-spreading threshold — later cases have not finished
    infecting others, and counting their zeros biases R and k low in an ongoing outbreak. Their
    infectees still count for the earlier cases, and `offspring` is still given for everyone."""
    parent = check_links(infector, onset, max_onset_lead=max_onset_lead, day_label=day_label)
    n = parent.size
    root, generation = _roots_and_generations(parent)
    offspring = np.bincount(parent[parent >= 0], minlength=n).astype(np.int64)
    size_of_root = np.bincount(root, minlength=n).astype(np.int64)
    counted = offspring
    if offspring_until is not None:
        if onset is None:
            raise ChainInputError("offspring_until needs the onsets")
        days = np.asarray(onset, dtype=np.float64)
        counted = offspring[np.isfinite(days) & (days <= offspring_until)]
        if counted.size == 0:
            raise ChainInputError(
                f"no case has an onset on or before {day_label(offspring_until)}")
    fit = negbin_fit(counted) if counted.size else NegBinFit(0.0, float("inf"), 0.0, 0)
    threshold = int(stats.poisson.ppf(0.99, fit.r)) if fit.r > 0 else 0
    components = None
    if contacts is not None:
        a = np.asarray(contacts[0], dtype=np.int64)
        b = np.asarray(contacts[1], dtype=np.int64)
        if a.shape != b.shape or np.any((a < 0) | (a >= n) | (b < 0) | (b >= n)):
            raise ChainInputError("contact edges must be pairs of case indices")
        linked = np.flatnonzero(parent >= 0)
        rows = np.concatenate([a, linked])
        cols = np.concatenate([b, parent[linked]])
        graph = sparse.coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)),
                                  shape=(n, n)).tocsr()
        _count, labels = csgraph.connected_components(graph, directed=False)
        components = labels.astype(np.int64)
    return Chains(root=root, generation=generation, offspring=offspring,
                  chain_size=size_of_root[root], roots=np.flatnonzero(parent < 0),
                  fit=fit, superspreading_threshold=threshold, components=components)


__all__ = ["NO_INFECTOR", "ChainInputError", "Chains", "NegBinFit", "analyse_chains",
           "check_links", "negbin_fit"]
