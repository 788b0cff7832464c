"""The tracing demo builder: the small demo's outbreak traced through the services, consistent
with the outbreak, deterministic and idempotent."""

from __future__ import annotations

import io
import random
import time
from datetime import date, timedelta

import pytest

from shouwang.core.models import AuditEvent
from shouwang.demo import DemoContext, demo_builders
from shouwang.epi.chains import link_problems
from shouwang.surveillance.demo import DISEASE, OUTBREAK_DAYS, OUTBREAK_START
from shouwang.tracing import demo, demo_plan
from shouwang.tracing.models import (
    Cluster,
    Contact,
    ContactKind,
    ContactStatus,
    Exposure,
    FollowUp,
    HandOver,
    HandOverStatus,
    Investigation,
    LinkStatus,
    Setting,
    SourceStatus,
    TransmissionLink,
)
from tests.warning.test_detection_e2e import small_demo_outbreak

LAST = OUTBREAK_START + timedelta(days=OUTBREAK_DAYS - 1)


def _state() -> tuple[object, ...]:
    return (
        sorted(Contact.objects.values_list("source_key", "status", "version", "division_code")),
        sorted(HandOver.objects.values_list("contact__source_key", "status")),
        sorted(TransmissionLink.objects.values_list("infector_id", "infectee_id", "status")),
        sorted(Investigation.objects.values_list("case_id", "source_status", "version")),
        Exposure.objects.count(), FollowUp.objects.count(), Setting.objects.count(),
        sorted(Cluster.objects.values_list("key", "case_count")), AuditEvent.objects.count())


def test_builder_runs_after_surveillance_and_warning() -> None:
    builders = {b.name: b.order for b in demo_builders()}
    assert builders["tracing.investigations"] > builders["surveillance.outbreak"]
    assert builders["tracing.investigations"] > builders["surveillance.endemic"]
    assert builders["tracing.investigations"] > builders["warning.nightly"]


