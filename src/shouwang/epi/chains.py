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


# --- Additions for the tracing app (decision 1030): problems as indices, k's interval ---------


@dataclass(frozen=True)
class LinkProblem:
    """One bad link, named by case indices so the caller can name the cases its own way.

    kind: "self" (cases = (i,)), "onset" (cases = (infectee, infector)) or "cycle" (cases = the
    cycle's path, first case repeated at the end)."""

    kind: str
    cases: tuple[int, ...]


def link_problems(infector: ArrayLike, onset: ArrayLike | None = None, *,
                  max_onset_lead: float = 0.0) -> list[LinkProblem]:
    """Every self-link, every infectee ill more than `max_onset_lead` days before its infector
    (the rule of `check_links`) and every cycle of infector links — all of them, not only the
    first, for a service that reports each offending pair. An infector index outside the cases
    is still a ChainInputError (a caller's bug, not a user's)."""
    parent = np.asarray(infector)
    if parent.ndim != 1:
        raise ChainInputError("infector must be one index per case")
    parent = parent.astype(np.int64, copy=False)
    n = parent.size
    if np.any((parent < NO_INFECTOR) | (parent >= n)):
        raise ChainInputError("infector indices must lie in -1 … n-1")
    problems = [LinkProblem("self", (int(i),))
                for i in np.flatnonzero(parent == np.arange(n))]
    if onset is not None:
        days = np.asarray(onset, dtype=np.float64)
        if days.shape != parent.shape:
            raise ChainInputError("onset must have one value per case")
        linked = np.flatnonzero(parent >= 0)
        early = days[linked] < days[parent[linked]] - max_onset_lead
        early &= np.isfinite(days[linked]) & np.isfinite(days[parent[linked]])
        problems += [LinkProblem("onset", (int(i), int(parent[i]))) for i in linked[early]]
    # Cycles: with self-links cut, pointer jumping leaves exactly the cases on or below a cycle
    # without a root; each cycle is reported once.
    cut = np.where(parent == np.arange(n), NO_INFECTOR, parent)
    try:
        _roots_and_generations(cut)
    except ChainInputError:
        up = np.where(cut >= 0, cut, np.arange(n, dtype=np.int64))
        for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))) + 1)):
            up = up[up]
        seen: set[int] = set()
        for i in np.flatnonzero(cut[up] >= 0):
            path = _cycle_from(cut, int(i))
            members = frozenset(path[:-1])
            if members & seen:
                continue
            seen |= members
            start = path.index(min(members))
            ring = path[:-1]
            ring = ring[start:] + ring[:start]
            problems.append(LinkProblem("cycle", (*ring, ring[0])))
    return problems


@dataclass(frozen=True)
class KInterval:
    """The profile-likelihood interval of k at `level`; `high` is inf when the likelihood
    stays within the bound as k → inf (the data do not exclude a Poisson)."""

    low: float
    high: float
    level: float


def negbin_k_interval(counts: ArrayLike, level: float = 0.95) -> KInterval | None:
    """The profile-likelihood confidence interval of the negative binomial's k:
    {k : 2 (ℓ(k̂) − ℓ(k)) ≤ χ²₁(level)}, the mean held at its MLE (the sample mean, which
    does not depend on k, so this is the exact profile). As in Lloyd-Smith et al. (2005),
    Nature 438:355–359, supplementary methods. None when no k can be fitted (no counts or a
    zero mean); when k̂ is infinite (no over-dispersion) the interval is [low, inf)."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    x = np.asarray(counts, dtype=np.float64)
    if x.size == 0 or float(x.mean()) == 0:
        return None
    fit = negbin_fit(x)
    r = fit.r
    values, freq = np.unique(x, return_counts=True)
    cut = float(stats.chi2.ppf(level, 1)) / 2

    def drop(t: float) -> float:
        k = float(np.exp(t))
        ll = float(np.sum(freq * (special.gammaln(values + k) - special.gammaln(k)
                                  - special.gammaln(values + 1) + k * np.log(k / (k + r))
                                  + values * np.log(r / (k + r)))))
        return fit.loglik - ll - cut

    lo_t, hi_t = -12.0, 12.0
    centre = float(np.log(fit.k)) if np.isfinite(fit.k) else hi_t
    centre = min(max(centre, lo_t), hi_t)
    low = (float(np.exp(optimize.brentq(drop, lo_t, centre, xtol=1e-10)))
           if drop(lo_t) > 0 and drop(centre) < 0 else float(np.exp(lo_t)))
    if not np.isfinite(fit.k) or drop(hi_t) <= 0:
        high = float("inf")
    else:
        high = float(np.exp(optimize.brentq(drop, centre, hi_t, xtol=1e-10)))
    return KInterval(low=low, high=high, level=level)


def negbin_expected(fit: NegBinFit, upto: int) -> NDArray[np.float64]:
    """Expected numbers of cases with 0 … `upto` infectees under the fitted offspring
    distribution (fit.n cases): n · NegBin(x; mean r, size k), or n · Poisson(x; r) when k is
    infinite — what a histogram of the observed counts is compared with."""
    if upto < 0:
        raise ValueError(f"upto must be ≥ 0, got {upto}")
    x = np.arange(upto + 1)
    if fit.n == 0:
        return np.zeros(x.size)
    if not np.isfinite(fit.k) or fit.r == 0:
        return np.asarray(fit.n * stats.poisson.pmf(x, fit.r), dtype=np.float64)
    return np.asarray(fit.n * stats.nbinom.pmf(x, fit.k, fit.k / (fit.k + fit.r)),
                      dtype=np.float64)


__all__ = ["NO_INFECTOR", "ChainInputError", "Chains", "KInterval", "LinkProblem", "NegBinFit",
           "analyse_chains", "check_links", "link_problems", "negbin_expected", "negbin_fit",
           "negbin_k_interval"]
