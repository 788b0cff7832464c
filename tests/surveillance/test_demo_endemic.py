"""The endemic HFMD demo builder: report cards through the real importer, the known clusters in
them, deterministic and idempotent; and the COVID-19 demo's file unchanged by the shared code."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db.models import Max, Min

from shouwang.accounts.roles import Role
from shouwang.core.validators import parse_resident_id
from shouwang.demo import DemoContext, Scale, demo_builders
from shouwang.surveillance import demo, demo_endemic
from shouwang.surveillance.models import CaseReport, CaseStatus, DailyCount, ImportBatch
from tests.factories import make_user

TINY = Scale("tiny", "4201", 20, "the sample Wuhan districts")


@pytest.fixture
def tiny(db: None, divisions: None, var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(demo_endemic.MAX_CASES, "tiny", 300)
    monkeypatch.setitem(demo.MAX_CASES, "tiny", 40)
    make_user(Role.NATIONAL_OFFICER, "000000", username=demo.REPORTER)


def _ctx(seed: int) -> DemoContext:
    return DemoContext(scale=TINY, seed=seed, out=io.StringIO())


def _cards() -> list[tuple[object, ...]]:
    return list(CaseReport.objects.order_by("source_key").values_list(
        "source_key", "disease_id", "name", "id_number", "division_code", "classification",
        "severity", "occupation", "onset_date", "diagnosed_at", "reported_at"))


def test_builder_is_registered_after_the_outbreak() -> None:
    builders = {b.name: b for b in demo_builders()}
    assert builders["surveillance.endemic"].order == 55
    names = list(builders)
    assert names.index("surveillance.outbreak") < names.index("surveillance.endemic")


def test_builder_writes_years_of_hfmd_cards_and_is_idempotent(tiny: None) -> None:
    ctx = _ctx(2)
    demo_endemic.build_demo_endemic(ctx)
    first = _cards()
    assert 260 < len(first) < 340  # about the cap: 245 background + 55 injected
    assert all(str(row[0]).startswith("imp1:") for row in first)  # through the importer
    assert "手足口病 HFMD [" in ctx.out.getvalue()  # type: ignore[attr-defined]
    cases = list(CaseReport.objects.all())
    assert {c.disease_id for c in cases} == {"hfmd"}
    assert {c.division_code for c in cases} == {"420106", "420111"}
    under_five = sum(c.age_years is not None and c.age_years < 5 for c in cases)
    assert under_five > 0.8 * len(cases)
    assert {c.classification for c in cases} == {"clinical", "confirmed"}
    assert sum(c.classification == "clinical" for c in cases) > 0.8 * len(cases)
    assert {c.occupation for c in cases if c.age_years is not None and c.age_years < 3} <= {
        "scattered_child", "nursery_child"}
    for c in cases:
        assert c.status == CaseStatus.ACTIVE
        assert parse_resident_id(c.id_number).birth_date == c.birth_date
        assert c.onset_date is not None
        assert demo_endemic.ENDEMIC_START <= c.onset_date <= demo_endemic.ENDEMIC_END
        assert c.diagnosed_at <= c.reported_at <= c.diagnosed_at + timedelta(hours=96)
        assert c.onset_date <= c.diagnosed_at.date() + timedelta(days=1)
    # Enough history for Farrington flexible with three years back (b = 3: 3 × 52 weeks, the
    # window of w = 3 and the evaluated week) by the outbreak's last day, even in two counties.
    span = DailyCount.objects.filter(disease_id="hfmd", basis="report").aggregate(
        first=Min("day"), last=Max("day"))
    assert span["first"] < date(2023, 3, 1)
    assert demo_endemic.ENDEMIC_END - timedelta(days=7) <= span["last"] <= (
        demo_endemic.ENDEMIC_END)
    assert ((span["last"] - span["first"]).days + 1) // 7 >= 3 * 52 + 3 + 1

    again = _ctx(2)
    demo_endemic.build_demo_endemic(again)
    assert _cards() == first
    assert again.notes == ctx.notes
    assert ImportBatch.objects.count() == 1
    assert f"{len(first)} case reports ({len(first)} imported now, 0 already there" in (
        ctx.notes[-1])


def test_the_known_clusters_are_in_the_line_list(tiny: None) -> None:
    demo_endemic.build_demo_endemic(_ctx(2))
    for known in demo_endemic.ABERRATIONS:
        last = known.first_onset + timedelta(days=known.days - 1)
        window = CaseReport.objects.filter(division_code=known.county,
                                           onset_date__range=(known.first_onset, last))
        in_setting = [c for c in window if known.min_age <= (c.age_years or -1) <= known.max_age
                      and c.occupation == known.occupation]
        assert len(in_setting) >= known.cases, known
        # The same days a week earlier are quiet: the cluster is not the season's rise.
        before = CaseReport.objects.filter(
            division_code=known.county,
            onset_date__range=(known.first_onset - timedelta(days=known.days),
                               known.first_onset - timedelta(days=1))).count()
        assert before < known.cases / 3, (known, before)


def test_same_seed_same_cards_other_seed_other_cards(tiny: None) -> None:
    counties = demo.demo_counties(list(_ctx(1).divisions("county")))
    params = demo_endemic.endemic_params(counties, 200)
    assert [a.region for a in params.aberrations] == [1, 0]  # 420111, 420106

    def payloads(seed: int) -> list[dict[str, object]]:
        from shouwang.epi.endemic import simulate_endemic

        rng = _ctx(seed).rng("surveillance.endemic")
        sim = simulate_endemic([c.population for c in counties], params,
                               seed=rng.getrandbits(63))
        return demo.case_payloads(rng, sim.cases, counties, None, disease="hfmd",
                                  start_day=demo_endemic.ENDEMIC_START,
                                  occupations=list(sim.occupation))

    assert payloads(5) == payloads(5)
    assert payloads(5) != payloads(6)
    assert {p["disease"] for p in payloads(5)} == {"hfmd"}


def test_a_scale_without_the_clusters_counties_leaves_them_out() -> None:
    counties = [demo.County("420102", "江岸区", 30.6, 114.3, 9e5)]
    assert demo_endemic.endemic_params(counties, 500).aberrations == ()
    assert demo_endemic.endemic_params(counties, 500).target_cases == 500


def test_the_covid_demo_file_is_unchanged_by_the_shared_card_code(tiny: None) -> None:
    """The outbreak's line list must stay byte for byte what it was before the card code was
    shared with the endemic background: the importer finds a demo already imported by the
    file's hash. (Snapshot of the tiny scale, seed 3, taken before the change.)"""
    demo.build_demo_outbreak(_ctx(3))
    assert ImportBatch.objects.get().file_sha256 == (
        "87c5f8712814fa6d9ecd4dac45aac0f82037f21a7bdce4886990b624004b7538")
