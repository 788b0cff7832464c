"""Demo data of the livelihood app: a rural population whose incomes the demo outbreak hits.

Runs after the risk levels (order 90; risk is 80), so the outbreak's cases, daily counts and
levels are there. Four rural counties (demo_population.COUNTIES) with synthetic townships and
villages loaded through the geo app's `townships_load`; demo cadres for each county and province;
the provinces' monitoring lines of 2024–2026 (demo figures) through services.rules; households
and members through the register's bulk import (services.household_import); monthly incomes
from 2024-01 to the last complete month in bulk (see decision 1260: a few hundred thousand
rows); shocks through services.shocks; the platform's own screening over the outbreak
(services.screening); signals from the three sources (services.signals), received when they
came, and their decisions replayed month by month between the monitoring passes
(demo_signals.py); assistance, visits and eliminations through their services.

Deterministic for a seed (ctx.rng) and idempotent: every record is looked up by its natural
key (household number, source key, flag …) before it is written, so a second run adds nothing
and prints the same lines. Decision record: docs/decisions/1260-livelihood-demo.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.demo.accounts import DEMO_PASSWORD, DemoDataError
from shouwang.geo.models import Division
from shouwang.livelihood import demo_population as pop
from shouwang.livelihood import demo_signals as sig
from shouwang.livelihood.models import (
    DataSource,
    Household,
    IncomeRecord,
    Member,
    MonitoringThreshold,
)
from shouwang.surveillance.demo import DISEASE

SOURCE = sig.SOURCE


@dataclass(frozen=True)
class Cadre:
    username: str
    division_code: str
    display_name: str


PROVINCE_CADRES = (Cadre("demo-lh-hubei", "420000", "湖北省防返贫干部 罗建华"),
                   Cadre("demo-lh-guizhou", "520000", "贵州省防返贫干部 吴春燕"),
                   Cadre("demo-lh-gansu", "620000", "甘肃省防返贫干部 把永红"))


def county_cadre(county: pop.DemoCounty) -> Cadre:
    return Cadre(f"demo-lh-{county.slug}", county.code, county.cadre)


_progress = sig.progress


def last_complete_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


HOUSEHOLDS_PER_RECORD = 20


def households_per_county(ctx: DemoContext) -> int:
    """800 a county at the small scale (40 records a county: 3,200 households in the four
    counties), 4,000 at the province's: the register's bulk import writes them in seconds
    (decision 1260)."""
    return ctx.scale.records_per_county * HOUSEHOLDS_PER_RECORD


# --- divisions and users -----------------------------------------------------------------------


def _counties() -> list[pop.DemoCounty]:
    present = set(Division.objects.filter(code__in=[c.code for c in pop.COUNTIES])
                  .values_list("code", flat=True))
    return [c for c in pop.COUNTIES if c.code in present]


def ensure_divisions(counties: Sequence[pop.DemoCounty]) -> int:
    """The synthetic townships and villages of the counties, through townships_load; nothing
    is loaded (nor audited) when they are all there. Returns how many were created."""
    from shouwang.geo.services import townships_load

    codes = {c.code for c in counties}
    rows = [r for r in pop.division_rows() if r[0][:6] in codes]
    stored = dict(Division.objects.filter(code__in=[r[0] for r in rows])
                  .values_list("code", "name"))
    if all(stored.get(code) == name for code, name, _parent in rows):
        return 0
    lines = ["code,name,parent_code"] + [f"{c},{n},{p}" for c, n, p in rows]
    result = townships_load(actor=None, data="\n".join(lines), filename="demo-livelihood.csv")
    return result.created


def _ensure_user(spec: Cadre) -> User:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        return user_create(actor=None, username=spec.username, password=DEMO_PASSWORD,
                           role=Role.LIVELIHOOD_CADRE, division_code=spec.division_code,
                           display_name=spec.display_name)
    if user.role != Role.LIVELIHOOD_CADRE or user.division_code != spec.division_code:
        raise DemoDataError(
            f"user {spec.username} exists as {user.role}@{user.division_code}, not the demo "
            f"{Role.LIVELIHOOD_CADRE}@{spec.division_code}; rename or remove it first")
    return user


# --- monitoring lines ---------------------------------------------------------------------------


def ensure_lines(cadres: dict[str, User]) -> int:
    """The demo's provincial lines of 2024–2026 through services.rules.threshold_set, each by
    its province's cadre; a line already stored is left as it is."""
    from shouwang.livelihood.services.rules import threshold_set

    made = 0
    for province, year, line in pop.DEMO_LINES:
        actor = cadres.get(province)
        if actor is None or MonitoringThreshold.objects.filter(
                year=year, province_code=province).exists():
            continue
        threshold_set(actor=actor, data={
            "year": year, "province_code": province, "poverty_line": str(line),
            "multiple": str(pop.LINE_MULTIPLE),
            "note": "演示数据：非官方公布的监测标准，仅供演示（demo figure, not an announced "
                    "line）。"})
        made += 1
    return made