def _traced(n: int, seed: int) -> list[demo_plan.Traced]:
    rng = random.Random(seed)
    start = date(2026, 1, 1)
    return [demo_plan.Traced(i, f"k{i}", rng.choice(("420106", "420111", "420104")),
                        start + timedelta(days=i // 3), start + timedelta(days=i // 3 + 2),
                        imported=i % 17 == 0) for i in range(n)]


def test_the_plan_is_a_forest_with_plausible_intervals_and_places() -> None:
    cases = _traced(150, 1)
    near = {"420106": ["420111"], "420111": ["420106"], "420104": ["420106"]}
    by_pk = {c.pk: c for c in cases}

    def rng(name: str) -> random.Random:
        return random.Random(name)

    plan = demo_plan.plan_links(cases, near, rng, spreaders=3)
    again = demo_plan.plan_links(list(reversed(cases)), near, rng, spreaders=3)
    assert plan.links == again.links  # the order of the input changes nothing
    assert 0.4 < len(plan.links) / len(cases) < 0.95
    for link in plan.links.values():
        infector, infectee = by_pk[link.infector], by_pk[link.infectee]
        assert 2 <= (infectee.day - infector.day).days <= 10
        assert (infectee.county == infector.county or infectee.county in near[infector.county]
                or infector.county in near[infectee.county])
        assert not infectee.imported
        assert link.exposed_on <= infectee.day
        assert not link.found_under_follow_up or infector.diagnosed < infectee.diagnosed
    parent = [-1] * len(cases)
    for link in plan.links.values():
        parent[link.infectee] = link.infector
    assert link_problems(parent) == []
    regular = [p.infector for p in plan.links.values() if not p.spreader]
    assert max(regular.count(i) for i in set(regular)) <= demo_plan.MAX_OFFSPRING
    spreaders = [i for i in {p.infector for p in plan.links.values() if p.spreader}
                 if len(plan.infectees_of(i)) >= 4]
    assert len(spreaders) >= 2
    assert any(p.found_under_follow_up for p in plan.links.values())


def test_choose_traced_takes_the_tail_and_each_countys_first_cases_with_their_sources() -> None:
    start = date(2026, 1, 1)
    rows = [demo_plan.Row(start + timedelta(days=i), f"q{i}", i, "420104") for i in range(60)]
    # 江岸区's first case on day 20, after 硚口区's cases of days 10–18; 武昌区's on day 40.
    rows += [demo_plan.Row(start + timedelta(days=20 + i), f"a{i}", 100 + i, "420102")
             for i in range(30)]
    rows.append(demo_plan.Row(start + timedelta(days=40), "w0", 200, "420106"))
    near = {"420102": ["420104"], "420104": ["420102"], "420106": ["420102"]}
    chosen = demo_plan.choose_traced(list(reversed(rows)), 30, near)
    assert chosen == demo_plan.choose_traced(rows, 30, near) and len(chosen) == 30
    pks = {r.pk for r in chosen}
    assert {r.pk for r in sorted(rows)[-15:]} <= pks               # the tail
    assert {100, 101, 200} <= pks                                   # each county's first cases
    # …and the cases of the neighbours ill 2–10 days before them.
    assert {r.pk for r in rows if r.county == "420104"
            and 2 <= (rows[60].day - r.day).days <= 10} & pks
    assert demo_plan.choose_traced(rows, 0, near) == []


@pytest.mark.django_db
def test_the_small_demo_is_traced_consistently_and_a_rerun_adds_nothing() -> None:
    base = small_demo_outbreak()
    ctx = DemoContext(scale=base.scale, seed=1, out=io.StringIO())
    started = time.perf_counter()
    demo.build_demo_tracing(ctx)
    elapsed = time.perf_counter() - started
    output = ctx.out.getvalue()  # type: ignore[attr-defined]
    assert "流调 tracing [" in output and ctx.notes[-1].startswith("Tracing (covid19")
    assert elapsed < 60, elapsed

    traced = Investigation.objects.filter(case__disease_id=DISEASE)
    assert traced.count() > 0
    contacts = Contact.objects.filter(source_key__startswith="demo:")
    per_case = contacts.filter(kind=ContactKind.CLOSE).values_list("index_case_id", flat=True)
    assert len(set(per_case)) >= demo.TRACED["small"] * 0.9
    assert contacts.filter(kind=ContactKind.SECONDARY).exists()
    assert contacts.filter(status=ContactStatus.BECAME_CASE).exists()
    assert contacts.filter(status=ContactStatus.RELEASED).exists()
    assert contacts.filter(status=ContactStatus.UNDER_FOLLOW_UP).exists()
    assert FollowUp.objects.filter(day__gt=LAST - timedelta(days=demo.FOLLOW_UP_DAYS)).exists()
    assert not FollowUp.objects.filter(day__gt=LAST).exists()

    statuses = set(HandOver.objects.values_list("status", flat=True))
    assert {HandOverStatus.ACCEPTED, HandOverStatus.REFUSED} <= statuses, statuses
    refused = HandOver.objects.get(status=HandOverStatus.REFUSED)
    assert refused.refusal_reason and refused.contact.division_code[:6] == \
        refused.from_division_code

    confirmed = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED).select_related(
        "infector", "infectee")
    assert confirmed.count() >= 40
    for link in confirmed:
        a, b = link.infector, link.infectee
        if a.onset_date and b.onset_date:
            assert 2 <= (b.onset_date - a.onset_date).days <= 10
    assert confirmed.exclude(infector_division_code=models_f("infectee_division_code")).exists()
    assert TransmissionLink.objects.filter(status=LinkStatus.PROPOSED).exists()
    found = traced.filter(found_under_follow_up=True).count()
    linked = traced.filter(case__in=confirmed.values("infectee")).count()
    assert 0.2 * linked <= found <= linked
    assert traced.filter(source_status=SourceStatus.UNKNOWN).exists()
    assert traced.exclude(completed_at=None).exists()
    assert Cluster.objects.filter(disease_id=DISEASE).exists()
    assert Cluster.objects.filter(case_count__gte=4).exists()   # a super-spreading event

    before = _state()
    last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    demo.build_demo_tracing(DemoContext(scale=base.scale, seed=1, out=io.StringIO()))
    added = list(AuditEvent.objects.filter(pk__gt=last_audit).values_list("summary", flat=True))
    assert added == []
    assert _state() == before

    # Another seed draws another plan over the same cases: links confirmed before are kept
    # (a case has one confirmed infector), the rest is added, nothing fails.
    kept = set(confirmed.values_list("infector_id", "infectee_id"))
    demo.build_demo_tracing(DemoContext(scale=base.scale, seed=2, out=io.StringIO()))
    assert kept <= set(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED)
                       .values_list("infector_id", "infectee_id"))


def models_f(name: str) -> object:
    from django.db.models import F

    return F(name)
