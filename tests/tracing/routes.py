"""Tracing routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the tracing app appends their own registrations in their own section below.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401

# --- Investigations, exposures, settings, clusters --------------------------------------------
# (api/investigations.py, api/clusters.py, views/investigations.py, views/clusters.py; decision
# 1010). Each maker opens a fresh investigation of a case ill on _ONSET, so the bodies' versions
# and dates are known.

_ONSET = "2026-01-10"
_IN_WINDOW = {"started_on": "2026-01-04", "ended_on": "2026-01-05"}


def _investigation(division_code: str, *, exposure: bool = False, source: bool = False,
                   complete: bool = False) -> dict[str, int]:
    from datetime import date

    from shouwang.tracing.services import investigations as svc
    from tests.tracing.cases import county_officer, make_case

    officer = county_officer(division_code)
    case = make_case(division_code, onset=date.fromisoformat(_ONSET))
    inv = svc.investigation_open(actor=officer, case=case)[0]
    out = {"investigation_id": inv.pk}
    if exposure:
        made = svc.exposure_add(actor=officer, investigation=inv, data={
            "kind": "household", **_IN_WINDOW})
        out["exposure_id"] = made.pk
        inv.refresh_from_db()
    if source or complete:
        inv = svc.investigation_set_source(actor=officer, investigation=inv,
                                           version=inv.version, source_status="unknown")
    if complete:
        svc.investigation_complete(actor=officer, investigation=inv, version=inv.version)
    return out


def _case_without_investigation(division_code: str) -> dict[str, int]:
    from tests.tracing.cases import make_case

    return {"case_id": make_case(division_code, classification="suspected").pk}


def _cluster(division_code: str) -> dict[str, int]:
    from datetime import date, timedelta

    from shouwang.surveillance.models import Disease
    from shouwang.tracing.models import Cluster
    from shouwang.tracing.services import investigations as svc
    from shouwang.tracing.services.clusters import clusters_detect
    from shouwang.tracing.services.settings_registry import setting_register
    from tests.tracing.cases import county_officer, make_case

    officer = county_officer(division_code)
    setting, _ = setting_register(actor=officer, kind="workplace", label="walker 车间",
                                  division_code=division_code)
    onset = date.fromisoformat(_ONSET)
    for day in (0, 3):
        case = make_case(division_code, onset=onset + timedelta(days=day))
        inv = svc.investigation_open(actor=officer, case=case)[0]
        svc.exposure_add(actor=officer, investigation=inv, data={
            "kind": "workplace", "setting_id": setting.pk, "started_on": onset - timedelta(days=2),
            "ended_on": onset - timedelta(days=1)})
    clusters_detect(disease=Disease.objects.get(code="covid19"), as_of=onset + timedelta(days=5))
    return {"cluster_id": Cluster.objects.get(setting=setting).pk}


_EXPOSURE_BODY = {"version": 1, "kind": "workplace", "setting_label": "walker 车间",
                  "place_division_code": "420106", **_IN_WINDOW}
for _prefix, _sep in (("api:tracing_", "_"), ("tracing:", "-")):
    _page = _prefix == "tracing:"
    scoped_route(f"{_prefix}investigation{_sep}detail")(_investigation)
    scoped_route(f"{_prefix}exposure_add" if not _page else "tracing:investigation-exposure-add",
                 method="post", body=_EXPOSURE_BODY)(_investigation)
    scoped_route(f"{_prefix}exposure_remove" if not _page
                 else "tracing:investigation-exposure-remove",
                 method="post", body={"version": 2, "reason": "walker"})(
        lambda code: _investigation(code, exposure=True))
    scoped_route(f"{_prefix}investigation{_sep}source", method="post",
                 body={"version": 1, "source_status": "imported"})(_investigation)
    scoped_route(f"{_prefix}investigation{_sep}complete", method="post",
                 body={"version": 2, "summary": "walker"})(
        lambda code: _investigation(code, source=True))
    scoped_route(f"{_prefix}investigation{_sep}reopen", method="post",
                 body={"version": 3, "reason": "walker"})(
        lambda code: _investigation(code, complete=True))
    scoped_route(f"{_prefix}cluster{_sep}detail")(_cluster)
scoped_route("tracing:case-investigation")(_case_without_investigation)

# --- Contacts, hand-overs, follow-ups ----------------------------------------------------------
# (api/contacts.py, views/contacts.py; decision 1020). A hand-over answers to both sides: the
# routes a receiver acts on are walked with the record's division as the RECEIVER (sent from
# 芙蓉区, another province), the sender's with it as the SENDER.


def _contact(division_code: str, *, old: bool = False, seq: int = 1) -> dict[str, int]:
    """A contact of a case of `division_code`, followed there; `old`: due for release."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.tracing.cases import county_officer, make_case
    from tests.tracing.contacts_factory import make_contact

    today = timezone.localdate()
    over: dict[str, object] = {}
    if old:
        over = {"last_exposure": today - timedelta(days=30),
                "identified_on": (today - timedelta(days=29)).isoformat()}
    case = make_case(division_code, onset=today - timedelta(days=35))
    contact = make_contact(case, county_officer(division_code), seq=seq, **over)
    return {"contact_id": contact.pk, "case_id": case.pk}