# --- what the outbreak did ----------------------------------------------------------------------


def outbreak_interruptions() -> dict[str, pop.Interruption]:
    """The counties where the demo outbreak stopped work, and when: every county with at least
    five cases diagnosed from December 2025 to March 2026, from the week its third case was
    diagnosed to the end of March."""
    from shouwang.surveillance.models import DailyCount, DateBasis

    rows = (DailyCount.objects
            .filter(disease_id=DISEASE, basis=DateBasis.DIAGNOSIS, count__gt=0,
                    day__gte=pop.EPIDEMIC_FROM, day__lte=pop.EPIDEMIC_TO)
            .values("county_code", "day").annotate(n=Sum("count")).order_by("county_code", "day"))
    totals: dict[str, int] = {}
    third: dict[str, date] = {}
    for row in rows:
        code = row["county_code"]
        totals[code] = totals.get(code, 0) + int(row["n"])
        if totals[code] >= 3 and code not in third:
            third[code] = row["day"]
    return {code: pop.Interruption(max(pop.EPIDEMIC_FROM, third[code] - timedelta(days=7)),
                                   pop.EPIDEMIC_TO)
            for code, total in totals.items() if total >= 5 and code in third}


def severe_cases(limit: int) -> list[pop.SevereCase]:
    """Up to `limit` severe or critical cases of the outbreak with a resident ID number, those
    reported in the demo's Hubei counties first, then the outbreak's other counties."""
    from shouwang.surveillance.models import CaseReport, CaseStatus

    ours = {c.code for c in pop.COUNTIES}
    cases = list(CaseReport.objects.filter(
        disease_id=DISEASE, status=CaseStatus.ACTIVE, severity__in=("severe", "critical"),
        id_type="resident_id", diagnosed_at__date__gte=pop.EPIDEMIC_FROM,
        division_code__startswith="42").order_by("pk"))
    cases.sort(key=lambda c: (c.division_code not in ours, c.pk))
    names = dict(Division.objects.filter(code__in={c.division_code for c in cases})
                 .values_list("code", "name"))
    out = []
    for case in cases[:limit]:
        onset = case.onset_date or timezone.localdate(case.diagnosed_at)
        out.append(pop.SevereCase(case.pk, case.name, case.id_number, case.division_code,
                                  "武汉市" + names.get(case.division_code, ""), onset))
    return out


# --- households, incomes, shocks ---------------------------------------------------------------


