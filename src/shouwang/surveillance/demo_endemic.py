"""Demo data for surveillance: years of endemic hand, foot and mouth disease (手足口病, hfmd).

A real surveillance system's bulk is seasonal endemic disease, and Farrington flexible needs
more than a year of it before it runs at all. The background comes from shouwang.epi.endemic
(seasonal negative-binomial onsets by county population, with year-to-year and local variation,
a weekend effect on diagnosis, child ages and report delays) from ENDEMIC_START to the COVID-19
demo's last day; ABERRATIONS are injected into it on known days and counties, the truth a
benchmark scores the early-warning methods against. The cases are dressed as report cards and
uploaded through the bulk importer by surveillance/demo.py's functions, as the outbreak is.

Deterministic for a seed and idempotent like the outbreak: fixed dates, its own random stream
(`ctx.rng("surveillance.endemic")`), and a file the importer has already imported adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from shouwang.accounts.models import User
from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.epi.endemic import NURSERY_CHILD, Aberration, EndemicParams, simulate_endemic
from shouwang.surveillance.demo import (
    OUTBREAK_DAYS,
    OUTBREAK_START,
    REPORTER,
    County,
    _import,
    case_payloads,
    demo_counties,
)

DISEASE = "hfmd"
ENDEMIC_START = date(2023, 1, 1)
# The last simulated day is the outbreak's (2026-04-29): the two diseases end together.
ENDEMIC_END = OUTBREAK_START + timedelta(days=OUTBREAK_DAYS - 1)
ENDEMIC_DAYS = (ENDEMIC_END - ENDEMIC_START).days + 1
# Reports written per scale (the background is scaled to it: a lower ascertainment), and at most
# this many per county and the scale's records_per_county. About 2.7 reports per county-week
# in the small demo, 1.7 in the province; the nation's 90,000 spread over ~2,850 counties are
# sparse in a county but seasonal in every province.
MAX_CASES = {"small": 6000, "province": 30_000, "national": 90_000}
CASES_PER_COUNTY_RECORD = 12
# Children are seen at maternal and child health hospitals as much as at general ones.
FACILITY_KINDS = ("人民医院", "人民医院", "妇幼保健院", "妇幼保健院", "中医医院", "第二人民医院")


@dataclass(frozen=True)
class KnownAberration:
    """`cases` extra HFMD onsets in `county` from `first_onset` over `days` days (reports follow
    about 1–3 days later), aged `min_age` … `max_age`, with `occupation` (a report-card code)."""

    county: str
    first_onset: date
    days: int
    cases: int
    setting: str
    min_age: int
    max_age: int
    occupation: str


# Injected on top of the background (never thinned: the reported size is `cases`); a scale
# without the county leaves it out. Both fall in the COVID-19 demo's period, when HFMD rises.
ABERRATIONS = (
    KnownAberration("420111", date(2026, 3, 9), 12, 30, "幼儿园聚集 kindergarten cluster",
                    3, 6, NURSERY_CHILD),
    KnownAberration("420106", date(2026, 4, 16), 10, 25, "托育机构聚集 childcare-centre cluster",
                    1, 3, NURSERY_CHILD),
)


def endemic_params(counties: Sequence[County], limit: int) -> EndemicParams:
    """The simulation's options for these counties: the known aberrations of the scale's
    counties and a background scaled so that everything comes to about `limit` reports."""
    codes = [c.code for c in counties]
    aberrations = tuple(
        Aberration(region=codes.index(a.county), start_day=(a.first_onset - ENDEMIC_START).days,
                   days=a.days, cases=a.cases, min_age=a.min_age, max_age=a.max_age,
                   occupation=a.occupation)
        for a in ABERRATIONS if a.county in codes)
    injected = sum(a.cases for a in aberrations)
    return EndemicParams(start=ENDEMIC_START, days=ENDEMIC_DAYS,
                         target_cases=max(limit - injected, 0), aberrations=aberrations)


def build_demo_endemic(ctx: DemoContext) -> None:
    counties = demo_counties(list(ctx.divisions("county")))
    if not counties:
        ctx.notes.append("Endemic HFMD: no counties in the scale's area; nothing simulated.")
        return
    reporter = User.objects.get(username=REPORTER)
    rng = ctx.rng("surveillance.endemic")
    limit = min(MAX_CASES.get(ctx.scale.name, MAX_CASES["small"]),
                CASES_PER_COUNTY_RECORD * ctx.scale.records_per_county * len(counties))
    params = endemic_params(counties, limit)
    sim = simulate_endemic([c.population for c in counties], params, seed=rng.getrandbits(63))
    payloads = case_payloads(rng, sim.cases, counties, None, disease=DISEASE,
                             start_day=ENDEMIC_START, occupations=[str(o) for o in sim.occupation],
                             facility_kinds=FACILITY_KINDS)
    batch = _import(ctx, reporter, payloads, file_stem=f"demo-endemic-{DISEASE}",
                    label="手足口病 HFMD")
    injected = [f"{counties[a.region].code} +{int((sim.aberration == i).sum())} from "
                f"{ENDEMIC_START + timedelta(days=a.start_day)}"
                for i, a in enumerate(params.aberrations)]
    ctx.notes.append(
        f"Endemic background ({DISEASE}, {ENDEMIC_START} to {ENDEMIC_END} in {len(counties)} "
        f"counties, ascertainment {sim.ascertainment:.3f}; injected: "
        f"{', '.join(injected) or 'none in this scale'}): "
        f"{len(payloads)} case reports ({batch.imported_rows} imported now, "
        f"{batch.existing_rows} already there, {batch.duplicate_rows} merged as repeats, "
        f"{batch.error_rows} refused)."
    )


register_demo_builder(DemoBuilder(
    name="surveillance.endemic", order=55, build=build_demo_endemic,
    description="endemic hand, foot and mouth disease since 2023 with two known clusters",
))

__all__ = ["ABERRATIONS", "ENDEMIC_END", "ENDEMIC_START", "KnownAberration",
           "build_demo_endemic", "endemic_params"]
