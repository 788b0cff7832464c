"""Reads of contacts, hand-overs and follow-ups. Every reader takes the viewer and goes through
core.scoping, except the helpers marked *unscoped*, which serve services only."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import Contact, ContactStatus

# A person counts as a contact still being followed (or found a case) in these states.
ACTIVE_OR_CASE = (ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED, ContactStatus.BECAME_CASE)


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