def register_rows(p: pop.PlannedHousehold, known: set[str]) -> list[dict[str, object]]:
    """The household's rows for services.household_import (one per member, the household's
    own fields on the head's row); a destination whose division is not loaded is given by name
    only."""
    rows: list[dict[str, object]] = []
    for m in p.members:
        rows.append({
            "household_number": p.number, "name": m.name, "id_type": "resident_id",
            "id_number": m.id_number, "phone": m.phone, "relationship": m.relationship,
            "health": m.health, "disability": m.disability, "schooling": m.schooling,
            "work": m.work,
            "migrant_destination_code": m.destination_code if m.destination_code in known
            else "",
            "migrant_destination": m.destination})
    rows[0].update({
        "division_code": p.village.code, "address_detail": p.address,
        "poverty_status": "lifted_out" if p.lifted_out_year else "never_poor",
        "lifted_out_year": p.lifted_out_year or "",
        "food_clothing_secure": True, "education_secure": True, "medical_secure": True,
        "housing_secure": p.housing_secure, "water_secure": p.water_secure,
        "guarantees_checked_on": "" if p.water_secure and p.housing_secure else "2024-01-15"})
    return rows


def same_population(plan: Sequence[pop.PlannedHousehold]
                    ) -> tuple[list[pop.PlannedHousehold], int]:
    """The planned households that are not registered yet or are registered as planned (same
    head, same number of members); `(kept, others)`. A household of the same number made by
    another seed or scale is left alone, with everything that would follow from it."""
    from shouwang.core.crypto import keyed_hash

    numbers = [p.number for p in plan]
    heads = dict(Member.objects.filter(household__household_number__in=numbers, active=True,
                                       relationship="head")
                 .values_list("household__household_number", "id_number_hash"))
    sizes = dict(Member.objects.filter(household__household_number__in=numbers, active=True)
                 .values("household__household_number").annotate(n=Count("id"))
                 .values_list("household__household_number", "n"))
    registered = set(Household.objects.filter(household_number__in=numbers)
                     .values_list("household_number", flat=True))
    kept = [p for p in plan if p.number not in registered or (
        sizes.get(p.number) == len(p.members)
        and heads.get(p.number) == keyed_hash(p.members[0].id_number, "id_number"))]
    return kept, len(plan) - len(kept)


def write_households(ctx: DemoContext, plan: Sequence[pop.PlannedHousehold],
                     actors: dict[str, User]) -> dict[str, Household]:
    """The planned households not registered yet, with their members and guarantees, through
    the register's bulk import (services.household_import: the registry's validators, one
    person in one household, all or nothing), one import a county by its cadre. Returns every
    planned household by number."""
    from shouwang.livelihood.services.household_import import households_import

    numbers = [p.number for p in plan]
    stored = {h.household_number: h for h in Household.objects.filter(
        household_number__in=numbers)}
    known = set(Division.objects.filter(code__in={m.destination_code for p in plan
                                                  for m in p.members if m.destination_code})
                .values_list("code", flat=True))
    total = len(plan)
    done = 0
    _progress(ctx, 0, total, "households")
    for code, actor in sorted(actors.items()):
        mine = [p for p in plan if p.county.code == code]
        new = [p for p in mine if p.number not in stored]
        if new:
            households_import(actor=actor, rows=[row for p in new for row in
                                                 register_rows(p, known)],
                              source="demo-livelihood")
        done += len(mine)
        _progress(ctx, done, total, "households")
    stored = {h.household_number: h for h in Household.objects.filter(
        household_number__in=numbers)}
    return stored