def _contact_id(division_code: str, **kw: object) -> dict[str, int]:
    return {"contact_id": _contact(division_code, **kw)["contact_id"]}  # type: ignore[arg-type]


def _visited(division_code: str) -> dict[str, int]:
    """A contact with today's visit {note: walker}: posting it again is the same visit (200)."""
    from shouwang.tracing.models import Contact
    from shouwang.tracing.services.followups import followup_record
    from tests.tracing.cases import county_officer

    ids = _contact_id(division_code)
    followup_record(actor=county_officer(division_code),
                    contact=Contact.objects.get(pk=ids["contact_id"]), data={"note": "walker"})
    return ids


def _hand_over(division_code: str, *, receiver: bool) -> dict[str, int]:
    """A pending hand-over with `division_code` as its receiver (from 芙蓉区) or as its sender
    (to 芙蓉区)."""
    from shouwang.tracing.models import Contact
    from shouwang.tracing.services.handover import handover_create
    from tests.tracing.cases import county_officer

    sender = "430102" if receiver else division_code
    target = division_code[:6] if receiver else "430102"
    contact = Contact.objects.get(pk=_contact(sender, seq=9)["contact_id"])
    hand_over = handover_create(actor=county_officer(sender), contact=contact,
                                version=contact.version, to_division_code=target)
    return {"hand_over_id": hand_over.pk}


def _received(division_code: str) -> dict[str, int]:
    return _hand_over(division_code, receiver=True)


def _sent(division_code: str) -> dict[str, int]:
    return _hand_over(division_code, receiver=False)


def _returned(division_code: str) -> dict[str, int]:
    """A hand-over `division_code` sent to 芙蓉区, refused there."""
    from shouwang.tracing.models import HandOver
    from shouwang.tracing.services.handover import handover_refuse
    from tests.tracing.cases import county_officer

    ids = _sent(division_code)
    handover_refuse(actor=county_officer("430102"),
                    hand_over=HandOver.objects.get(pk=ids["hand_over_id"]), reason="walker")
    return ids


def _case(division_code: str) -> dict[str, int]:
    return {"case_id": _contact(division_code)["case_id"]}


def _three_days_ago() -> str:
    from datetime import timedelta

    from django.utils import timezone

    return (timezone.localdate() - timedelta(days=3)).isoformat()


scoped_route("api:tracing_contact_detail")(_contact_id)
scoped_route("api:tracing_followup_create", method="post", body={"note": "walker"})(_visited)
scoped_route("api:tracing_handover_create", method="post",
             body={"version": 1, "to_division_code": "430102"})(_contact_id)
scoped_route("api:tracing_contact_release", method="post", body={"version": 1})(
    lambda code: _contact_id(code, old=True))
scoped_route("api:tracing_contact_lost", method="post", body={"version": 1})(_contact_id)
scoped_route("api:tracing_contact_last_exposure", method="post",
             body={"version": 1, "last_exposure_on": _three_days_ago()})(_contact_id)
