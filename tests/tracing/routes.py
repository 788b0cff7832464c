"""Tracing routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the tracing app appends their own registrations in their own section below.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401

# --- Investigations, exposures, settings, clusters --------------------------------------------

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

# --- Transmission links and chains ------------------------------------------------------------

# --- Flows and imports ------------------------------------------------------------------------
