"""The livelihood demo's signals and their decisions, replayed as the outbreak unfolded.

Which planned shocks reach the registry through a signal rather than a cadre's entry
(`by_signal`), when each signal came (`received_at`: the migrant workers sent home by the
outbreak in December 2025 – March 2026, the flood of June 2026, the hospital bills of the last
year), and the county cadres' decisions replayed when they were made (`signal_decide`'s
`decided_at`), month by month between the monitoring passes: a signal decided in a month is
judged at that month and its flag dated then, and the pass of the month runs after them (as the
real one runs at the start of the next month). Decision record 1260.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.demo import DemoContext
from shouwang.livelihood import demo_population as pop
from shouwang.livelihood.models import DataSource, Household, Member

SOURCE = "demo-lh"
# Of the migrant workers the outbreak sent home, the share whose lost work reaches the registry
# through a signal (the rest a cadre records directly after the village's round of visits).
MIGRANT_BY_SIGNAL = 0.55
# Signals planned to arrive within this many days of today come through the sources' own
# services (received now: they take no date); older ones through signal_receive(received_at=…).
RECENT_DAYS = 2
# The cadres' decisions: in time (1–14 days after receipt), late (16–45 days), or not (yet).
IN_TIME, LATE = 0.62, 0.24


def progress(ctx: DemoContext, done: int, total: int, stage: str, width: int = 30) -> None:
    filled = width * done // max(total, 1)
    ctx.out.write(f"  防返贫 {stage} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")


def by_signal(p: pop.PlannedHousehold, s: pop.PlannedShock, today: date) -> bool:
    """Whether a shock reaches the registry through a signal (a department's batch, the
    household's own report, a cadre's visit) rather than a cadre's entry: the medical bills and
    disaster losses of the last year (except a severe case's: the screening finds that one) and
    about half the migrant work the outbreak interrupted (chosen by the shock, not the seed's
    draws, so that the cadres' entries and the signals never overlap)."""
    if s.kind == "migrant_interrupted":
        return pop.unit(s.key) < MIGRANT_BY_SIGNAL
    severe = s.member is not None and p.members[s.member].case_id is not None
    return (s.kind in ("medical", "disaster") and (today - s.occurred_on).days <= 380
            and not severe)


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@dataclass(frozen=True)
class Arrival:
    """How and when a planned shock's signal arrives."""

    source: str          # DataSource
    received: datetime
    recent: bool         # through the source's service, now


def arrival(p: pop.PlannedHousehold, s: pop.PlannedShock, now: datetime) -> Arrival:
    """The source and moment of a shock's signal, fixed by the shock (not by draws):
    a migrant sent home is reported by the human-resources department's round of returned
    workers or a cadre's visit 5–25 days after the stoppage, or by the household itself 40–90
    days after it, when the savings are spent; a hospital
    bill by the medical insurance 3–20 days after admission; a flood by the household or the
    cadre 1–10 days after it."""
    u = pop.unit(f"arrival:{s.key}")
    v = pop.unit(f"delay:{s.key}")
    if s.kind == "migrant_interrupted":
        source = (DataSource.DEPARTMENT if u < 0.35 else DataSource.CADRE_VISIT if u < 0.7
                  else DataSource.SELF_REPORT)
        days = 5 + int(v * 21) if source != DataSource.SELF_REPORT else 40 + int(v * 50)
    elif s.kind == "medical":
        source, days = DataSource.DEPARTMENT, 3 + int(v * 18)
    else:
        source = DataSource.SELF_REPORT if u < 0.5 else DataSource.CADRE_VISIT
        days = 1 + int(v * 10)
    day = s.occurred_on + timedelta(days=days)
    received = _at(day, 8 + int(u * 9), int(v * 60))
    recent = received >= now - timedelta(days=RECENT_DAYS)
    return Arrival(source, min(received, now), recent)


def _summary(source: str, s: pop.PlannedShock) -> str:
    if s.kind == "migrant_interrupted":
        lead: dict[str, str] = {DataSource.DEPARTMENT: "人力资源和社会保障部门：返乡务工人员摸排，",
                                DataSource.CADRE_VISIT: "干部走访：",
                                DataSource.SELF_REPORT: "农户自主申报：外出务工中断，"}
        return lead[source] + s.description
    if s.kind == "medical":
        return "医疗保障部门：大额医疗支出，" + s.description
    return ("农户自主申报：" if source == DataSource.SELF_REPORT else "干部走访：") + s.description


def member_ids(households: Sequence[Household]) -> dict[int, list[int]]:
    """Each household's member ids in the order they were added (the plan's order)."""
    out: dict[int, list[int]] = {}
    for hid, mid in Member.objects.filter(household__in=households).order_by(
            "household_id", "pk").values_list("household_id", "pk"):
        out.setdefault(hid, []).append(mid)
    return out


def write_signals(ctx: DemoContext, plan: Sequence[pop.PlannedHousehold],
                  households: dict[str, Household], actors: dict[str, User]) -> None:
    """The signals of the planned shocks that come by signal, each when it came
    (`arrival`): through signal_receive(received_at=…) with shock_receive, or — arriving in the
    last days — through the sources' own services (department_batch, self_report_submit,
    cadre_visit_report). Keyed (source keys, the department's record id, the self-report's
    content, the visit's summary): a second run finds them."""
    from shouwang.livelihood.models import Shock, Signal
    from shouwang.livelihood.services.signals import (
        cadre_visit_report,
        department_batch,
        self_report_submit,
        shock_receive,
        signal_receive,
    )

    now = timezone.now()
    today = timezone.localdate()
    todo = [(p, s) for p in plan for s in p.shocks if by_signal(p, s, today)]
    members = member_ids([households[p.number] for p, _s in todo])
    for n, (p, s) in enumerate(todo, start=1):
        if n % 200 == 0:
            progress(ctx, n, len(todo), "signals")
        h = households[p.number]
        actor = actors[p.county.code]
        how = arrival(p, s, now)
        if not how.recent:
            key = f"{SOURCE}:signal:{s.key}"
            if Shock.objects.filter(source_key=key).exists():
                continue
            member = (Member.objects.get(pk=members[h.pk][s.member])
                      if s.member is not None else None)
            with transaction.atomic():
                shock = shock_receive(household=h, kind=s.kind, occurred_on=s.occurred_on,
                                      amount=Decimal(f"{s.amount:.2f}"),
                                      description=s.description, source=how.source,
                                      source_key=key, member=member, actor=actor)
                signal_receive(source=how.source, household=h, actor=actor, shock=shock,
                               received_at=how.received, source_key=key,
                               summary=_summary(how.source, s),
                               details={"kind": s.kind, "occurred_on": s.occurred_on.isoformat(),
                                        "amount": f"{s.amount:.2f}"})
        elif how.source == DataSource.DEPARTMENT:
            member_plan = p.members[s.member] if s.member is not None else p.members[0]
            department_batch(actor=actor, records=[{
                "department": "medical_insurance" if s.kind == "medical" else "human_resources",
                "record_id": f"MI-{p.number}-{s.occurred_on:%Y%m%d}",
                "id_number": member_plan.id_number, "kind": s.kind,
                "occurred_on": s.occurred_on.isoformat(), "amount": f"{s.amount:.2f}",
                "summary": "住院自付费用高" if s.kind == "medical" else s.description[:200]}])
        elif how.source == DataSource.CADRE_VISIT:
            summary = f"干部走访：{s.description}"
            if not Signal.objects.filter(household=h, source=DataSource.CADRE_VISIT,
                                         summary=summary).exists():
                cadre_visit_report(actor=actor, household=h, summary=summary, data={
                    "kind": s.kind, "occurred_on": s.occurred_on.isoformat(),
                    "amount": f"{s.amount:.2f}", "description": s.description})
        else:
            self_report_submit(household_number=p.number,
                               id_suffix=p.members[0].id_number[-6:],
                               data={"kind": s.kind, "occurred_on": s.occurred_on.isoformat(),
                                     "amount": f"{s.amount:.0f}",
                                     "description": s.description})
    progress(ctx, len(todo), len(todo), "signals")


@dataclass(frozen=True)
class Decision:
    signal_id: int
    actor: User
    at: datetime | None   # None: now (a signal that came in the last days)


def plan_decisions(rng: random.Random, households: dict[str, Household],
                   actors: dict[str, User]) -> list[Decision]:
    """The county cadres' decisions of the demo's pending signals, in the order made: about
    62 % in time (1–14 days after receipt), 24 % late (16–45 days), the rest not decided (those
    received more than 15 days ago are overdue today). A decision that would fall after now is
    not made yet — except for a signal of the last days decided in time: that one is decided
    now. One draw per signal of the demo's households in id order, decided or not, so that the
    same seed plans the same decisions on a second run."""
    from shouwang.livelihood.models import Signal, SignalStatus

    now = timezone.now()
    ids = [h.pk for h in households.values()]
    out: list[tuple[datetime, Decision]] = []
    for code, actor in sorted(actors.items()):
        for signal in Signal.objects.filter(division_code__startswith=code,
                                            household_id__in=ids).order_by("pk"):
            r, hours = rng.random(), rng.randint(2, 14 * 24 - 1)
            if signal.status != SignalStatus.PENDING or r >= IN_TIME + LATE:
                continue
            delay = timedelta(hours=hours) if r < IN_TIME else timedelta(
                days=16 + hours % 30, hours=hours % 9)
            at = signal.received_at + delay
            if at <= now:
                out.append((at, Decision(signal.pk, actor, at)))
            elif r < IN_TIME and signal.received_at >= now - timedelta(days=RECENT_DAYS):
                out.append((now, Decision(signal.pk, actor, None)))
    out.sort(key=lambda pair: (pair[0], pair[1].signal_id))
    return [d for _at_, d in out]


def decide(decision: Decision) -> None:
    """Identified when the rules find a risk at the decision's month (the flag opens from the
    signal, dated then), otherwise not, with the rule's reason."""
    from shouwang.core.errors import InvalidInput
    from shouwang.livelihood.models import Signal
    from shouwang.livelihood.services.signals import signal_decide

    signal = Signal.objects.get(pk=decision.signal_id)
    try:
        with transaction.atomic():
            signal_decide(actor=decision.actor, signal=signal, identified=True,
                          reason="核实情况属实，按监测规则纳入监测，落实帮扶措施。",
                          decided_at=decision.at)
    except InvalidInput as refusal:
        signal_decide(actor=decision.actor, signal=signal, identified=False,
                      reason="核实后按监测规则暂不纳入：" + str(refusal.message)[:300],
                      decided_at=decision.at)


def replay(ctx: DemoContext, households: dict[str, Household], actors: dict[str, User],
           last: date) -> None:
    """Month by month from 2025-01 to `last`: the decisions made in the month, then the
    month's monitoring pass (services.monitoring; a month that already has a nationwide run is
    skipped); then the decisions of the current month."""
    from shouwang.livelihood.models import MonitoringRun
    from shouwang.livelihood.services.monitoring import monitoring_run

    decisions = plan_decisions(ctx.rng("livelihood.decisions"), households, actors)
    months = [pop.month_of(i) for i in range(pop.month_index(date(2025, 1, 1)),
                                             pop.month_index(last) + 1)]
    done = set(MonitoringRun.objects.filter(division_prefix="", month__in=months)
               .values_list("month", flat=True))
    k = 0
    for i, month in enumerate(months, start=1):
        end = _at(pop.month_of(pop.month_index(month) + 1), 0, 0)
        while k < len(decisions) and (decisions[k].at or end) < end:
            decide(decisions[k])
            k += 1
        if month not in done:
            # The monthly job runs on the 2nd at 02:30 (tasks.py): the flags date from then.
            monitoring_run(month=month, at=min(timezone.now(), end + timedelta(days=1, hours=2,
                                                                               minutes=30)))
        progress(ctx, i, len(months), "monitoring")
    for d in decisions[k:]:
        decide(d)