def write_incomes(ctx: DemoContext, plan: Sequence[pop.PlannedHousehold],
                  households: dict[str, Household], actors: dict[str, User],
                  last: date) -> int:
    """Monthly net income by component from 2024-01 to `last`, in bulk (decision 1260: the
    service's row-at-a-time upsert would take minutes for these ~270,000 rows): one executemany
    (COPY on PostgreSQL) through surveillance's Inserter, for the households that have no
    income stored yet. The same validation holds: wages and transfers are never negative (the
    planner never makes them so; the database checks it too). A month's zero components are
    not stored (the monitoring inputs count an unrecorded component 0 in a month with a
    record); a month with no income at all stores a zero transfer, so that it is "collected".
    One audit row per county records what the bulk load added."""
    from shouwang.surveillance.services.bulk_insert import bulk_session, inserter

    months = pop.month_index(last) + 1
    with_income = set(IncomeRecord.objects.filter(
        household__household_number__in=list(households)).values_list(
        "household_id", flat=True).distinct())
    added: dict[str, int] = {}
    insert = inserter(IncomeRecord)
    now = timezone.now()
    params: list[list[object]] = []
    todo = [p for p in plan if households[p.number].pk not in with_income]
    days = [pop.month_of(i) for i in range(months)]
    for p in todo:
        base = dict(insert.defaults, household_id=households[p.number].pk,
                    source=DataSource.CADRE_VISIT, recorded_by_id=actors[p.county.code].pk,
                    recorded_at=now)
        income = p.income[:months].round(2)
        for i, day in enumerate(days):
            row = income[i]
            wrote = False
            for c, component in enumerate(pop.COMPONENTS):
                amount = float(row[c])
                if amount == 0 and not (c == 3 and not wrote):
                    continue
                wrote = True
                params.append(insert.params(dict(base, year=day.year, month=day.month,
                                                 component=component,
                                                 amount=Decimal(f"{amount:.2f}"))))
        added[p.county.code] = added.get(p.county.code, 0) + 1
    with bulk_session(), transaction.atomic():
        for start in range(0, len(params), 5000):
            insert.insert_params(params[start:start + 5000])
        for code, n in sorted(added.items()):
            audit_log(actor=actors[code], action=AuditAction.CREATE,
                      object_type="livelihood.incomerecord", object_id="demo-bulk",
                      division_code=code,
                      summary=f"demo incomes of {n} households, 2024-01 to {last:%Y-%m}")
    _progress(ctx, len(plan), len(plan), "incomes")
    return len(params)


def write_shocks(ctx: DemoContext, plan: Sequence[pop.PlannedHousehold],
                 households: dict[str, Household], actors: dict[str, User]) -> None:
    """The planned shocks that no signal brings, through services.shocks.shock_record by the
    county's cadre (keyed: a second run finds them)."""
    from shouwang.livelihood.services.shocks import shock_record
    from shouwang.surveillance.models import CaseReport

    today = timezone.localdate()
    shocks = [(p, s) for p in plan for s in p.shocks if not sig.by_signal(p, s, today)]
    members = sig.member_ids([households[p.number] for p, _s in shocks])
    _progress(ctx, 0, len(shocks), "shocks")
    for p, s in shocks:
        h = households[p.number]
        member_id = members[h.pk][s.member] if s.member is not None else None
        case_id = p.members[s.member].case_id if s.member is not None else None
        shock_record(actor=actors[p.county.code], household_id=h.pk, kind=s.kind,
                     occurred_on=s.occurred_on, ended_on=s.ended_on, amount=f"{s.amount:.2f}",
                     description=s.description, member_id=member_id,
                     case=CaseReport.objects.get(pk=case_id) if case_id else None,
                     source=DataSource.CADRE_VISIT, source_key=s.key)
    _progress(ctx, len(shocks), len(shocks), "shocks")


def screen_outbreak(ctx: DemoContext) -> None:
    """The platform's own screening (services.screening) replayed over the outbreak, every
    four weeks (it looks 30 days back): severe cases among members, migrants at high-risk
    destinations. Keyed by case and member: a second run finds nothing new."""
    from shouwang.livelihood.services.screening import screening_run

    first = first_case_day()
    if first is None:
        return
    days = []
    day = first + timedelta(days=27)
    end = pop.EPIDEMIC_TO + timedelta(days=60)
    while day <= end:
        days.append(day)
        day += timedelta(days=28)
    for i, d in enumerate(days, start=1):
        screening_run(day=d)
        _progress(ctx, i, len(days), "screening")


def first_case_day() -> date | None:
    from shouwang.surveillance.models import DailyCount

    first: date | None = DailyCount.objects.filter(
        disease_id=DISEASE, count__gt=0, day__gte=pop.EPIDEMIC_FROM).aggregate(
        first=Min("day"))["first"]
    return first


# --- monitoring, signals, assistance ------------------------------------------------------------