scoped_route("api:tracing_handover_detail")(_received)
scoped_route("api:tracing_handover_accept", method="post")(_received)
scoped_route("api:tracing_handover_refuse", method="post", body={"reason": "walker"})(_received)
scoped_route("api:tracing_handover_cancel", method="post")(_sent)
scoped_route("api:tracing_case_contacts")(_case)
scoped_route("api:tracing_handover_keep", method="post")(_returned)

scoped_route("tracing:contact-detail")(_contact_id)
scoped_route("tracing:contact-follow-up", method="post", body={"version": 1, "note": "walker"})(
    _contact_id)
scoped_route("tracing:contact-release", method="post", body={"version": 1})(
    lambda code: _contact_id(code, old=True))
scoped_route("tracing:contact-lost", method="post", body={"version": 1})(_contact_id)
scoped_route("tracing:contact-last-exposure", method="post",
             body={"version": 1, "last_exposure_on": _three_days_ago()})(_contact_id)
scoped_route("tracing:contact-hand-over", method="post",
             body={"version": 1, "to_division_code": "430102"})(_contact_id)
scoped_route("tracing:case-contacts")(_case)
scoped_route("tracing:handover-detail")(_received)
scoped_route("tracing:handover-accept", method="post")(_received)
scoped_route("tracing:handover-refuse", method="post", body={"refusal_reason": "walker"})(
    _received)
scoped_route("tracing:handover-cancel", method="post")(_sent)
scoped_route("tracing:handover-keep", method="post")(_returned)

# --- Transmission links and chains ------------------------------------------------------------
# (api/chains.py, views/chains.py; decision 1030). Each maker builds a two-case chain in the
# division (infector ill 5 days before its infectee) and, for the decisions, a proposal.


def _chain(division_code: str) -> dict[str, int]:
    from datetime import timedelta

    from django.utils import timezone

    from shouwang.tracing.services.links import link_confirm
    from tests.tracing.cases import county_officer, make_case

    onset = timezone.localdate() - timedelta(days=20)
    a = make_case(division_code, onset=onset)
    b = make_case(division_code, onset=onset + timedelta(days=5))
    link_confirm(actor=county_officer(division_code), infector=a, infectee=b)
    return {"case_id": b.pk, "infector_id": a.pk}


def _chain_case(division_code: str) -> dict[str, int]:
    return {"case_id": _chain(division_code)["case_id"]}


def _pair(division_code: str) -> dict[str, int]:
    """Two unlinked cases of the division: case_id may be infected by infector_id."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.tracing.cases import make_case

    onset = timezone.localdate() - timedelta(days=20)
    a = make_case(division_code, onset=onset)
    b = make_case(division_code, onset=onset + timedelta(days=4))
    return {"case_id": b.pk, "infector_id": a.pk}


def _proposal(division_code: str) -> dict[str, int]:
    from shouwang.surveillance.models import CaseReport
    from shouwang.tracing.services.link_proposals import links_propose
    from tests.tracing.cases import county_officer

    ids = _pair(division_code)
    result = links_propose(actor=county_officer(division_code),
                           infectee=CaseReport.objects.get(pk=ids["case_id"]))
    return {"link_id": result.links[0].pk}


scoped_route("api:tracing_chain_case")(_chain_case)
scoped_route("api:tracing_chain_case_export", body={"format": "json"})(_chain_case)
scoped_route("api:tracing_case_links")(_chain_case)
scoped_route("api:tracing_case_links_propose", method="post", body={"top": 3})(_chain_case)
scoped_route("api:tracing_link_confirm_pair", method="post", body={"reason": "walker"})(_pair)
scoped_route("api:tracing_link_confirm", method="post", body={"reason": "walker"})(_proposal)
scoped_route("api:tracing_link_reject", method="post", body={"reason": "walker"})(_proposal)
scoped_route("tracing:case-chain")(_chain_case)
scoped_route("tracing:case-chain-export", body={"format": "json"})(_chain_case)
scoped_route("tracing:case-links")(_chain_case)


# --- Flows and imports ------------------------------------------------------------------------
