"""Reads of contacts, hand-overs and follow-ups. Every reader takes the viewer and goes through
core.scoping, except the helpers marked *unscoped*, which serve services only.

A contact is scoped by `division_code` (the county following it). A hand-over is visible to
both sides: to the viewers of its sender (`from_division_code`) and of its receiver
(`to_division_code`), whatever became of it, so none is ever lost from sight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.core.scoping import get_scoped_or_404, jurisdiction_prefix, prefix_q, scoped
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import (
    Contact,
    ContactStatus,
    FollowUp,
    HandOver,
    HandOverStatus,
    QuarantinePolicy,
    TestOutcome,
)
from shouwang.tracing.pseudonyms import county_code_of

if TYPE_CHECKING:
    from shouwang.accounts.models import User

# A person counts as a contact still being followed (or found a case) in these states.
ACTIVE_OR_CASE = (ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED, ContactStatus.BECAME_CASE)
FOLLOWED = (ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED)
DEFAULT_EVERY_DAYS = 1
FEVER_C = 37.3
PERSONAL = ("name", "id_number", "phone")


def same_person_q(*, id_number_hash: str | None, name_hash: str | None,
                  birth_date: object | None) -> Q | None:
    """Rows of the same person: the same ID number when one is known; otherwise (or for rows
    without an ID number) the same name and date of birth. None when nothing identifies."""
    by_name = (Q(name_hash=name_hash, birth_date=birth_date)
               if name_hash and birth_date is not None else None)
    if id_number_hash:
        q = Q(id_number_hash=id_number_hash)
        if by_name is not None:
            q |= Q(id_number_hash__isnull=True) & by_name
        return q
    return by_name


def contacts_matching_case(case: CaseReport) -> QuerySet[Contact]:
    """*Unscoped*, for services: contacts who are the person of `case`, for the same disease
    as their index case, under follow-up, tested or already a case."""
    q = same_person_q(id_number_hash=case.id_number_hash, name_hash=case.name_hash,
                      birth_date=case.birth_date)
    if q is None:
        return Contact.objects.none()
    return (Contact.objects.filter(q)
            .filter(index_case__disease_id=case.disease_id, status__in=ACTIVE_OR_CASE)
            .exclude(index_case_id=case.pk)
            .order_by("-identified_on", "-id"))


# --- lists ---------------------------------------------------------------------------------------


def _last_visit() -> Subquery:
    return Subquery(FollowUp.objects.filter(contact=OuterRef("pk")).order_by("-day")
                    .values("day")[:1])


def _positive() -> Exists:
    return Exists(FollowUp.objects.filter(contact=OuterRef("pk"),
                                          test_outcome=TestOutcome.POSITIVE))


def with_visits(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    """Annotate `last_visit` (the latest follow-up day, or None) and `positive` (any positive
    test) with subqueries: no GROUP BY over the encrypted columns."""
    return qs.annotate(last_visit=_last_visit(), positive=_positive())


def overdue_q(today: date) -> Q:
    """Contacts under follow-up whose latest visit (or, before the first, their identification)
    is more than the disease's follow-up interval ago: the next visit was due before today.
    For a queryset annotated by `annotate_seen`."""
    policies = dict(QuarantinePolicy.objects.values_list("disease_id", "follow_up_every_days"))
    special = {d: every for d, every in policies.items() if every != DEFAULT_EVERY_DAYS}
    q = Q(seen_on__lt=today - timedelta(days=DEFAULT_EVERY_DAYS))
    if special:
        q &= ~Q(index_case__disease_id__in=list(special))
    for disease, every in special.items():
        q |= Q(index_case__disease_id=disease, seen_on__lt=today - timedelta(days=every))
    return Q(status__in=FOLLOWED) & q


def annotate_seen(qs: QuerySet[Contact]) -> QuerySet[Contact]:
    """Annotate `seen_on`: the latest visit, else the identification date."""
    return qs.annotate(seen_on=Coalesce(_last_visit(), "identified_on"))


def due_for_release_q(today: date) -> Q:
    """Open contacts whose release date has come, without a positive test."""
    return Q(status__in=FOLLOWED, release_on__lte=today) & ~Q(
        Exists(FollowUp.objects.filter(contact=OuterRef("pk"),
                                       test_outcome=TestOutcome.POSITIVE)))


@dataclass(frozen=True)
class ContactFilters:
    status: str = ""
    overdue: bool = False
    due: bool = False
    index_case: int | None = None
    kind: str = ""
    division: str = ""


def contact_list(*, user: User, filters: ContactFilters | None = None,
                 today: date | None = None) -> QuerySet[Contact]:
    """Contacts followed in the viewer's jurisdiction, newest identification first."""
    f = filters or ContactFilters()
    today = today or timezone.localdate()
    qs = annotate_seen(with_visits(scoped(Contact.objects.all(), user)))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.index_case:
        qs = qs.filter(index_case_id=f.index_case)
    if f.division:
        qs = qs.filter(prefix_q("division_code", f.division))
    if f.overdue:
        qs = qs.filter(overdue_q(today))
    if f.due:
        qs = qs.filter(due_for_release_q(today))
    return qs.select_related("index_case__disease").order_by("-identified_on", "-id")