MEASURES = {
    "epidemic": ("employment", "就业帮扶：推荐返岗及就近务工，发放一次性稳岗补贴", 2000),
    "severe": ("medical", "医疗保障：大病保险和医疗救助报销，落实家庭医生签约", 8000),
    "illness": ("medical", "医疗保障：医疗救助二次报销，申请临时救助", 5000),
    "disaster": ("housing", "灾后帮扶：房屋修缮补助，补种补栽种苗", 6000),
    "poor": ("minimum_living", "纳入最低生活保障，按月发放低保金", 3840),
    "marginal": ("industry", "产业帮扶：发放种养殖奖补，对接合作社订单", 1500),
}


def assist(ctx: DemoContext, plan: Sequence[pop.PlannedHousehold],
           households: dict[str, Household], actors: dict[str, User], last: date) -> None:
    """Each open flag without a measure gets one (services.assistance.measure_add) by its
    story, and follow-up visits every two months from the month after it was judged; a flag
    whose household the rules now find eligible (six months above the line with every
    guarantee) is marked eliminated (services.elimination.flag_eliminate)."""
    from shouwang.livelihood.models import FlagStatus, FollowUpVisit, MonitoringFlag
    from shouwang.livelihood.services.assistance import measure_add, visit_record
    from shouwang.livelihood.services.elimination import flag_eliminate

    by_id = {households[p.number].pk: p for p in plan}
    every = list(MonitoringFlag.objects.filter(household_id__in=list(by_id)).order_by("pk"))
    flags = [f for f in every if f.status == FlagStatus.MONITORING]
    today = timezone.localdate()
    for n, flag in enumerate(every, start=1):
        if n % 100 == 0 or n == len(every):
            _progress(ctx, n, len(every), "assistance")
        if flag.status != FlagStatus.MONITORING:
            continue
        p = by_id[flag.household_id]
        actor = actors[p.county.code]
        judged = flag.evaluated_month or pop.month_of(pop.month_index(today))
        start = min(today, judged + timedelta(days=45))
        if not flag.measures.exists():
            story = next((k for k in MEASURES if k in p.story), "marginal")
            category, text, amount = MEASURES[story]
            measure_add(actor=actor, flag_id=flag.pk, data={
                "category": category, "description": text, "responsible": actor.pk,
                "started_on": start.isoformat(), "amount": str(amount)})
        day = start + timedelta(days=14)
        visits = 0
        while day <= today and visits < 4:
            if not FollowUpVisit.objects.filter(household_id=flag.household_id, visitor=actor,
                                                visited_on=day).exists():
                h = flag.household
                visit_record(actor=actor, household_id=flag.household_id, data={
                    "visited_on": day.isoformat(),
                    "notes": "入户走访：核实收入和“两不愁三保障”情况，帮扶措施落实中。",
                    "guarantees": {g: getattr(h, g) for g in (
                        "food_clothing_secure", "education_secure", "medical_secure",
                        "housing_secure", "water_secure")}})
            day += timedelta(days=61)
            visits += 1
    eligible = eligible_households([f.household_id for f in flags], last)
    for flag in flags:
        p = by_id[flag.household_id]
        if flag.household_id not in eligible:
            continue
        flag_eliminate(actor=actors[p.county.code], flag_id=flag.pk,
                       evidence_note=f"连续 6 个月人均纯收入高于监测标准（截至 {last:%Y-%m}），"
                                     "入户核实“两不愁三保障”及饮水安全均有保障。")


def eligible_households(ids: Sequence[int], month: date) -> set[int]:
    """The households of `ids` whose risk the rules in force find eliminable at `month` (six
    months above the line with every guarantee): one evaluation of them all, as a pass makes
    it (selectors.monitoring), instead of one household_evaluation each."""
    from shouwang.livelihood.selectors.monitoring import (
        evaluate_inputs,
        monitoring_inputs,
        month_end,
        months_needed,
        rule_sets_in_force,
    )

    rule_sets = rule_sets_in_force(month_end(month))
    if not ids or not rule_sets:
        return set()
    mi = monitoring_inputs(list(ids), month, max(months_needed(rs.params, rs.kind)
                                                 for rs in rule_sets))
    evaluated, _none = evaluate_inputs(mi, rule_sets)
    return {int(mi.household_ids[row]) for ev in evaluated
            for j, row in enumerate(ev.rows) if bool(ev.result.eligible[j])}


