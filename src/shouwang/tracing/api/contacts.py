"""/api/v1/tracing/contacts: contacts of index cases, their daily follow-ups, release, and the
hand-overs between counties (协查移交).

A contact outside the caller's jurisdiction answers 404; a hand-over answers to both of its
sides. Actions name the version they read; when someone acted first the answer is 409 and
nothing changes. Bad input answers 422 field by field, in the request's language.
Decision: docs/decisions/1020-contacts-and-hand-over.md.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Body, Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.scoping import in_jurisdiction
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import (
    Contact,
    ContactKind,
    ContactStatus,
    FollowUp,
    HandOver,
    HandOverStatus,
    QuarantinePlace,
)
from shouwang.tracing.selectors import contacts as selectors
from shouwang.tracing.services import contacts as services
from shouwang.tracing.services import followups as followup_services
from shouwang.tracing.services import handover as handover_services

router = Router(tags=["tracing: contacts"])

READ = "tracing.read"
WRITE = services.WRITE
PAGE_MAX = 200
INPUT_FIELDS = ("kind", "via_contact", "setting", "name", "id_type", "id_number", "phone",
                "sex", "birth_date", "age_years", "residence_division_code", "identified_on",
                "last_exposure_on", "quarantine_place", "quarantine_site")


# --- schemas -----------------------------------------------------------------------------------


class ContactFilterIn(Schema):
    status: str | None = None
    kind: str | None = None
    index_case: int | None = None
    division: str | None = Field(None, max_length=12)
    overdue: bool = False
    due: bool = False
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class PersonOut(Schema):
    label: str = Field(..., description="the name (in clear, masked or pseudonymised)")
    full: bool
    pseudonymised: bool
    id_number: str
    phone: str


class ContactOut(Schema):
    id: int
    index_case_id: int
    kind: str
    kind_label: str
    via_contact_id: int | None
    person: PersonOut
    age_years: int | None
    sex: str
    residence_division_code: str
    division_code: str
    division_name: str
    found_by_division_code: str
    identified_on: date
    last_exposure_on: date
    release_on: date
    status: str
    status_label: str
    quarantine_place: str
    quarantine_site: str
    last_visit: date | None
    positive: bool
    became_case_id: int | None
    version: int


class ContactPageOut(Schema):
    items: list[ContactOut]
    total: int
    offset: int
    limit: int
    has_next: bool
    counts: dict[str, int]


class FollowUpOut(Schema):
    id: int
    day: date
    symptoms: list[str]
    temperature_c: float | None
    test_outcome: str
    note: str
    recorded_by: str | None
    recorded_at: datetime


class HandOverOut(Schema):
    id: int
    contact_id: int
    person: PersonOut
    from_division_code: str
    from_division_name: str
    to_division_code: str
    to_division_name: str
    status: str
    status_label: str
    note: str
    refusal_reason: str
    requested_by: str | None
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    kept_at: datetime | None


class ContactDetailOut(ContactOut):
    fever: bool
    follow_ups: list[FollowUpOut]
    hand_overs: list[HandOverOut]


class RegisteredOut(ContactDetailOut):
    created: bool


class ContactIn(Schema):
    index_case: int
    source_key: str | None = Field(None, max_length=96)
    kind: str = ContactKind.CLOSE
    via_contact: int | None = None
    setting: int | None = None
    name: str = Field(..., max_length=64)
    id_type: str = "resident_id"
    id_number: str = ""
    phone: str = ""
    sex: str = ""
    birth_date: date | None = None
    age_years: int | None = None
    residence_division_code: str = Field(..., max_length=12)
    identified_on: date | None = None
    last_exposure_on: date
    quarantine_place: str = QuarantinePlace.HOME
    quarantine_site: str = ""


class ValidateOut(Schema):
    valid: bool
    errors: dict[str, list[str]]
    derived: dict[str, Any]


class VersionIn(Schema):
    version: int


class LastExposureIn(VersionIn):
    last_exposure_on: date


class FollowUpIn(Schema):
    day: date | None = None
    symptoms: list[str] = []
    temperature_c: float | None = None
    test_outcome: str = ""
    note: str = Field("", max_length=255)


class FollowUpRecordedOut(Schema):
    follow_up: FollowUpOut
    created: bool
    contact_status: str
    contact_version: int


class HandOverIn(VersionIn):
    to_division_code: str = Field(..., max_length=12)
    note: str = Field("", max_length=255)


class RefuseIn(Schema):
    reason: str = Field(..., max_length=255)


class BulkReleaseIn(Schema):
    ids: list[int] = Field(..., min_length=1, max_length=500)


class BulkReleaseOut(Schema):
    released: list[int]
    skipped: dict[int, list[str]]


class HandOverBoxIn(Schema):
    box: str = Field("incoming", pattern="^(incoming|sent|returned)$")
    status: str | None = None
    limit: int = Field(100, ge=1, le=PAGE_MAX)


class CaseContactsOut(Schema):
    index_case_id: int
    items: list[ContactOut]


# --- output ------------------------------------------------------------------------------------



def _person(p: selectors.ShownPerson) -> dict[str, Any]:
    return {"label": p.label, "full": p.full, "pseudonymised": p.pseudonymised,
            "id_number": p.id_number, "phone": p.phone}


def contact_rows(user: Any, contacts: list[Contact]) -> list[dict[str, Any]]:
    names = selectors.names_with_counties([c.division_code for c in contacts])
    out = []
    for c in contacts:
        shown = selectors.shown_person(user, c, names)
        out.append({
            "id": c.pk, "index_case_id": c.index_case_id, "kind": c.kind,
            "kind_label": str(ContactKind(c.kind).label), "via_contact_id": c.via_contact_id,
            "person": _person(shown), "age_years": c.age_years,
            "sex": c.sex if not shown.pseudonymised else "",
            "residence_division_code": c.residence_division_code,
            "division_code": c.division_code, "division_name": names.get(c.division_code, ""),
            "found_by_division_code": c.found_by_division_code,
            "identified_on": c.identified_on, "last_exposure_on": c.last_exposure_on,
            "release_on": c.release_on, "status": c.status,
            "status_label": str(ContactStatus(c.status).label),
            "quarantine_place": c.quarantine_place, "quarantine_site": c.quarantine_site,
            "last_visit": getattr(c, "last_visit", None),
            "positive": bool(getattr(c, "positive", False)), "became_case_id": c.became_case_id,
            "version": c.version,
        })
    return out


def follow_up_rows(visits: list[FollowUp]) -> list[dict[str, Any]]:
    return [{"id": v.pk, "day": v.day, "symptoms": v.symptoms,
             "temperature_c": float(v.temperature_c) if v.temperature_c is not None else None,
             "test_outcome": v.test_outcome, "note": v.note,
             "recorded_by": v.recorded_by.username if v.recorded_by else None,
             "recorded_at": v.recorded_at} for v in visits]


def hand_over_rows(user: Any, rows: list[HandOver], *, audited: bool = False
                   ) -> list[dict[str, Any]]:
    """`audited`: the caller audited the read, so the receiver of a pending hand-over sees
    the person in clear (it needs them to act)."""
    names = selectors.names_with_counties(
        [h.from_division_code for h in rows] + [h.to_division_code for h in rows]
        + [h.contact.division_code for h in rows])
    out = []
    for h in rows:
        receiving = (audited and h.status == HandOverStatus.PENDING
                     and user.has_capability("surveillance.read")
                     and in_jurisdiction(user, h.to_division_code))
        out.append({
            "id": h.pk, "contact_id": h.contact_id,
            "person": _person(selectors.shown_person(user, h.contact, names,
                                                     receiving=receiving)),
            "from_division_code": h.from_division_code,
            "from_division_name": names.get(h.from_division_code, ""),
            "to_division_code": h.to_division_code,
            "to_division_name": names.get(h.to_division_code, ""),
            "status": h.status, "status_label": str(HandOverStatus(h.status).label),
            "note": h.note, "refusal_reason": h.refusal_reason,
            "requested_by": h.requested_by.username if h.requested_by else None,
            "requested_at": h.requested_at,
            "decided_by": h.decided_by.username if h.decided_by else None,
            "decided_at": h.decided_at, "kept_at": h.kept_at,
        })
    return out


def _detail(request: AuthedRequest, contact_id: int) -> dict[str, Any]:
    user = request.user
    contact = selectors.contact_get(user=user, contact_id=contact_id)
    if selectors.can_see_person(user, contact.division_code):
        contact = selectors.contact_detail(user=user, contact_id=contact_id)  # audited read
    flags = selectors.contact_flags(contact)
    return {**contact_rows(user, [contact])[0], "fever": flags["fever"],
            "follow_ups": follow_up_rows(list(selectors.contact_follow_ups(
                user=user, contact_id=contact.pk))),
            "hand_overs": hand_over_rows(user, list(selectors.contact_hand_overs(contact)))}


def _call(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service; PermissionDenied → 403, a concurrent change → 409."""
    try:
        return fn(**kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None
    except (services.ContactConflict, handover_services.HandOverConflict) as exc:
        raise HttpError(409, exc.message) from None


def _writable(request: AuthedRequest, contact_id: int) -> Contact:
    check_capability(request, WRITE)
    return selectors.contact_get(user=request.user, contact_id=contact_id)


def _index_case(request: AuthedRequest, case_id: int, via: int | None) -> CaseReport:
    """The index case, inside the caller's jurisdiction, or reached through a close contact the
    caller follows (a county registering a secondary contact of a contact handed to it)."""
    try:
        return selectors.case_for_contacts(user=request.user, case_id=case_id)
    except Http404:
        if via is None:
            raise
        close = selectors.contact_get(user=request.user, contact_id=via)
        if close.index_case_id != case_id:
            raise
        return close.index_case


# --- fixed paths first ---------------------------------------------------------------------


@router.get("", response=ContactPageOut, url_name="tracing_contact_list",
            summary="Contacts followed in the caller's area, newest first, with counts by "
                    "status, overdue and due for release")
def contact_list(request: AuthedRequest, filters: Query[ContactFilterIn]) -> Any:
    check_capability(request, READ)
    f = selectors.ContactFilters(
        status=filters.status or "", kind=filters.kind or "", index_case=filters.index_case,
        division=filters.division or "", overdue=filters.overdue, due=filters.due)
    qs = selectors.contact_list(user=request.user, filters=f)
    total = qs.count()
    items = list(qs[filters.offset:filters.offset + filters.limit])
    return {"items": contact_rows(request.user, items), "total": total,
            "offset": filters.offset, "limit": filters.limit,
            "has_next": filters.offset + len(items) < total,
            "counts": selectors.contact_counts(user=request.user, filters=f)}


@router.post("", response={200: RegisteredOut, 201: RegisteredOut},
             url_name="tracing_contact_create",
             summary="Register a close or secondary contact of an index case (the same "
                     "source_key, or the same person of the case, → 200 with the stored one)")
def contact_create(request: AuthedRequest, payload: ContactIn) -> Any:
    check_capability(request, WRITE)
    data = payload.dict()
    case = _index_case(request, data.pop("index_case"), payload.via_contact)
    key = data.pop("source_key", None)
    clean = {k: ("" if v is None else v) for k, v in data.items() if k in INPUT_FIELDS}
    contact, created = _call(services.contact_register, actor=request.user, index_case=case,
                             data=clean, source_key=key)
    if not in_jurisdiction(request.user, contact.division_code):  # pragma: no cover
        raise Http404
    return Status(201 if created else 200, {**_detail(request, contact.pk), "created": created})


@router.post("/validate", response=ValidateOut, url_name="tracing_contact_validate",
             summary="Check a contact's fields with the service's rules without storing "
                     "anything (the register form's instant validation)")
def contact_validate(request: AuthedRequest, payload: Body[dict[str, Any]]) -> Any:
    check_capability(request, WRITE)
    raw_case = str(payload.get("index_case") or "")
    case = (selectors.case_for_contacts(user=request.user, case_id=int(raw_case))
            if raw_case.isdigit() else None)
    if case is None:
        return {"valid": False, "derived": {},
                "errors": {"index_case": [_("此项为必填项。")]}}
    data = {k: v for k, v in payload.items() if k in INPUT_FIELDS}
    clean, errors = services.validate_contact_input(data, index_case=case)
    if clean is None:
        return {"valid": False, "derived": {},
                "errors": {k: [str(m) for m in v] for k, v in errors.items()}}
    return {"valid": True, "errors": {}, "derived": {
        "sex": clean.sex, "age_years": clean.age_years,
        "birth_date": clean.birth_date.isoformat() if clean.birth_date else None,
        "release_on": services.release_date(case.disease,
                                            clean.last_exposure_on).isoformat()}}


@router.post("/release", response=BulkReleaseOut, url_name="tracing_contact_bulk_release",
             summary="Release many contacts at once; those that may not be released are "
                     "listed with the reasons")
def contact_bulk_release(request: AuthedRequest, payload: BulkReleaseIn) -> Any:
    check_capability(request, WRITE)
    visible = list(selectors.contact_list(user=request.user).filter(pk__in=payload.ids))
    result = _call(services.contacts_bulk_release, actor=request.user, contacts=visible)
    found = {c.pk for c in visible}
    for missing in payload.ids:
        if missing not in found:
            result.skipped[missing] = [_("未找到该记录。")]
    return {"released": result.released, "skipped": result.skipped}


@router.get("/hand-overs", response=list[HandOverOut], url_name="tracing_handover_list",
            summary="Hand-overs: incoming (pending by default), sent (all) or returned "
                    "(refused, waiting for the sender)")
def handover_list(request: AuthedRequest, filters: Query[HandOverBoxIn]) -> Any:
    check_capability(request, READ)
    user = request.user
    if filters.box == "incoming":
        qs = selectors.handovers_incoming(user=user, status=filters.status or "pending")
    elif filters.box == "sent":
        qs = selectors.handovers_sent(user=user)
    else:
        qs = selectors.handovers_returned(user=user)
    return hand_over_rows(user, list(qs[:filters.limit]))


@router.get("/hand-overs/{int:hand_over_id}", response=HandOverOut,
            url_name="tracing_handover_detail",
            summary="One hand-over (for both sides); the receiver of a pending one sees the "
                    "person (audited)")
def handover_detail(request: AuthedRequest, hand_over_id: int) -> Any:
    check_capability(request, READ)
    h = selectors.handover_detail(user=request.user, hand_over_id=hand_over_id)
    return hand_over_rows(request.user, [h], audited=True)[0]


def _decide(request: AuthedRequest, hand_over_id: int, fn: Callable[..., HandOver],
            **kwargs: Any) -> Any:
    check_capability(request, WRITE)
    h = selectors.handover_get(user=request.user, hand_over_id=hand_over_id)
    done = _call(fn, actor=request.user, hand_over=h, **kwargs)
    done = selectors.handover_get(user=request.user, hand_over_id=done.pk)
    return hand_over_rows(request.user, [done])[0]


@router.post("/hand-overs/{int:hand_over_id}/accept", response=HandOverOut,
             url_name="tracing_handover_accept",
             summary="The receiving county accepts: the contact is followed there")
def handover_accept(request: AuthedRequest, hand_over_id: int) -> Any:
    return _decide(request, hand_over_id, handover_services.handover_accept)


@router.post("/hand-overs/{int:hand_over_id}/refuse", response=HandOverOut,
             url_name="tracing_handover_refuse",
             summary="The receiving county refuses with a reason: back to the sender")
def handover_refuse(request: AuthedRequest, hand_over_id: int, payload: RefuseIn) -> Any:
    return _decide(request, hand_over_id, handover_services.handover_refuse,
                   reason=payload.reason)


@router.post("/hand-overs/{int:hand_over_id}/cancel", response=HandOverOut,
             url_name="tracing_handover_cancel",
             summary="The sender withdraws a pending hand-over")
def handover_cancel(request: AuthedRequest, hand_over_id: int) -> Any:
    return _decide(request, hand_over_id, handover_services.handover_cancel)


@router.post("/hand-overs/{int:hand_over_id}/keep", response=HandOverOut,
             url_name="tracing_handover_keep",
             summary="The sender keeps a contact whose hand-over was refused (it leaves the "
                     "returned list)")
def handover_keep(request: AuthedRequest, hand_over_id: int) -> Any:
    return _decide(request, hand_over_id, handover_services.handover_keep)


@router.get("/cases/{int:case_id}", response=CaseContactsOut, url_name="tracing_case_contacts",
            summary="Every contact of an index case; those followed outside the caller's "
                    "jurisdiction pseudonymised")
def case_contacts(request: AuthedRequest, case_id: int) -> Any:
    check_capability(request, READ)
    case = selectors.case_for_contacts(user=request.user, case_id=case_id)
    return {"index_case_id": case.pk,
            "items": contact_rows(request.user, list(selectors.case_contacts(case)))}


# --- one contact ---------------------------------------------------------------------------


@router.get("/{int:contact_id}", response=ContactDetailOut, url_name="tracing_contact_detail",
            summary="One contact with follow-ups and hand-overs (the read is audited)")
def contact_detail(request: AuthedRequest, contact_id: int) -> Any:
    check_capability(request, READ)
    return _detail(request, contact_id)


@router.post("/{int:contact_id}/follow-ups", response={200: FollowUpRecordedOut,
                                                       201: FollowUpRecordedOut},
             url_name="tracing_followup_create",
             summary="Record the day's follow-up visit (one per day: the same day again "
                     "updates it)")
def followup_create(request: AuthedRequest, contact_id: int, payload: FollowUpIn) -> Any:
    contact = _writable(request, contact_id)
    data = payload.dict()
    if data["temperature_c"] is None:
        data["temperature_c"] = ""
    rec = _call(followup_services.followup_record, actor=request.user, contact=contact,
                data=data)
    visit = FollowUp.objects.select_related("recorded_by").get(pk=rec.follow_up.pk)
    return Status(201 if rec.created else 200, {
        "follow_up": follow_up_rows([visit])[0], "created": rec.created,
        "contact_status": rec.contact.status, "contact_version": rec.contact.version})


@router.post("/{int:contact_id}/hand-overs", response=HandOverOut,
             url_name="tracing_handover_create",
             summary="Hand the contact over to another county (usually of residence)")
def handover_create(request: AuthedRequest, contact_id: int, payload: HandOverIn) -> Any:
    contact = _writable(request, contact_id)
    h = _call(handover_services.handover_create, actor=request.user, contact=contact,
              version=payload.version, to_division_code=payload.to_division_code,
              note=payload.note)
    h = selectors.handover_get(user=request.user, hand_over_id=h.pk)
    return hand_over_rows(request.user, [h])[0]


@router.post("/{int:contact_id}/release", response=ContactDetailOut,
             url_name="tracing_contact_release",
             summary="Release from medical observation (release date reached, no positive test)")
def contact_release(request: AuthedRequest, contact_id: int, payload: VersionIn) -> Any:
    contact = _writable(request, contact_id)
    _call(services.contact_release, actor=request.user, contact=contact,
          version=payload.version)
    return _detail(request, contact_id)


@router.post("/{int:contact_id}/lost", response=ContactDetailOut,
             url_name="tracing_contact_lost", summary="Lost to follow-up (失访)")
def contact_lost(request: AuthedRequest, contact_id: int, payload: VersionIn) -> Any:
    contact = _writable(request, contact_id)
    _call(services.contact_mark_lost, actor=request.user, contact=contact,
          version=payload.version)
    return _detail(request, contact_id)


@router.post("/{int:contact_id}/last-exposure", response=ContactDetailOut,
             url_name="tracing_contact_last_exposure",
             summary="Correct the last exposure; the release date is recomputed")
def contact_last_exposure(request: AuthedRequest, contact_id: int,
                          payload: LastExposureIn) -> Any:
    contact = _writable(request, contact_id)
    _call(services.contact_set_last_exposure, actor=request.user, contact=contact,
          version=payload.version, last_exposure_on=payload.last_exposure_on)
    return _detail(request, contact_id)