def contact_counts(*, user: User, filters: ContactFilters | None = None,
                   today: date | None = None) -> dict[str, int]:
    """Contacts by status under the filters (the status, overdue and due filters aside), and
    how many are overdue and due for release."""
    f = filters or ContactFilters()
    today = today or timezone.localdate()
    base = contact_list(user=user, filters=ContactFilters(
        index_case=f.index_case, kind=f.kind, division=f.division), today=today)
    counts = {s: 0 for s in ContactStatus.values}
    for status, n in (base.order_by().values_list("status").annotate(n=Count("id"))
                      .values_list("status", "n")):
        counts[status] = n
    counts["all"] = sum(counts[s] for s in ContactStatus.values)
    counts["overdue"] = base.filter(overdue_q(today)).count()
    counts["due"] = base.filter(due_for_release_q(today)).count()
    return counts


def contact_get(*, user: User, contact_id: int) -> Contact:
    """One contact followed inside the viewer's jurisdiction (404 otherwise), without audit:
    for actions."""
    qs = annotate_seen(with_visits(Contact.objects.select_related(
        "index_case__disease", "via_contact", "setting", "became_case")))
    return get_scoped_or_404(qs, user, pk=contact_id)


def contact_detail(*, user: User, contact_id: int) -> Contact:
    """A contact with its personal fields, for display: the read is audited."""
    contact = contact_get(user=user, contact_id=contact_id)
    audit_log(actor=user, action=AuditAction.READ, obj=contact, summary="contact viewed")
    return contact


def contact_follow_ups(*, user: User, contact_id: int) -> QuerySet[FollowUp]:
    contact = contact_get(user=user, contact_id=contact_id)
    return FollowUp.objects.filter(contact=contact).select_related("recorded_by").order_by("day")


def contact_flags(contact: Contact) -> dict[str, Any]:
    """Warnings on a contact: a positive test, fever at the latest visit."""
    latest = FollowUp.objects.filter(contact=contact).order_by("-day").first()
    fever = bool(latest and latest.temperature_c is not None
                 and float(latest.temperature_c) >= FEVER_C)
    return {"positive": FollowUp.objects.filter(contact=contact,
                                                test_outcome=TestOutcome.POSITIVE).exists(),
            "fever": fever, "latest": latest}


def fever_ids(contact_ids: list[int]) -> set[int]:
    """Of these contacts, those whose latest visit had fever (one query)."""
    latest: dict[int, Any] = {}
    for cid, temp in (FollowUp.objects.filter(contact_id__in=contact_ids)
                      .order_by("contact_id", "day").values_list("contact_id", "temperature_c")):
        latest[cid] = temp
    return {cid for cid, t in latest.items() if t is not None and float(t) >= FEVER_C}


def overdue_ids(contact_ids: list[int], today: date | None = None) -> set[int]:
    """Of these contacts (already read through a scoped selector), the overdue ones."""
    qs = annotate_seen(Contact.objects.filter(pk__in=contact_ids))
    return set(qs.filter(overdue_q(today or timezone.localdate())).values_list("pk", flat=True))


def case_for_contacts(*, user: User, case_id: int) -> CaseReport:
    """An index case inside the viewer's jurisdiction (404 otherwise)."""
    return get_scoped_or_404(CaseReport.objects.select_related("disease"), user, pk=case_id)


def case_contacts(case: CaseReport) -> QuerySet[Contact]:
    """*Unscoped*: every contact of an index case, wherever followed. The page shows those
    outside the viewer's jurisdiction pseudonymised (tracing.pseudonyms)."""
    return (with_visits(Contact.objects.filter(index_case=case))
            .select_related("via_contact").order_by("kind", "identified_on", "id"))


# --- hand-overs ----------------------------------------------------------------------------------


def _either_side(qs: QuerySet[HandOver], user: User) -> QuerySet[HandOver]:
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return qs.none()
    if not prefix:
        return qs
    return qs.filter(prefix_q("from_division_code", prefix) | prefix_q("to_division_code",
                                                                         prefix))


