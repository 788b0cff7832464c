"""The livelihood demo builder: a rural population hit by the small demo's outbreak, written
through the services, deterministic and idempotent (a second run adds nothing, prints the same)."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import pytest
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.demo import DemoContext, Scale, demo_builders
from shouwang.geo.models import Division, Level
from shouwang.geo.names import romanise
from shouwang.geo.source import source_divisions
from shouwang.livelihood import demo
from shouwang.livelihood import demo_population as pop
from shouwang.livelihood.models import (
    Household,
    IncomeRecord,
    Member,
    MonitoringFlag,
    MonitoringRun,
    MonitoringThreshold,
    Shock,
    Signal,
)
from shouwang.surveillance.models import CaseReport
from tests.warning.test_detection_e2e import small_demo_outbreak

pytestmark = pytest.mark.django_db
WEST = ("520000", "522600", "522634", "620000", "621100", "621121")


def _load_west() -> None:
    for d in source_divisions():
        if d.code in WEST and not Division.objects.filter(code=d.code).exists():
            Division(code=d.code, name=d.name, name_en=romanise(d.name), level=d.level,
                     parent_id=d.parent_code, kind=d.kind).save()


def _state() -> tuple[object, ...]:
    return (Household.objects.count(), Member.objects.count(), IncomeRecord.objects.count(),
            Shock.objects.count(), sorted(Signal.objects.values_list("pk", "status")),
            sorted(MonitoringFlag.objects.values_list("pk", "status")),
            MonitoringRun.objects.count(), MonitoringThreshold.objects.count(),
            Division.objects.count(), AuditEvent.objects.count())


def test_builder_runs_after_the_risk_levels() -> None:
    builders = {b.name: b.order for b in demo_builders()}
    assert builders["livelihood.population"] == 90 > builders["risk.levels"]


def test_the_plan_is_fixed_by_the_seed() -> None:
    today = date(2026, 11, 30)
    stopped = {"420104": pop.Interruption(date(2025, 12, 10), date(2026, 3, 31))}

    def plan(seed: int) -> list[tuple[str, str, float]]:
        return [(h.number, h.members[0].id_number, round(float(h.income.sum()), 2))
                for h in pop.plan_population(random.Random(seed), households_per_county=20,
                                             today=today, stopped=stopped, severe=[])]

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)


def test_migrants_in_an_outbreak_county_lose_their_wages() -> None:
    today = date(2026, 11, 30)
    stopped = {code: pop.Interruption(date(2025, 12, 10), date(2026, 3, 31))
               for code, _place, _w in pop.WUHAN_DESTINATIONS}
    households = pop.plan_population(random.Random(3), households_per_county=60, today=today,
                                     stopped=stopped, severe=[])
    hit = [h for h in households if "epidemic" in h.story]
    assert hit
    january = pop.month_index(date(2026, 1, 1))
    for h in hit:
        shocks = [s for s in h.shocks if s.kind == "migrant_interrupted"]
        assert shocks and all(s.amount > 0 for s in shocks)
        worker = h.members[shocks[0].member or 0]
        assert worker.destination_code in stopped
        # January's wage is gone: the household's wages fell by it against the year before.
        assert h.income[january, 0] <= h.income[january - 12, 0] * 1.06 \
            - 0.8 * worker.monthly_wage


def test_demo_population_through_the_services_idempotent() -> None:
    ctx = small_demo_outbreak()
    _load_west()
    ctx = DemoContext(scale=Scale("test", "4201", 1, "a few households"), seed=1,
                      out=io.StringIO())
    demo.build_demo_livelihood(ctx)
    households = Household.objects.all()
    per_county = demo.HOUSEHOLDS_PER_RECORD
    assert households.count() == per_county * len(pop.COUNTIES)
    for county in pop.COUNTIES:
        assert households.filter(division_code__startswith=county.code).count() == per_county
    village = Division.objects.get(code=households.first().division_code)  # type: ignore[union-attr]
    assert village.level == Level.VILLAGE
    # The lines of the demo provinces, marked as demo figures.
    lines = MonitoringThreshold.objects.filter(province_code__in=("420000", "520000", "620000"))
    assert lines.count() == 9
    assert sorted(set(lines.values_list("year", flat=True))) == [2024, 2025, 2026]
    assert all("演示数据" in line.note for line in lines)
    # Monthly incomes from 2024-01 to the last complete month.
    last = demo.last_complete_month(timezone.localdate())
    first = IncomeRecord.objects.order_by("year", "month").first()
    latest = IncomeRecord.objects.order_by("-year", "-month").first()
    assert first is not None and (first.year, first.month) == (2024, 1)
    assert latest is not None and (latest.year, latest.month) == (last.year, last.month)
    assert not IncomeRecord.objects.filter(month__isnull=True).exists()
    # The outbreak's severe cases are members, found by the platform's own screening.
    severe = CaseReport.objects.filter(severity__in=("severe", "critical"))
    matched = Member.objects.filter(id_number_hash__in=severe.values("id_number_hash"))
    assert matched.count() == 2
    surveillance = Signal.objects.filter(source="surveillance",
                                         household__in=matched.values("household"))
    assert surveillance.count() >= 2
    assert Shock.objects.filter(kind="medical", member__in=matched, amount__gt=0).count() == 2
    # The migrants of the outbreak's counties lost their wages for a while.
    interrupted = Shock.objects.filter(kind="migrant_interrupted", source="cadre_visit")
    assert interrupted.exists()
    for shock in interrupted:
        assert date(2025, 12, 1) <= shock.occurred_on <= date(2026, 3, 31)
        assert shock.amount > 0 and shock.member is not None
        assert shock.member.migrant_destination_code.startswith("4201")
    # A monitoring pass for every month from 2025-01.
    months = (last.year - 2025) * 12 + last.month
    assert MonitoringRun.objects.filter(division_prefix="").count() == months
    assert MonitoringFlag.objects.exists()
    # The signals came and were decided as the outbreak unfolded, not all today.
    decided = Signal.objects.exclude(decided_at__isnull=True)
    assert decided.exists()
    assert all(s.received_at <= s.decided_at for s in decided)  # type: ignore[operator]
    month_ago = timezone.now() - timedelta(days=30)
    assert decided.filter(decided_at__lt=month_ago).exists()
    assert Signal.objects.filter(received_at__date__lt=date(2026, 4, 1)).exists()
    for flag in MonitoringFlag.objects.exclude(signal=None).select_related("signal"):
        assert flag.identified_at == flag.signal.decided_at  # type: ignore[union-attr]
        assert flag.evaluated_month == timezone.localdate(flag.identified_at).replace(day=1)
    # The batch judgement of the eliminations is the one-household judgement, household by
    # household.
    from shouwang.livelihood.selectors.monitoring import household_evaluation

    ids = list(Household.objects.values_list("pk", flat=True))
    assert demo.eligible_households(ids, last) == {
        h.pk for h in Household.objects.all() if household_evaluation(h, last).eligible}
    note = "\n".join(ctx.notes)
    assert f"{per_county * len(pop.COUNTIES)} households" in note
    assert "demo-lh-huangpi" in note and "demo-lh-tongwei" in note

    before = _state()
    again = DemoContext(scale=ctx.scale, seed=1, out=io.StringIO())
    demo.build_demo_livelihood(again)
    assert _state() == before
    assert again.notes == ctx.notes
    assert again.out.getvalue() == ctx.out.getvalue()  # type: ignore[attr-defined]

    # Another seed plans other people under the same household numbers: left alone.
    other = DemoContext(scale=ctx.scale, seed=2, out=io.StringIO())
    demo.build_demo_livelihood(other)
    assert _state() == before
    assert other.notes[0].startswith(f"Livelihood: {per_county * len(pop.COUNTIES)} household "
                                     "numbers of this plan are registered differently")


def test_nothing_is_built_without_the_counties(divisions: None) -> None:
    ctx = DemoContext(scale=Scale("test", "4201", 2, ""), seed=1, out=io.StringIO())
    demo.build_demo_livelihood(ctx)
    assert not Household.objects.exists()
    assert "nothing built" in ctx.notes[-1]