# --- the builder ---------------------------------------------------------------------------------


def build_demo_livelihood(ctx: DemoContext) -> None:
    counties = _counties()
    if not counties:
        ctx.notes.append("Livelihood: none of the demo counties "
                         f"({', '.join(c.code for c in pop.COUNTIES)}) is loaded; nothing built.")
        return
    today = timezone.localdate()
    last = last_complete_month(today)
    ensure_divisions(counties)
    cadres = {c.code: _ensure_user(county_cadre(c)) for c in counties}
    provinces = {spec.division_code: _ensure_user(spec) for spec in PROVINCE_CADRES
                 if any(c.code.startswith(spec.division_code[:2]) for c in counties)}
    ensure_lines(provinces)
    per_county = households_per_county(ctx)
    stopped = outbreak_interruptions()
    severe = severe_cases(max(2, per_county // 100))
    plan = pop.plan_population(ctx.rng("livelihood.population"),
                               households_per_county=per_county, today=today,
                               stopped=stopped, severe=severe)
    wanted = {c.code for c in counties}
    plan, others = same_population([p for p in plan if p.county.code in wanted])
    if others:
        ctx.notes.append(f"Livelihood: {others} household numbers of this plan are registered "
                         "differently (another seed or scale); they are left as they are.")
    households = write_households(ctx, plan, cadres)
    write_incomes(ctx, plan, households, cadres, last)
    write_shocks(ctx, plan, households, cadres)
    screen_outbreak(ctx)
    sig.write_signals(ctx, plan, households, cadres)
    sig.replay(ctx, households, cadres, last)
    assist(ctx, plan, households, cadres, last)
    ctx.notes.extend(summary(counties, cadres, provinces, stopped, last))


def summary(counties: Sequence[pop.DemoCounty], cadres: dict[str, User],
            provinces: dict[str, User], stopped: dict[str, pop.Interruption],
            last: date) -> list[str]:
    """What the demo holds (read back from the database: the same lines on a re-run)."""
    from shouwang.livelihood.models import MonitoringFlag, Shock, Signal

    codes = [c.code for c in counties]
    hh = Household.objects.filter(division_code__regex=r"^(" + "|".join(codes) + ")")
    members = Member.objects.filter(household__in=hh, active=True).count()
    incomes = IncomeRecord.objects.filter(household__in=hh).count()
    shocks = Shock.objects.filter(household__in=hh)
    interrupted = shocks.filter(kind="migrant_interrupted").count()
    signals = Signal.objects.filter(household__in=hh)
    flags = MonitoringFlag.objects.filter(household__in=hh)
    lines = [
        f"Livelihood ({', '.join(f'{c.code} {c.name}' for c in counties)}; synthetic townships "
        f"and villages): {hh.count()} households, {members} members, {incomes} monthly income "
        f"records 2024-01 to {last:%Y-%m}, {shocks.count()} shocks ({interrupted} migrant work "
        f"interrupted by the outbreak in {len(stopped)} counties), {signals.count()} signals "
        f"({signals.filter(status='pending').count()} pending), {flags.count()} monitoring "
        f"flags ({flags.filter(status='eliminated').count()} eliminated).",
        "Livelihood cadres (password as above):",
    ]
    lines += [f"  {u.username}  {u.division_code}  {u.display_name}"
              for u in [*provinces.values(), *cadres.values()]]
    return lines


register_demo_builder(DemoBuilder(
    name="livelihood.population", order=90, build=build_demo_livelihood,
    description="a rural population of four counties whose incomes the demo outbreak hits: "
                "households, monthly incomes, shocks, signals, monitoring, assistance",
))

__all__ = ["build_demo_livelihood", "summary"]
