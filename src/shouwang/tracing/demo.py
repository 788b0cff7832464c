"""Demo data for source tracing: the investigations, contacts and chains of the synthetic COVID-19
outbreak (surveillance/demo.py), written through the tracing services as investigators would.

The builder (order 70, after the surveillance and warning builders) traces TRACED[scale] confirmed
cases and asymptomatic infections (by onset, or diagnosis without one), chosen by
`demo_plan.choose_traced`: half from the outbreak's tail (so that the follow-ups of its last
days belong to real chains), half from its emergence — each county's first cases with the cases
of it and its neighbours ill just before (its importations, its first spread between counties):

1. a plan, drawn from a seeded generator per case (`demo_plan.plan_links`, pure): each local
   case gets a confirmed infector with probability P_LINK among the traced cases ill 2–10 days
   earlier in its own county or a neighbouring one (the three nearest centroids, weight
   NEIGHBOUR_WEIGHT), infected at the infector's household, workplace or a gathering (at most
   MAX_OFFSPRING infectees each); a few super-spreaders infect 4–7 cases each at a gathering;
   an infectee whose infector was diagnosed at least a day before it was is, with probability
   P_FOUND, already a close contact under follow-up when found; the rest are of unknown source;
2. settings (households of every traced case, a few workplaces and gatherings per county);
3. 2–6 close contacts per case (synthetic people, some living in another county), a few
   secondary ones, and the infectees under follow-up as contacts of their infector;
4. hand-overs of contacts living in another county: accepted, some pending, one refused with
   a reason;
5. the investigations of every case (the bulk opening; a case whose person is a followed contact
   is found under follow-up), exposures at the settings of the plan, the imported cases'
   journeys from their origin;
6. the plan's links confirmed in bulk, infector proposals for some cases of unknown source,
   source statuses, completed investigations (all but the last fortnight's);
7. daily follow-up visits over the outbreak's last FOLLOW_UP_DAYS days, the release of
   contacts whose observation ended, a few lost to follow-up; cluster detection.

Deterministic for a seed (every draw comes from ctx.rng keyed by the case's source key) and
idempotent: each step looks for what it made before (source keys, existing rows and states),
so a second run adds nothing. Decision: docs/decisions/1040-flows-import-and-demo.md.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.core.scoping import in_jurisdiction
from shouwang.demo import DemoBuilder, DemoContext, register_demo_builder
from shouwang.surveillance.demo import (
    _MOBILE_PREFIXES,
    DISEASE,
    OUTBREAK_DAYS,
    OUTBREAK_START,
    _name,
    _resident_id,
    demo_counties,
)
from shouwang.surveillance.models import CaseReport, CaseStatus, Classification, Disease
from shouwang.tracing.demo_plan import (
    Plan,
    PlannedLink,
    Row,
    Traced,
    choose_traced,
    draw,
    neighbours,
    plan_links,
)
from shouwang.tracing.models import (
    Contact,
    ContactKind,
    ContactStatus,
    FollowUp,
    HandOver,
    HandOverStatus,
    Investigation,
    LinkStatus,
    QuarantinePlace,
    SettingKind,
    SourceStatus,
    TransmissionLink,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.tracing.models import Setting

TRACED = {"small": 150, "province": 300, "national": 500}
SUPER_SPREADERS = {"small": 3, "province": 5, "national": 8}
CONTACTS = (2, 6)      # close contacts per case
P_SECONDARY = 0.3      # an index case whose first close contact has secondary contacts
P_ELSEWHERE = 0.1      # a contact living in another county (handed over)
P_PROPOSE = 0.5        # a case of unknown source whose candidate infectors are ranked
P_LOST = 0.02
FOLLOW_UP_DAYS = 5
SETTINGS_PER_COUNTY = 2
ACTORS = ("demo-hongshan", "demo-wuchang", "demo-wuhan", "demo-hubei", "demo-national")
REFUSAL = "经核实该人员已离开本县，现住址不在本辖区，请原移交方核实其实际去向。"
HANDOVER_NOTE = "现住址在贵辖区，请协助落实医学观察。"
LINK_REASON = "流调确认：发病前有明确接触史"
# Demo content, not interface text: what an officer would type (in Chinese, as the data is).
WORKPLACES = ("{name}某物流公司分拣车间", "{name}某商场", "{name}某机关办公楼")
GATHERINGS = ("{name}某酒楼婚宴", "{name}某小区棋牌室", "{name}某社区老年活动中心")


# --- the database side --------------------------------------------------------------------------


def _progress(ctx: DemoContext, label: str, done: int, total: int, width: int = 30) -> None:
    filled = width * done // max(total, 1)
    ctx.out.write(f"  流调 {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")


def _officers() -> dict[str, User]:
    from shouwang.accounts.models import User

    return {u.username: u for u in User.objects.filter(username__in=ACTORS, is_active=True)}


def _local(officers: dict[str, User], code: str) -> User | None:
    """The most local demo officer whose area covers `code`."""
    return next((officers[n] for n in ACTORS if n in officers
                 and in_jurisdiction(officers[n], code)), None)


def _anchor(case: CaseReport) -> date:
    return case.onset_date or timezone.localdate(case.diagnosed_at)


def traced_cases(ctx: DemoContext, last_day: date,
                 near: dict[str, list[str]]) -> list[CaseReport]:
    """The TRACED[scale] cases of `choose_traced` among the scale's confirmed cases and
    asymptomatic infections of the outbreak's disease, ill (or diagnosed) by `last_day`. The
    choice reads four columns of every case; only the chosen are loaded (and decrypted)."""
    from shouwang.core.scoping import prefix_q

    candidates = CaseReport.objects.filter(
        prefix_q("division_code", ctx.scale.division_prefix), disease_id=DISEASE,
        status=CaseStatus.ACTIVE, source_key__isnull=False,
        classification__in=(Classification.CONFIRMED, Classification.ASYMPTOMATIC))
    rows = []
    for pk, onset, diagnosed, key, county in candidates.values_list(
            "pk", "onset_date", "diagnosed_at", "source_key", "division_code").iterator(
            chunk_size=5000):
        day = onset or timezone.localdate(diagnosed)
        if day <= last_day:
            rows.append(Row(day, key or "", pk, county[:6]))
    chosen = choose_traced(rows, TRACED.get(ctx.scale.name, TRACED["small"]), near)
    order = {r.pk: i for i, r in enumerate(chosen)}
    return sorted(CaseReport.objects.filter(pk__in=list(order)).select_related("disease"),
                  key=lambda c: order[c.pk])


def _short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def _person(rng: random.Random, county: str, on: date) -> dict[str, Any]:
    age = rng.choice((rng.randint(3, 17), rng.randint(18, 59), rng.randint(18, 59),
                      rng.randint(60, 85)))
    sex = rng.choice("MF")
    birth = on - timedelta(days=365 * age + rng.randrange(0, 360))
    return {"name": _name(rng), "id_type": "resident_id",
            "id_number": _resident_id(rng, county[:6], birth, sex),
            "phone": rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"}


@dataclass
class Figures:
    contacts: int = 0
    secondary: int = 0
    hand_overs: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    exposures: int = 0
    links: int = 0
    proposals: int = 0
    follow_ups: int = 0
    released: int = 0


class _Builder:
    def __init__(self, ctx: DemoContext, officers: dict[str, User], last_day: date) -> None:
        self.ctx = ctx
        self.officers = officers
        self.national = officers["demo-national"]
        self.last_day = last_day
        self.figures = Figures()
        self.settings: dict[str, Setting] = {}
        self.near: dict[str, list[str]] = {}

    # settings ---------------------------------------------------------------------------------

    def setting(self, kind: str, county: str, tag: str) -> Setting:
        """A workplace or gathering of `county`, one per `tag`."""
        from shouwang.geo.selectors import division_names
        from shouwang.tracing.services.settings_registry import setting_register

        key = f"demo:{kind}:{county}:{tag}"
        if key not in self.settings:
            name = division_names([county]).get(county, county)
            labels = WORKPLACES if kind == SettingKind.WORKPLACE else GATHERINGS
            label = labels[int(_short(key), 16) % len(labels)].format(name=name)
            self.settings[key], _created = setting_register(
                actor=self.national, kind=kind, label=label, division_code=county, source_key=key)
        return self.settings[key]

    def link_setting(self, link: PlannedLink, infector: CaseReport) -> Setting:
        from shouwang.tracing.services.settings_registry import household_for_case

        if link.kind == SettingKind.HOUSEHOLD:
            return household_for_case(actor=self.national, case=infector)[0]
        key = _short(infector.source_key or str(infector.pk))
        # A spreader's own gathering; otherwise one of the county's few workplaces/gatherings.
        tag = key[:12] if link.spreader else str(int(key, 16) % SETTINGS_PER_COUNTY)
        return self.setting(link.kind, link.place, tag)

    # contacts ---------------------------------------------------------------------------------

    def contacts_of(self, case: CaseReport, plan: Plan, cases: dict[int, CaseReport]) -> None:
        from shouwang.tracing.services.contacts import contact_register

        key = case.source_key or str(case.pk)
        rng = draw(self.ctx.rng, key, "contacts")
        actor = _local(self.officers, case.division_code)
        if actor is None:
            return
        diagnosed = timezone.localdate(case.diagnosed_at)
        identified = min(diagnosed + timedelta(days=rng.randint(0, 1)), self.last_day)
        county = case.division_code[:6]
        near = self.near.get(county, [])
        first: Contact | None = None
        for j in range(rng.randint(*CONTACTS)):
            residence = (rng.choice(near) if near and rng.random() < P_ELSEWHERE
                         else case.division_code)
            last = min(identified, _anchor(case) + timedelta(days=rng.randint(-2, 1)))
            data = {**_person(rng, residence, last), "kind": ContactKind.CLOSE,
                    "residence_division_code": residence,
                    "identified_on": identified.isoformat(),
                    "last_exposure_on": last.isoformat(),
                    "quarantine_place": rng.choice((QuarantinePlace.HOME,
                                                    QuarantinePlace.CENTRALISED))}
            contact = self._register(contact_register, actor, case, data,
                                     f"demo:c:{_short(key)}:{j}")
            if contact is not None and first is None:
                first = contact
        if first is not None and rng.random() < P_SECONDARY:
            for j in range(rng.randint(1, 2)):
                last = min(identified, first.last_exposure_on + timedelta(days=1))
                data = {**_person(rng, first.residence_division_code, last),
                        "kind": ContactKind.SECONDARY, "via_contact": str(first.pk),
                        "residence_division_code": first.residence_division_code,
                        "identified_on": identified.isoformat(),
                        "last_exposure_on": last.isoformat()}
                if self._register(contact_register, actor, case, data,
                                  f"demo:s:{_short(key)}:{j}") is not None:
                    self.figures.secondary += 1
        # The infectees found under follow-up: contacts of this case before they fell ill.
        for link in plan.infectees_of(case.pk):
            infectee = cases[link.infectee]
            if not link.found_under_follow_up:
                continue
            infectee_diagnosed = timezone.localdate(infectee.diagnosed_at)
            seen = min(identified, infectee_diagnosed - timedelta(days=1))
            data = {"name": infectee.name, "id_type": infectee.id_type,
                    "id_number": infectee.id_number, "phone": infectee.phone,
                    "kind": ContactKind.CLOSE,
                    "residence_division_code": infectee.division_code,
                    "identified_on": seen.isoformat(),
                    "last_exposure_on": min(seen, link.exposed_on).isoformat(),
                    "quarantine_place": QuarantinePlace.CENTRALISED}
            self._register(contact_register, actor, case, data,
                           f"demo:i:{_short(infectee.source_key or str(infectee.pk))}")

    def _register(self, register: Any, actor: User, case: CaseReport, data: dict[str, Any],
                  key: str) -> Contact | None:
        try:
            contact, created = register(actor=actor, index_case=case, data=data, source_key=key)
        except InvalidInput:
            # The same synthetic person followed elsewhere already: an officer would skip it.
            return None
        self.figures.contacts += int(created)
        return contact  # type: ignore[no-any-return]

    # hand-overs -------------------------------------------------------------------------------

    def hand_overs(self) -> None:
        from shouwang.tracing.services.handover import (
            handover_accept,
            handover_create,
            handover_refuse,
        )

        elsewhere = [c for c in Contact.objects.filter(
                         source_key__startswith="demo:",
                         status__in=(ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED))
                     .order_by("source_key")
                     if c.residence_division_code[:6] != c.division_code[:6]]
        refused = HandOver.objects.filter(status=HandOverStatus.REFUSED,
                                          contact__source_key__startswith="demo:").exists()
        for contact in elsewhere:
            if HandOver.objects.filter(contact=contact).exists():
                continue
            sender = _local(self.officers, contact.division_code)
            receiver = _local(self.officers, contact.residence_division_code)
            if sender is None or receiver is None:
                continue
            to = contact.residence_division_code[:6]
            try:
                hand_over = handover_create(actor=sender, contact=contact,
                                            version=contact.version, to_division_code=to,
                                            note=HANDOVER_NOTE)
            except InvalidInput:
                continue
            rng = draw(self.ctx.rng, contact.source_key or "", "handover")
            u = rng.random()
            if not refused:
                handover_refuse(actor=receiver, hand_over=hand_over, reason=REFUSAL)
                refused = True
                self.figures.hand_overs["refused"] += 1
            elif u < 0.75 or contact.release_on < self.last_day - timedelta(days=7):
                handover_accept(actor=receiver, hand_over=hand_over)
                self.figures.hand_overs["accepted"] += 1
            else:
                self.figures.hand_overs["pending"] += 1

    # investigations ---------------------------------------------------------------------------

    def exposures(self, case: CaseReport, plan: Plan, cases: dict[int, CaseReport]) -> None:
        from shouwang.tracing.services.investigations import exposure_add

        investigation = Investigation.objects.filter(case=case).first()
        if investigation is None or investigation.exposures.exists():
            return
        actor = self.national
        start, end = investigation.exposure_window_start, investigation.exposure_window_end

        def clamp(day: date) -> date:
            return min(max(day, start), end)

        def add(data: dict[str, Any]) -> None:
            try:
                exposure_add(actor=actor, investigation=investigation, data=data)
            except InvalidInput:
                return
            self.figures.exposures += 1

        home_from = clamp(end - timedelta(days=5))
        add({"kind": SettingKind.HOUSEHOLD, "started_on": home_from.isoformat(),
             "ended_on": end.isoformat()})
        link = plan.links.get(case.pk)
        if link is not None and link.kind != SettingKind.HOUSEHOLD:
            setting = self.link_setting(link, cases[link.infector])
            day = clamp(link.exposed_on)
            add({"kind": setting.kind, "setting_id": setting.pk, "started_on": day.isoformat(),
                 "ended_on": day.isoformat()})
        elif link is not None:
            setting = self.link_setting(link, cases[link.infector])
            day = clamp(link.exposed_on)
            add({"kind": SettingKind.HOUSEHOLD, "setting_id": setting.pk,
                 "started_on": day.isoformat(), "ended_on": day.isoformat()})
        # Where this case infected others outside its home: it was there too.
        for out in plan.infectees_of(case.pk):
            if out.kind == SettingKind.HOUSEHOLD:
                continue
            setting = self.link_setting(out, case)
            day = clamp(out.exposed_on)
            if investigation.exposures.filter(setting=setting).exists():
                continue
            add({"kind": setting.kind, "setting_id": setting.pk, "started_on": day.isoformat(),
                 "ended_on": day.isoformat()})
        if case.imported and case.origin_division_code:
            day = clamp(end - timedelta(days=3))
            add({"kind": SettingKind.TRANSPORT, "place_division_code": case.origin_division_code,
                 "started_on": day.isoformat(), "ended_on": day.isoformat()})

    def sources(self, traced: list[CaseReport], plan: Plan) -> None:
        from shouwang.tracing.services.investigations import (
            investigation_complete,
            investigation_set_source,
        )

        cutoff = self.last_day - timedelta(days=14)
        recent = self.last_day - timedelta(days=7)
        for case in traced:
            inv = Investigation.objects.filter(case=case).first()
            if inv is None or inv.completed_at is not None:
                continue
            wanted = inv.source_status
            if case.pk in plan.links and wanted in (SourceStatus.PENDING, SourceStatus.UNKNOWN):
                wanted = SourceStatus.KNOWN_CONTACT
            elif wanted == SourceStatus.PENDING and _anchor(case) < recent:
                wanted = SourceStatus.UNKNOWN
            if wanted != inv.source_status:
                inv = investigation_set_source(actor=self.national, investigation=inv,
                                               version=inv.version, source_status=wanted)
            if _anchor(case) < cutoff and inv.source_status != SourceStatus.PENDING:
                investigation_complete(actor=self.national, investigation=inv,
                                       version=inv.version,
                                       summary="流调完成，密接已全部判定并落实管控。")

    # follow-ups -------------------------------------------------------------------------------

    def follow_ups(self) -> None:
        from shouwang.tracing.services.contacts import contact_mark_lost, contacts_bulk_release
        from shouwang.tracing.services.followups import followup_record

        first_day = self.last_day - timedelta(days=FOLLOW_UP_DAYS - 1)
        open_ = list(Contact.objects.filter(
            source_key__startswith="demo:",
            status__in=(ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED),
            release_on__gte=first_day).order_by("source_key"))
        for contact in open_:
            rng = draw(self.ctx.rng, contact.source_key or "", "visits")
            actor = _local(self.officers, contact.division_code)
            if actor is None:
                continue
            if rng.random() < P_LOST and not contact.follow_ups.exists():
                contact_mark_lost(actor=actor, contact=contact, version=contact.version)
                continue
            done = set(contact.follow_ups.values_list("day", flat=True))
            day = max(first_day, contact.identified_on)
            while day <= min(self.last_day, contact.release_on):
                t = 36.3 + rng.random() * 0.7 + (1.4 if rng.random() < 0.03 else 0.0)
                outcome = "negative" if (day - contact.identified_on).days in (0, 3, 6) else ""
                if day not in done:
                    followup_record(actor=actor, contact=contact, data={
                        "day": day.isoformat(), "temperature_c": f"{t:.1f}",
                        "test_outcome": outcome})
                    self.figures.follow_ups += 1
                    contact.refresh_from_db()
                day += timedelta(days=1)
        ended = Contact.objects.filter(
            source_key__startswith="demo:", release_on__lte=self.last_day,
            status__in=(ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED)).order_by("id")
        self.figures.released += len(
            contacts_bulk_release(actor=self.national, contacts=list(ended)).released)


def build_demo_tracing(ctx: DemoContext) -> None:
    from shouwang.tracing.services.clusters import clusters_detect
    from shouwang.tracing.services.investigations import investigations_open_bulk
    from shouwang.tracing.services.link_proposals import links_propose
    from shouwang.tracing.services.links import links_confirm_bulk

    last_day = min(OUTBREAK_START + timedelta(days=OUTBREAK_DAYS - 1), timezone.localdate())
    officers = _officers()
    if "demo-national" not in officers:
        ctx.notes.append("Tracing: no demo officers; nothing traced.")
        return
    counties = {c.code: (c.latitude, c.longitude)
                for c in demo_counties(list(ctx.divisions("county")))}
    near = neighbours(counties)
    traced = traced_cases(ctx, last_day, near)
    if not traced:
        ctx.notes.append("Tracing: no outbreak cases to trace.")
        return
    builder = _Builder(ctx, officers, last_day)
    builder.near = near
    cases = {c.pk: c for c in traced}
    plan = plan_links(
        [Traced(c.pk, c.source_key or str(c.pk), c.division_code[:6], _anchor(c),
                timezone.localdate(c.diagnosed_at), c.imported) for c in traced],
        builder.near, ctx.rng, SUPER_SPREADERS.get(ctx.scale.name, 3))
    steps = 5
    _progress(ctx, "tracing", 0, steps)
    for case in traced:
        builder.contacts_of(case, plan, cases)
    builder.hand_overs()
    _progress(ctx, "tracing", 1, steps)
    investigations_open_bulk(disease=DISEASE)
    for case in traced:
        builder.exposures(case, plan, cases)
    _progress(ctx, "tracing", 2, steps)
    # A case confirmed with another infector before (a run with another seed) keeps it.
    stored = dict(TransmissionLink.objects.filter(
        status=LinkStatus.CONFIRMED, infectee_id__in=list(plan.links)).values_list(
        "infectee_id", "infector_id"))
    pairs = [(cases[p.infector], cases[p.infectee])
             for p in sorted(plan.links.values(), key=lambda p: p.infectee)
             if stored.get(p.infectee, p.infector) == p.infector]
    before = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED).count()
    if pairs:
        links_confirm_bulk(actor=builder.national, pairs=pairs, reason=LINK_REASON)
    builder.figures.links = (TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED)
                             .count() - before)
    for case in traced:
        if case.pk in plan.links or case.imported:
            continue
        if draw(ctx.rng, case.source_key or "", "propose").random() >= P_PROPOSE:
            continue
        # Ranked before (with or without a candidate that fits): not again.
        if TransmissionLink.objects.filter(infectee=case).exists() or AuditEvent.objects.filter(
                object_type="tracing.transmissionlink", object_id=f"proposals:{case.pk}").exists():
            continue
        builder.figures.proposals += len(links_propose(actor=builder.national,
                                                       infectee=case).links)
    _progress(ctx, "tracing", 3, steps)
    disease = Disease.objects.get(code=DISEASE)
    clusters = clusters_detect(disease=disease, as_of=last_day)
    builder.sources(traced, plan)
    _progress(ctx, "tracing", 4, steps)
    builder.follow_ups()
    _progress(ctx, "tracing", steps, steps)
    ctx.notes.append(summary(traced, last_day, clusters))


def summary(traced: list[CaseReport], last_day: date, clusters: dict[str, Any]) -> str:
    """What the demo holds (the same on a rerun)."""
    ids = [c.pk for c in traced]
    contacts = Contact.objects.filter(source_key__startswith="demo:")
    investigations = Investigation.objects.filter(case_id__in=ids)
    found = investigations.filter(found_under_follow_up=True).count()
    unknown = investigations.filter(source_status=SourceStatus.UNKNOWN).count()
    links = TransmissionLink.objects.filter(infectee_id__in=ids)
    hand_overs = HandOver.objects.filter(contact__in=contacts)
    by_status = {s: hand_overs.filter(status=s).count() for s in HandOverStatus.values}
    followed = contacts.filter(status__in=(ContactStatus.UNDER_FOLLOW_UP,
                                           ContactStatus.TESTED)).count()
    return (f"Tracing ({DISEASE}, {len(traced)} cases of the outbreak's first and last days, "
            f"up to {last_day}): "
            f"{contacts.count()} contacts "
            f"({contacts.filter(kind=ContactKind.SECONDARY).count()} secondary, "
            f"{followed} still followed), hand-overs {by_status['accepted']} accepted / "
            f"{by_status['pending']} pending / {by_status['refused']} refused, "
            f"{FollowUp.objects.filter(contact__in=contacts).count()} follow-up visits, "
            f"{links.filter(status=LinkStatus.CONFIRMED).count()} confirmed and "
            f"{links.filter(status=LinkStatus.PROPOSED).count()} proposed links, "
            f"{found} found under follow-up ({100 * found // max(len(ids), 1)} %), "
            f"{unknown} of unknown source, {clusters.get('open', 0) + clusters.get('closed', 0)}"
            f" clusters.")


register_demo_builder(DemoBuilder(
    name="tracing.investigations", order=70, build=build_demo_tracing,
    description="investigations, contacts, hand-overs, follow-ups, transmission links and "
                "clusters of the outbreak's first and last cases",
))

__all__ = ["FOLLOW_UP_DAYS", "TRACED", "build_demo_tracing", "summary", "traced_cases"]
