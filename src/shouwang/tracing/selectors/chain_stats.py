"""Chain statistics of a jurisdiction, disease and period (decision 1030), from the confirmed
links by shouwang.epi.chains:

- the cases: active confirmed, asymptomatic and clinically diagnosed cases of the disease in
  the viewer's jurisdiction (or a division under it) whose day — onset, or diagnosis for an
  asymptomatic infection — falls in the period;
- chains among them (a link whose infector lies outside the cases counts in `outside_links`;
  its infectee then starts a chain here), chain sizes, generations, the offspring distribution
  with R, the negative binomial k and its profile-likelihood interval, the expected counts of the
  fit, super-spreading events (Lloyd-Smith: more infectees than Poisson(R)'s 99th percentile);
- the offspring fit counts only cases ill on or before `offspring_until` (default: the period's
  end less the serial interval's mean + 2 sd): later cases have not finished infecting others;
- cases of unknown source: an investigation that says so, or a confirmed case or asymptomatic
  infection without a confirmed infector that is not imported and whose investigation names no
  known source (contact, cluster, importation);
- the share of new cases already under follow-up when found: among the investigations of the
  cases reported in the period, those with `found_under_follow_up` (a key control indicator),
  overall and by week.

No personal data: cases are named by report number and division only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shouwang.core.scoping import in_jurisdiction, prefix_q, scoped
from shouwang.epi.chains import (
    NO_INFECTOR,
    ChainInputError,
    analyse_chains,
    negbin_expected,
    negbin_k_interval,
)
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import CaseReport, CaseStatus, Classification
from shouwang.tracing.models import Investigation, LinkStatus, SourceStatus, TransmissionLink

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

COUNTED = (Classification.CONFIRMED, Classification.ASYMPTOMATIC, Classification.CLINICAL)
UNKNOWN_CLASSES = (Classification.CONFIRMED, Classification.ASYMPTOMATIC)
KNOWN_SOURCES = (SourceStatus.KNOWN_CONTACT, SourceStatus.CLUSTER, SourceStatus.IMPORTED)
TOP = 20
LIST_MAX = 200


@dataclass(frozen=True)
class CaseRef:
    case_id: int
    division_code: str
    division_name: str
    day: date
    count: int = 0        # infectees, or chain size, as the list says


@dataclass(frozen=True)
class WeekShare:
    week_start: date
    investigations: int
    under_follow_up: int

    @property
    def share(self) -> float | None:
        return self.under_follow_up / self.investigations if self.investigations else None


@dataclass
class ChainStats:
    disease: str
    start: date
    end: date
    division_code: str
    cases: int = 0
    links: int = 0
    outside_links: int = 0
    chains: int = 0
    chains_of_two_or_more: int = 0
    size_distribution: dict[int, int] = field(default_factory=dict)
    largest: list[CaseRef] = field(default_factory=list)
    generation_distribution: dict[int, int] = field(default_factory=dict)
    max_generation: int = 0
    offspring_distribution: dict[int, int] = field(default_factory=dict)
    expected_offspring: list[float] = field(default_factory=list)
    fitted: int = 0
    offspring_until: date | None = None
    mean_r: float | None = None
    k: float | None = None           # None: no over-dispersion (k infinite) or no fit
    k_low: float | None = None
    k_high: float | None = None      # None with k_low set: the interval is open above
    share_causing_80: float | None = None
    sse_threshold: int | None = None
    sse: list[CaseRef] = field(default_factory=list)
    unknown_source: int = 0
    unknown_list: list[CaseRef] = field(default_factory=list)
    investigations: int = 0
    found_under_follow_up: int = 0
    weekly: list[WeekShare] = field(default_factory=list)
    problem: str = ""

    @property
    def share_under_follow_up(self) -> float | None:
        return self.found_under_follow_up / self.investigations if self.investigations else None

    @property
    def unknown_share(self) -> float | None:
        return self.unknown_source / self.cases if self.cases else None

    def as_dict(self) -> dict[str, Any]:
        def ref(r: CaseRef) -> dict[str, Any]:
            return {"case_id": r.case_id, "division_code": r.division_code,
                    "division_name": r.division_name, "day": r.day.isoformat(),
                    "count": r.count}
        return {
            "disease": self.disease, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "division_code": self.division_code,
            "cases": self.cases, "links": self.links, "outside_links": self.outside_links,
            "chains": {"count": self.chains, "of_two_or_more": self.chains_of_two_or_more,
                       "size_distribution": {str(k): v for k, v in
                                             self.size_distribution.items()},
                       "largest": [ref(r) for r in self.largest]},
            "generations": {"max": self.max_generation,
                            "distribution": {str(k): v for k, v in
                                             self.generation_distribution.items()}},
            "offspring": {"distribution": {str(k): v for k, v in
                                           self.offspring_distribution.items()},
                          "expected": self.expected_offspring, "fitted": self.fitted,
                          "fitted_until": (self.offspring_until.isoformat()
                                           if self.offspring_until else None),
                          "mean_r": self.mean_r, "k": self.k, "k_low": self.k_low,
                          "k_high": self.k_high,
                          "share_of_cases_causing_80_percent": self.share_causing_80},
            "superspreading": {"threshold": self.sse_threshold,
                               "events": [ref(r) for r in self.sse]},
            "unknown_source": {"count": self.unknown_source, "share": self.unknown_share,
                               "cases": [ref(r) for r in self.unknown_list]},
            "found_under_follow_up": {
                "investigations": self.investigations, "count": self.found_under_follow_up,
                "share": self.share_under_follow_up,
                "weekly": [{"week_start": w.week_start.isoformat(),
                            "investigations": w.investigations,
                            "under_follow_up": w.under_follow_up, "share": w.share}
                           for w in self.weekly]},
            "problem": self.problem,
        }


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_cases(*, user: User | AnonymousUser, disease: str, start: date, end: date,
                 division: str = "") -> QuerySet[CaseReport]:
    """The counted cases of the disease whose day falls in [start, end], in the viewer's
    jurisdiction (and under `division` when given: Http404 outside the jurisdiction)."""
    qs = scoped(CaseReport.objects.filter(disease_id=disease, status=CaseStatus.ACTIVE,
                                          classification__in=COUNTED), user)
    if division:
        if not (division.isdigit() and in_jurisdiction(user, division)):
            raise Http404
        qs = qs.filter(prefix_q("division_code", division))
    in_period = (Q(onset_date__gte=start, onset_date__lte=end)
                 | Q(onset_date__isnull=True, diagnosed_at__gte=_aware(start),
                     diagnosed_at__lt=_aware(end + timedelta(days=1))))
    return qs.filter(in_period)


def default_offspring_until(disease: str, end: date) -> date | None:
    """The period's end less the serial interval's mean + 2 sd (None: no serial interval)."""
    from shouwang.warning.services.nightly_config import serial_intervals

    si = serial_intervals().get(disease)
    if si is None:
        return None
    return end - timedelta(days=math.ceil(si.mean + 2 * si.sd))


def chain_statistics(*, user: User | AnonymousUser, disease: str, start: date, end: date,
                     division: str = "", offspring_until: date | None = None,
                     until_default: bool = True) -> ChainStats:
    """The figures of the module docstring. `offspring_until` None with `until_default` takes
    `default_offspring_until`; with `until_default=False` every case is fitted."""
    stats = ChainStats(disease=disease, start=start, end=end, division_code=division)
    cases = period_cases(user=user, disease=disease, start=start, end=end, division=division)
    rows = list(cases.values_list("pk", "onset_date", "diagnosed_at", "division_code",
                                  "imported", "classification"))
    _follow_up(stats, user=user, disease=disease, start=start, end=end, division=division)
    if not rows:
        return stats
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    order = np.argsort(ids)
    rows = [rows[i] for i in order]
    ids = ids[order]
    index = {int(pk): i for i, pk in enumerate(ids)}
    days = [r[1] or timezone.localdate(r[2]) for r in rows]
    onset = np.array([d.toordinal() for d in days], dtype=np.float64)
    parent = np.full(len(rows), NO_INFECTOR, dtype=np.int64)
    linked = set()
    for infector_id, infectee_id in TransmissionLink.objects.filter(
            status=LinkStatus.CONFIRMED, infectee__in=cases.values("pk")).values_list(
            "infector_id", "infectee_id"):
        linked.add(infectee_id)
        if infector_id in index:
            parent[index[infectee_id]] = index[infector_id]
        else:
            stats.outside_links += 1
    stats.cases = len(rows)
    stats.links = int((parent >= 0).sum())
    if offspring_until is None and until_default:
        offspring_until = default_offspring_until(disease, end)
    if offspring_until is not None and offspring_until < start:
        offspring_until = None
    try:
        result = analyse_chains(parent, onset=onset, max_onset_lead=math.inf,
                                offspring_until=(float(offspring_until.toordinal())
                                                 if offspring_until else None))
    except ChainInputError as error:
        stats.problem = str(error)
        return stats
    names = division_names(sorted({r[3] for r in rows}))

    def ref(i: int, count: int = 0) -> CaseRef:
        return CaseRef(case_id=int(ids[i]), division_code=rows[i][3],
                       division_name=names.get(rows[i][3], ""), day=days[i], count=count)

    roots = result.roots
    sizes = result.chain_size[roots]
    stats.chains = int(roots.size)
    stats.chains_of_two_or_more = int((sizes >= 2).sum())
    stats.size_distribution = {int(s): int(n) for s, n in enumerate(np.bincount(sizes)) if n}
    big = roots[np.argsort(-sizes, kind="stable")[:TOP]]
    stats.largest = [ref(int(r), int(result.chain_size[r])) for r in big
                     if result.chain_size[r] >= 2]
    stats.max_generation = int(result.generation.max(initial=0))
    stats.generation_distribution = {g: int(n) for g, n in
                                     enumerate(np.bincount(result.generation)) if n}
    if offspring_until is not None:
        counted = result.offspring[onset <= offspring_until.toordinal()]
    else:
        counted = result.offspring
    stats.offspring_until = offspring_until
    stats.fitted = result.fit.n
    stats.offspring_distribution = {x: int(n) for x, n in enumerate(np.bincount(counted))
                                    if n} if counted.size else {}
    if result.fit.n:
        stats.mean_r = result.fit.r
        stats.k = None if math.isinf(result.fit.k) else result.fit.k
        upto = int(counted.max(initial=0))
        stats.expected_offspring = [float(v) for v in negbin_expected(result.fit, upto)]
        interval = negbin_k_interval(counted)
        if interval is not None:
            stats.k_low = interval.low
            stats.k_high = None if math.isinf(interval.high) else interval.high
        total = int(result.offspring.sum())
        if total:
            ranked = np.sort(result.offspring)[::-1]
            reach = int(np.searchsorted(np.cumsum(ranked), 0.8 * total) + 1)
            stats.share_causing_80 = reach / len(rows)
    stats.sse_threshold = result.superspreading_threshold
    spreaders = np.flatnonzero(result.offspring > result.superspreading_threshold)
    spreaders = spreaders[np.argsort(-result.offspring[spreaders], kind="stable")]
    stats.sse = [ref(int(i), int(result.offspring[i])) for i in spreaders[:LIST_MAX]]
    _unknown(stats, rows, ids, linked, ref, cases)
    return stats


def _unknown(stats: ChainStats, rows: list[tuple[Any, ...]], ids: np.ndarray[Any, Any],
             linked: set[int], ref: Any, cases: QuerySet[CaseReport]) -> None:
    status = dict(Investigation.objects.filter(case__in=cases.values("pk"))
                  .values_list("case_id", "source_status"))
    unknown: list[int] = []
    for i, row in enumerate(rows):
        pk, imported, classification = int(ids[i]), row[4], row[5]
        said = status.get(pk)
        if said == SourceStatus.UNKNOWN or (
                classification in UNKNOWN_CLASSES and pk not in linked and not imported
                and said not in KNOWN_SOURCES):
            unknown.append(i)
    stats.unknown_source = len(unknown)
    stats.unknown_list = [ref(i) for i in unknown[:LIST_MAX]]


def _follow_up(stats: ChainStats, *, user: User | AnonymousUser, disease: str, start: date,
               end: date, division: str) -> None:
    qs = scoped(Investigation.objects.filter(
        case__disease_id=disease, case__status=CaseStatus.ACTIVE,
        case__reported_at__gte=_aware(start),
        case__reported_at__lt=_aware(end + timedelta(days=1))), user)
    if division:
        qs = qs.filter(prefix_q("division_code", division))
    totals = qs.aggregate(n=Count("pk"), under=Count("pk", filter=Q(found_under_follow_up=True)))
    stats.investigations = int(totals["n"] or 0)
    stats.found_under_follow_up = int(totals["under"] or 0)
    weeks: dict[date, list[int]] = {}
    for reported, under in qs.values_list("case__reported_at", "found_under_follow_up"):
        day = timezone.localdate(reported)
        week = day - timedelta(days=day.weekday())
        entry = weeks.setdefault(week, [0, 0])
        entry[0] += 1
        entry[1] += int(bool(under))
    stats.weekly = [WeekShare(week, n, u) for week, (n, u) in sorted(weeks.items())]


__all__ = ["COUNTED", "CaseRef", "ChainStats", "WeekShare", "chain_statistics",
           "default_offspring_until", "period_cases"]
