"""The demo's plan of who infected whom, and the choice of the cases it traces (pure: no
database). Used by tracing/demo.py; decision docs/decisions/1040-flows-import-and-demo.md."""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from shouwang.tracing.models import SettingKind

P_LINK = 0.72          # a local traced case with candidates gets a confirmed infector
NEIGHBOUR_WEIGHT = 0.25  # a candidate in a neighbouring county, against 1 in the own county
MAX_OFFSPRING = 4      # infectees of one case outside super-spreading events
P_FOUND = 0.6          # an infectee diagnosed after its infector was already a contact


@dataclass(frozen=True)
class Traced:
    """A traced case as the plan sees it (no personal data)."""

    pk: int
    key: str          # the case's source key: what every draw is keyed by
    county: str
    day: date         # onset, or diagnosis day without one
    diagnosed: date
    imported: bool


@dataclass(frozen=True)
class PlannedLink:
    infector: int
    infectee: int
    kind: str          # where: household, workplace or gathering
    place: str         # the setting's county (the infector's)
    exposed_on: date
    found_under_follow_up: bool
    spreader: bool = False


@dataclass
class Plan:
    links: dict[int, PlannedLink] = field(default_factory=dict)   # by infectee

    def infectees_of(self, infector: int) -> list[PlannedLink]:
        return [p for p in self.links.values() if p.infector == infector]


def draw(ctx_rng: Callable[[str], random.Random], key: str, what: str) -> random.Random:
    return ctx_rng(f"tracing:{what}:{key}")


def neighbours(counties: dict[str, tuple[float, float]], k: int = 3) -> dict[str, list[str]]:
    """The k nearest other counties of each county, by centroid (lat, lon)."""
    out: dict[str, list[str]] = {}
    for code, (lat, lon) in counties.items():
        scale = math.cos(math.radians(lat))
        near = sorted((c for c in counties if c != code),
                      key=lambda c: ((counties[c][0] - lat) ** 2
                                     + ((counties[c][1] - lon) * scale) ** 2, c))
        out[code] = near[:k]
    return out


def plan_links(cases: Sequence[Traced], near: dict[str, list[str]],
               ctx_rng: Callable[[str], random.Random], spreaders: int) -> Plan:
    """Who infected whom among `cases` (sorted by day): see the module's docstring. An infector
    is always ill at least two days before its infectee, so the plan has no cycle."""
    plan = Plan()
    ordered = sorted(cases, key=lambda c: (c.day, c.key))

    def candidates(case: Traced) -> tuple[list[Traced], list[Traced]]:
        earlier = [c for c in ordered if 2 <= (case.day - c.day).days <= 10]
        same = [c for c in earlier if c.county == case.county[:6]]
        close = [c for c in earlier if c.county in near.get(case.county[:6], [])]
        return same, close

    def link(rng: random.Random, case: Traced, infector: Traced, kind: str,
             spreader: bool = False) -> PlannedLink:
        gap = (case.day - infector.day).days
        exposed = case.day - timedelta(days=rng.randint(2, max(2, min(gap, 6))))
        found = infector.diagnosed < case.diagnosed and rng.random() < P_FOUND
        return PlannedLink(infector.pk, case.pk, kind, infector.county[:6],
                           max(exposed, infector.day - timedelta(days=2)), found, spreader)

    offspring: dict[int, int] = defaultdict(int)
    for case in ordered:
        if case.imported:
            continue
        rng = draw(ctx_rng, case.key, "link")
        same, close = candidates(case)
        if not same and not close:
            continue
        if rng.random() >= P_LINK:
            continue
        # Every candidate may be the one, a neighbour's less likely; a case that has infected
        # MAX_OFFSPRING already is left out (super-spreading comes from the events below).
        pool = [c for c in same + close if offspring[c.pk] < MAX_OFFSPRING]
        if not pool:
            continue
        weights = [1.0 if c in same else NEIGHBOUR_WEIGHT for c in pool]
        infector = rng.choices(pool, weights=weights)[0]
        u = rng.random()
        kind = SettingKind.HOUSEHOLD if u < 0.6 else (
            SettingKind.WORKPLACE if u < 0.85 else SettingKind.GATHERING)
        plan.links[case.pk] = link(rng, case, infector, kind)
        offspring[infector.pk] += 1

    # Super-spreading events: a gathering where one case infected 4–7 others.
    rng = ctx_rng("tracing:superspreaders")
    early = ordered[: max(1, len(ordered) * 2 // 3)]
    chosen: list[Traced] = []
    for spreader in rng.sample(early, min(spreaders, len(early))):
        if spreader.pk in {p.infectee for p in plan.links.values() if p.spreader}:
            continue
        pool = [c for c in ordered if not c.imported and 2 <= (c.day - spreader.day).days <= 8
                and (c.county[:6] == spreader.county[:6]
                     or c.county[:6] in near.get(spreader.county[:6], []))
                and c.pk not in {s.pk for s in chosen}
                and not (c.pk in plan.links and plan.links[c.pk].spreader)]
        if len(pool) < 3:
            continue
        chosen.append(spreader)
        for case in rng.sample(pool, min(len(pool), rng.randint(4, 7))):
            plan.links[case.pk] = link(draw(ctx_rng, case.key, "spread"), case, spreader,
                                       SettingKind.GATHERING, spreader=True)
    return plan


@dataclass(frozen=True, order=True)
class Row:
    """A case as the choice of traced cases reads it: four columns, nothing personal."""

    day: date
    key: str
    pk: int
    county: str


def choose_traced(rows: Sequence[Row], cap: int, near: dict[str, list[str]],
                  per_county: int = 2, infectors: int = 4) -> list[Row]:
    """At most `cap` of `rows`: half from the tail (the last cases: the follow-ups of the last
    days), half from the emergence — for each county in the order its first case fell ill, its
    first `per_county` cases and up to `infectors` cases of it or its neighbours ill 2–10 days
    before (where its first case came from), so that chains can cross counties; any budget
    left takes the earliest cases. Pure; the order of `rows` does not matter."""
    ordered = sorted(rows)
    tail = ordered[len(ordered) - (cap - cap // 2):] if cap - cap // 2 else []
    chosen: dict[int, Row] = {r.pk: r for r in tail}
    budget = cap - len(chosen)
    head = ordered[: len(ordered) - len(tail)]
    head_days = [r.day for r in head]
    by_county: dict[str, list[Row]] = defaultdict(list)
    for r in head:
        by_county[r.county].append(r)
    for county in sorted(by_county, key=lambda c: (by_county[c][0].day, c)):
        firsts = by_county[county][:per_county]
        start = firsts[0].day
        around = {county, *near.get(county, [])}
        window = head[bisect_left(head_days, start - timedelta(days=10)):
                      bisect_right(head_days, start - timedelta(days=2))]
        sources = [r for r in window if r.county in around and r not in firsts][-infectors:]
        wanted = [r for r in (*sources, *firsts) if r.pk not in chosen]
        if len(wanted) > budget:
            break
        chosen.update((r.pk, r) for r in wanted)
        budget -= len(wanted)
    for r in head:
        if budget <= 0:
            break
        if r.pk not in chosen:
            chosen[r.pk] = r
            budget -= 1
    return sorted(chosen.values())


__all__ = ["MAX_OFFSPRING", "NEIGHBOUR_WEIGHT", "P_FOUND", "P_LINK", "Plan", "PlannedLink", "Row",
           "Traced", "choose_traced", "draw", "neighbours", "plan_links"]
