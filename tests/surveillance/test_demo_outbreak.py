"""The demo outbreak builder: valid cards through the real importer, deterministic, idempotent."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest

from shouwang.accounts.roles import Role
from shouwang.core.validators import parse_resident_id
from shouwang.demo import DemoContext, Scale, demo_builders
from shouwang.epi.outbreak import simulate_outbreak
from shouwang.surveillance import demo
from shouwang.surveillance.models import CaseReport, CaseStatus
from tests.factories import make_user

TINY = Scale("tiny", "4201", 20, "the sample Wuhan districts, a few dozen cases")


@pytest.fixture
def tiny(db: None, divisions: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(demo.MAX_CASES, "tiny", 40)
    make_user(Role.NATIONAL_OFFICER, "000000", username=demo.REPORTER)


def _ctx(seed: int) -> DemoContext:
    return DemoContext(scale=TINY, seed=seed, out=io.StringIO())


def _cards() -> list[tuple[object, ...]]:
    return list(CaseReport.objects.order_by("source_key").values_list(
        "source_key", "name", "id_number", "phone", "division_code", "classification",
        "onset_date", "diagnosed_at", "reported_at", "imported", "origin_division_code"))


def test_cases_are_capped_by_the_scale(db: None, divisions: None) -> None:
    make_user(Role.NATIONAL_OFFICER, "000000", username=demo.REPORTER)
    small = DemoContext(scale=Scale("few", "4201", 3, ""), seed=1, out=io.StringIO())
    demo.build_demo_outbreak(small)
    assert CaseReport.objects.count() == 2 * 3 * 2  # two sample counties


def test_builder_is_registered_after_the_users() -> None:
    names = [b.name for b in demo_builders()]
    assert names.index("accounts.users") < names.index("surveillance.outbreak")


def test_builder_writes_valid_cards_and_is_idempotent(tiny: None) -> None:
    ctx = _ctx(3)
    demo.build_demo_outbreak(ctx)
    first = _cards()
    assert len(first) == 40
    assert all(str(key).startswith("imp1:") for key, *_ in first)  # through the importer
    assert "[" in ctx.out.getvalue() and "40/40" in ctx.out.getvalue()  # type: ignore[attr-defined]
    for case in CaseReport.objects.all():
        assert case.division_code in {"420106", "420111"}
        assert case.status == CaseStatus.ACTIVE  # synthetic people are never duplicates
        parsed = parse_resident_id(case.id_number)
        assert parsed.number[:6] == case.division_code
        assert parsed.birth_date == case.birth_date
        assert case.reporting_facility.startswith(("武昌区", "洪山区"))
        assert case.diagnosed_at <= case.reported_at
        if case.onset_date is not None:
            # Onset is a local date; diagnosed_at is stored in UTC (8 hours behind).
            assert case.onset_date <= case.diagnosed_at.date() + timedelta(days=1)
        else:
            assert case.classification == "asymptomatic"
        if case.imported:
            assert case.origin_division_code or case.origin_country

    again = _ctx(3)
    demo.build_demo_outbreak(again)
    assert _cards() == first
    assert again.notes == ctx.notes
    assert "40 case reports (40 imported now, 0 already there" in ctx.notes[-1]


def test_same_seed_same_cards_other_seed_other_cards(tiny: None) -> None:
    counties = demo.demo_counties(list(_ctx(1).divisions("county")))
    params = demo.outbreak_params(counties)

    def payloads(seed: int) -> list[dict[str, object]]:
        rng = _ctx(seed).rng("surveillance.outbreak")
        o = simulate_outbreak([c.population for c in counties], [c.latitude for c in counties],
                              [c.longitude for c in counties], params, seed=rng.getrandbits(63))
        return demo.case_payloads(rng, demo.thin(o.cases, 30, rng), counties, None)

    assert payloads(5) == payloads(5)
    assert payloads(5) != payloads(6)
    assert len(payloads(5)) == 30


def test_the_national_demo_seeds_later_outbreaks_in_other_hubs() -> None:
    import random

    counties = [demo.County("420106", "武昌区", 30.55, 114.31, 9e5),
                demo.County("420111", "洪山区", 30.50, 114.34, 9e5),
                demo.County("440106", "天河区", 23.12, 113.36, 9e5),
                demo.County("440104", "越秀区", 23.13, 113.27, 9e5)]
    params = demo.outbreak_params(counties)
    cases, infections, starts = demo.simulate_outbreaks(counties, params, random.Random(5))
    later = dict(demo.FURTHER_OUTBREAKS)["440106"]
    assert starts == [f"420106 {demo.OUTBREAK_START}",
                      f"440106 {demo.OUTBREAK_START + timedelta(days=later)}"]
    assert infections > 0 and len(cases) > 0
    # Everything stays on the common calendar: nothing after the last day.
    assert cases.report_hours.max() <= 24 * demo.OUTBREAK_DAYS
    # Guangzhou's epidemic starts on its day (with this seed Wuhan's does not reach Guangzhou
    # earlier), so no local case there is infected before it.
    guangzhou = np.isin(cases.region, [2, 3]) & ~cases.imported
    assert (cases.infection_day[guangzhou] >= later).all()


def test_a_later_outbreak_is_shifted_onto_the_common_calendar() -> None:
    base = simulate_outbreak([5e5, 5e5], [30.5, 30.6], [114.3, 114.4],
                             demo.OutbreakParams(days=40, intervention_day=None), seed=3).cases
    shifted = demo._shifted(base, 10)
    assert (shifted.infection_day == base.infection_day + 10).all()
    assert ((shifted.onset_day == -1) == (base.onset_day == -1)).all()
    onset = base.onset_day >= 0
    assert (shifted.onset_day[onset] == base.onset_day[onset] + 10).all()
    assert np.allclose(shifted.report_hours, base.report_hours + 240)