def handover_get(*, user: User, hand_over_id: int) -> HandOver:
    """A hand-over the viewer's jurisdiction sent or received (404 otherwise)."""
    qs = _either_side(HandOver.objects.select_related(
        "contact__index_case__disease", "requested_by", "decided_by"), user)
    found = qs.filter(pk=hand_over_id).first()
    if found is None:
        from django.http import Http404

        raise Http404
    return found


def handover_detail(*, user: User, hand_over_id: int) -> HandOver:
    """A hand-over with its contact's personal fields (the receiver needs them to act): the
    read is audited under the contact."""
    hand_over = handover_get(user=user, hand_over_id=hand_over_id)
    audit_log(actor=user, action=AuditAction.READ, obj=hand_over.contact,
              summary=f"contact viewed through hand-over #{hand_over.pk}")
    return hand_over


def _handovers(user: User) -> QuerySet[HandOver]:
    return _either_side(HandOver.objects.select_related(
        "contact__index_case__disease", "requested_by", "decided_by"), user)


def handovers_incoming(*, user: User, status: str = HandOverStatus.PENDING) -> QuerySet[HandOver]:
    """Hand-overs to the viewer's jurisdiction (pending ones by default), oldest first."""
    qs = scoped(_handovers(user), user, "to_division_code")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("requested_at", "id")


def handovers_sent(*, user: User) -> QuerySet[HandOver]:
    """Every hand-over the viewer's jurisdiction sent, newest first, whatever its status."""
    return scoped(_handovers(user), user, "from_division_code").order_by("-requested_at", "-id")


def handovers_returned(*, user: User) -> QuerySet[HandOver]:
    """Refused hand-overs the viewer's jurisdiction sent whose contact it still follows, with
    no later hand-over and not yet kept: they wait for the sender to send the contact elsewhere
    or to keep it (services.handover.handover_keep)."""
    later = HandOver.objects.filter(contact=OuterRef("contact"), id__gt=OuterRef("id"))
    qs = scoped(_handovers(user), user, "from_division_code").filter(
        status=HandOverStatus.REFUSED, kept_at__isnull=True,
        contact__status__in=FOLLOWED).exclude(Exists(later))
    return scoped(qs, user, "contact__division_code").order_by("-decided_at", "-id")


def pending_incoming_count(*, user: User) -> int:
    return handovers_incoming(user=user).count()


def contact_hand_overs(contact: Contact) -> QuerySet[HandOver]:
    """A contact's hand-overs, oldest first (for a page that already checked the contact)."""
    return (HandOver.objects.filter(contact=contact)
            .select_related("requested_by", "decided_by").order_by("requested_at", "id"))


# --- how a person is shown ------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownPerson:
    """A contact's person as one viewer may see it: `full` (name, ID, phone in clear) only for
    a viewer who holds surveillance.read inside the contact's jurisdiction; masked (张*) for a
    viewer inside without it; pseudonymised (initials · age band · county) outside."""

    label: str
    full: bool
    pseudonymised: bool
    id_number: str
    phone: str


def can_see_person(user: User, division_code: str) -> bool:
    from shouwang.core.scoping import in_jurisdiction

    return user.has_capability("surveillance.read") and in_jurisdiction(user, division_code)


def shown_person(user: User, contact: Contact, names: dict[str, str],
                 *, receiving: bool = False) -> ShownPerson:
    """`receiving`: the viewer's county is the receiver of a pending hand-over of the contact
    and needs the person to act (the caller has audited the read)."""
    from shouwang.surveillance.services.exports import mask_id_number, mask_name, mask_phone
    from shouwang.tracing.pseudonyms import person_label

    if receiving or can_see_person(user, contact.division_code):
        return ShownPerson(contact.name, True, False, contact.id_number, contact.phone)
    county = county_code_of(contact.division_code)
    label = person_label(user, division_code=contact.division_code, name=contact.name,
                         age_years=contact.age_years, county_name=names.get(county, ""))
    if label.pseudonymised:
        return ShownPerson(label.text, False, True, "", "")
    return ShownPerson(mask_name(contact.name), False, False, mask_id_number(contact.id_number),
                       mask_phone(contact.phone))


def names_with_counties(codes: list[str]) -> dict[str, str]:
    """Names of the given division codes and of their counties (a pseudonymised person is shown
    by county), in one lookup."""
    return division_names(sorted({c for c in codes if c} | {county_code_of(c) for c in codes
                                                             if c}))
