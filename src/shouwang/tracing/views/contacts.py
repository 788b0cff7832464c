"""Contact pages (密接管理): the list with filters and counts, one contact with its follow-up
timeline, hand-overs and actions, the contacts of one index case with the register form, and the
hand-over inbox (协查移交) with one hand-over's page.

Actions answer with the record's page itself, not a redirect (as the case and alert pages do):
a resent form names a version that is gone by then, so a reload is refused and changes nothing.
A person is shown in clear only to a viewer holding surveillance.read inside the contact's
jurisdiction (the read is audited), masked to others inside, pseudonymised outside.
Decision: docs/decisions/1020-contacts-and-hand-over.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors, versioned_action
from shouwang.core.scoping import in_jurisdiction
from shouwang.surveillance.models import IdType, Sex
from shouwang.surveillance.views.case_common import disease_label
from shouwang.tracing.models import (
    Contact,
    ContactKind,
    ContactStatus,
    HandOver,
    HandOverStatus,
    QuarantinePlace,
    TestOutcome,
)
from shouwang.tracing.selectors import contacts as selectors
from shouwang.tracing.services import contacts as services
from shouwang.tracing.services import followups as followup_services
from shouwang.tracing.services import handover as handover_services

READ = "tracing.read"
WRITE = services.WRITE
PER_PAGE = 50
FORM_FIELDS = ("kind", "via_contact", "name", "id_type", "id_number", "phone", "sex",
               "birth_date", "age_years", "residence_division_code", "identified_on",
               "last_exposure_on", "quarantine_place", "quarantine_site", "source_key")
FILTER_KEYS = ("status", "overdue", "due", "index_case", "kind")



def _query(raw: dict[str, str], **over: str) -> str:
    merged = {**{k: v for k, v in raw.items() if v}, **over}
    return "?" + urlencode({k: v for k, v in merged.items() if v})


def _rows(user: Any, contacts: list[Contact]) -> list[dict[str, Any]]:
    names = selectors.names_with_counties([c.division_code for c in contacts])
    fever = selectors.fever_ids([c.pk for c in contacts])
    overdue = selectors.overdue_ids([c.pk for c in contacts])
    today = timezone.localdate()
    rows = []
    for c in contacts:
        person = selectors.shown_person(user, c, names)
        rows.append({
            "c": c, "person": person, "division": names.get(c.division_code, ""),
            "visible": in_jurisdiction(user, c.division_code),
            "fever": c.pk in fever, "positive": bool(getattr(c, "positive", False)),
            "days_left": (c.release_on - today).days,
            "last_visit": getattr(c, "last_visit", None),
            "overdue": c.pk in overdue,
        })
    return rows


# --- the list ------------------------------------------------------------------------------------


def _read_filters(get: Any) -> tuple[dict[str, str], selectors.ContactFilters,
                                     dict[str, list[str]]]:
    raw = {k: (get.get(k) or "").strip() for k in FILTER_KEYS}
    errors: dict[str, list[str]] = {}
    if raw["status"] and raw["status"] not in ContactStatus.values:
        errors["status"] = [_("取值无效。")]
    if raw["kind"] and raw["kind"] not in ContactKind.values:
        errors["kind"] = [_("取值无效。")]
    index_case = None
    if raw["index_case"]:
        if raw["index_case"].isdigit():
            index_case = int(raw["index_case"])
        else:
            errors["index_case"] = [_("请输入病例编号（数字）。")]
    filters = selectors.ContactFilters(
        status="" if "status" in errors else raw["status"],
        kind="" if "kind" in errors else raw["kind"], index_case=index_case,
        overdue=raw["overdue"] == "1", due=raw["due"] == "1")
    return raw, filters, errors


@require_capability(READ)
def contact_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    raw, filters, errors = _read_filters(request.GET)
    qs = selectors.contact_list(user=user, filters=filters)
    paginator = Paginator(qs, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    counts = selectors.contact_counts(user=user, filters=filters)
    tabs = [{"value": "", "label": _("全部"), "n": counts["all"],
             "url": _query({**raw, "status": ""}), "current": not raw["status"]}]
    tabs += [{"value": v, "label": label, "n": counts[v], "url": _query({**raw, "status": v}),
              "current": raw["status"] == v} for v, label in ContactStatus.choices]
    return render(request, "tracing/contact_list.html", {
        "q": raw, "errors": errors, "page": page, "total": paginator.count,
        "rows": _rows(user, list(page.object_list)), "tabs": tabs, "counts": counts,
        "statuses": ContactStatus.choices, "kinds": ContactKind.choices,
        "overdue_url": _query({**raw, "overdue": "1", "due": ""}),
        "due_url": _query({**raw, "due": "1", "overdue": ""}),
        "can_write": user.has_capability(WRITE),
        "previous_url": _query(raw, page=str(page.previous_page_number()))
        if page.has_previous() else "",
        "next_url": _query(raw, page=str(page.next_page_number())) if page.has_next() else "",
        "pending_incoming": selectors.pending_incoming_count(user=user),
    }, status=422 if errors else 200)


@require_capability(WRITE)
@require_POST
def contact_bulk_release(request: AuthedRequest) -> HttpResponse:
    ids = [int(x) for x in request.POST.getlist("id") if x.isascii() and x.isdigit()]
    visible = list(selectors.contact_list(user=request.user).filter(pk__in=ids))
    result = services.contacts_bulk_release(actor=request.user, contacts=visible)
    if result.released:
        messages.success(request, _("已解除 %(n)s 名接触者的医学观察。") % {
            "n": len(result.released)})
    for pk, reasons in result.skipped.items():
        messages.warning(request, _("接触者 #%(id)s 未解除：%(why)s") % {
            "id": pk, "why": "；".join(reasons)})
    if not ids:
        messages.warning(request, _("请先勾选要解除的接触者。"))
    return contact_list(request)


# --- one contact ---------------------------------------------------------------------------------


def _chart(contact: Contact, visits: list[Any]) -> dict[str, Any] | None:
    if not visits:
        return None
    labels = dict(followup_services.Symptom.choices)
    start = min(contact.identified_on, visits[0].day)
    # The whole observation period, up to the release date.
    end = max(visits[-1].day, contact.release_on)
    return {"start": start.isoformat(), "end": end.isoformat(), "days": (end - start).days,
            "t": [v.day.isoformat() for v in visits],
            "temperature": [float(v.temperature_c) if v.temperature_c is not None else None
                            for v in visits],
            "symptoms": [len(v.symptoms) for v in visits],
            "symptom_text": ["、".join(str(labels.get(s, s)) for s in v.symptoms) or "—"
                             for v in visits],
            "positive": [v.test_outcome == TestOutcome.POSITIVE for v in visits],
            "fever": float(followup_services.FEVER_C)}


def _hand_over_rows(user: Any, hand_overs: list[HandOver]) -> list[dict[str, Any]]:
    names = selectors.names_with_counties([h.from_division_code for h in hand_overs]
                   + [h.to_division_code for h in hand_overs])
    return [{"h": h, "from": names.get(h.from_division_code, h.from_division_code),
             "to": names.get(h.to_division_code, h.to_division_code),
             "visible": in_jurisdiction(user, h.from_division_code)
             or in_jurisdiction(user, h.to_division_code)} for h in hand_overs]


def render_detail(request: AuthedRequest, contact_id: int, *, action: str = "",
                  errors: dict[str, list[str]] | None = None, status: int = 200,
                  form: dict[str, str] | None = None) -> HttpResponse:
    user = request.user
    full = user.has_capability("surveillance.read")
    contact = (selectors.contact_detail(user=user, contact_id=contact_id) if full
               else selectors.contact_get(user=user, contact_id=contact_id))
    names = selectors.names_with_counties([contact.division_code, contact.residence_division_code,
                    contact.found_by_division_code])
    visits = list(selectors.contact_follow_ups(user=user, contact_id=contact.pk))
    hand_overs = list(selectors.contact_hand_overs(contact))
    pending = next((h for h in hand_overs if h.status == HandOverStatus.PENDING), None)
    labels = dict(followup_services.Symptom.choices)
    return render(request, "tracing/contact_detail.html", {
        "contact": contact, "person": selectors.shown_person(user, contact, names),
        "residence_name": names.get(contact.residence_division_code, ""),
        "division_name": names.get(contact.division_code, ""),
        "found_name": names.get(contact.found_by_division_code,
                                contact.found_by_division_code),
        "pending_to": selectors.names_with_counties([pending.to_division_code]).get(
            pending.to_division_code, pending.to_division_code) if pending else "",
        "disease": disease_label(contact.index_case.disease),
        "flags": selectors.contact_flags(contact),
        "visits": [{"v": v, "symptoms": "、".join(str(labels.get(s, s)) for s in v.symptoms),
                    "fever": followup_services.is_fever(v.temperature_c)} for v in visits],
        "chart": _chart(contact, visits), "hand_overs": _hand_over_rows(user, hand_overs),
        "pending": pending, "is_open": contact.status in selectors.FOLLOWED,
        "can_write": user.has_capability(WRITE),
        "release_blockers": services.release_blockers(contact, timezone.localdate()),
        "symptoms": followup_services.Symptom.choices, "outcomes": TestOutcome.choices,
        "today": timezone.localdate().isoformat(),
        "case_visible": in_jurisdiction(user, contact.index_case.division_code),
        "action": action, "action_errors": errors or {}, "form": form or {},
    }, status=status)


@require_capability(READ)
def contact_detail(request: AuthedRequest, contact_id: int) -> HttpResponse:
    return render_detail(request, contact_id)


def _act(request: AuthedRequest, contact_id: int, action: str,
         call: Callable[[Contact, int], Any], done: str) -> HttpResponse:
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    return versioned_action(
        request, record=contact, action=action, call=call, done=done,
        render=lambda **kw: render_detail(request, contact_id, **kw),
        conflicts=(services.ContactConflict, handover_services.HandOverConflict))


@require_capability(WRITE)
@require_POST
def contact_follow_up(request: AuthedRequest, contact_id: int) -> HttpResponse:
    def call(contact: Contact, version: int) -> Any:
        data = {"day": request.POST.get("day", ""),
                "symptoms": request.POST.getlist("symptoms"),
                "temperature_c": request.POST.get("temperature_c", ""),
                "test_outcome": request.POST.get("test_outcome", ""),
                "note": request.POST.get("note", "")}
        return followup_services.followup_record(actor=request.user, contact=contact, data=data)
    return _act(request, contact_id, "follow_up", call, _("随访已记录。"))


@require_capability(WRITE)
@require_POST
def contact_release(request: AuthedRequest, contact_id: int) -> HttpResponse:
    return _act(request, contact_id, "release", lambda contact, version:
                services.contact_release(actor=request.user, contact=contact, version=version),
                _("已解除医学观察。"))


@require_capability(WRITE)
@require_POST
def contact_lost(request: AuthedRequest, contact_id: int) -> HttpResponse:
    return _act(request, contact_id, "lost", lambda contact, version:
                services.contact_mark_lost(actor=request.user, contact=contact,
                                           version=version),
                _("已标记为失访。"))


@require_capability(WRITE)
@require_POST
def contact_last_exposure(request: AuthedRequest, contact_id: int) -> HttpResponse:
    return _act(request, contact_id, "last_exposure", lambda contact, version:
                services.contact_set_last_exposure(
                    actor=request.user, contact=contact, version=version,
                    last_exposure_on=request.POST.get("last_exposure_on", "")),
                _("末次暴露日期已更正，解除日期已重新计算。"))


@require_capability(WRITE)
@require_POST
def contact_hand_over(request: AuthedRequest, contact_id: int) -> HttpResponse:
    return _act(request, contact_id, "hand_over", lambda contact, version:
                handover_services.handover_create(
                    actor=request.user, contact=contact, version=version,
                    to_division_code=request.POST.get("to_division_code", ""),
                    note=request.POST.get("note", "")),
                _("已发起移交，等待对方县区接收。"))


# --- the contacts of one index case, and registering one ----------------------------------------


def render_case(request: AuthedRequest, case_id: int, *,
                errors: dict[str, list[str]] | None = None, form: dict[str, str] | None = None,
                status: int = 200) -> HttpResponse:
    user = request.user
    case = selectors.case_for_contacts(user=user, case_id=case_id)
    contacts = list(selectors.case_contacts(case))
    rows = _rows(user, contacts)
    close = [r for r in rows if r["c"].kind == ContactKind.CLOSE and r["visible"]]
    return render(request, "tracing/contact_case.html", {
        "case": case, "disease": disease_label(case.disease), "rows": rows,
        "close_contacts": close, "can_write": user.has_capability(WRITE),
        "outside": sum(1 for r in rows if not r["visible"]),
        "kinds": ContactKind.choices, "places": QuarantinePlace.choices,
        "id_types": IdType.choices, "sexes": Sex.choices, "unknown_sex": Sex.UNKNOWN,
        "errors": errors or {}, "form": form or {},
        "today": timezone.localdate().isoformat(),
        "window": services.quarantine_days(case.disease),
    }, status=status)


@require_capability(READ)
def case_contacts(request: AuthedRequest, case_id: int) -> HttpResponse:
    if request.method == "POST":
        return _register(request, case_id)
    return render_case(request, case_id)


def _register(request: AuthedRequest, case_id: int) -> HttpResponse:
    if not request.user.has_capability(WRITE):
        raise PermissionDenied(WRITE)
    case = selectors.case_for_contacts(user=request.user, case_id=case_id)
    form = {k: (request.POST.get(k) or "").strip() for k in FORM_FIELDS}
    data = {k: v for k, v in form.items() if k != "source_key"}
    try:
        contact, created = services.contact_register(
            actor=request.user, index_case=case, data=data, source_key=form["source_key"])
    except InvalidInput as exc:
        return render_case(request, case_id, errors=field_errors(exc), form=form, status=422)
    if created:
        messages.success(request, _("接触者已登记（#%(id)s），解除日期 %(day)s。") % {
            "id": contact.pk, "day": contact.release_on.isoformat()})
    else:
        messages.info(request, _("该人员已登记为本病例的接触者（#%(id)s），未重复登记。") % {
            "id": contact.pk})
    return render_case(request, case_id)


# --- hand-overs ----------------------------------------------------------------------------------


@require_capability(READ)
def handover_inbox(request: AuthedRequest) -> HttpResponse:
    user = request.user
    incoming = list(selectors.handovers_incoming(user=user)[:200])
    decided = list(selectors.handovers_incoming(user=user, status="")
                   .exclude(status=HandOverStatus.PENDING).order_by("-decided_at", "-id")[:50])
    sent = list(selectors.handovers_sent(user=user)[:200])
    returned = list(selectors.handovers_returned(user=user)[:200])
    everything = incoming + decided + sent + returned
    names = selectors.names_with_counties([h.from_division_code for h in everything]
                   + [h.to_division_code for h in everything]
                   + [h.contact.division_code for h in everything])

    def rows(items: list[HandOver]) -> list[dict[str, Any]]:
        return [{"h": h, "from": names.get(h.from_division_code, h.from_division_code),
                 "to": names.get(h.to_division_code, h.to_division_code),
                 "person": selectors.shown_person(user, h.contact, names),
                 "contact_visible": in_jurisdiction(user, h.contact.division_code)}
                for h in items]
    return render(request, "tracing/handover_inbox.html", {
        "incoming": rows(incoming), "decided": rows(decided), "sent": rows(sent),
        "returned": rows(returned),
    })


def render_handover(request: AuthedRequest, hand_over_id: int, *, action: str = "",
                    errors: dict[str, list[str]] | None = None, status: int = 200,
                    form: dict[str, str] | None = None) -> HttpResponse:
    user = request.user
    h = selectors.handover_get(user=user, hand_over_id=hand_over_id)
    receiving_side = in_jurisdiction(user, h.to_division_code)
    receiving = (h.status == HandOverStatus.PENDING and receiving_side
                 and user.has_capability("surveillance.read"))
    if receiving:
        h = selectors.handover_detail(user=user, hand_over_id=hand_over_id)  # audited
    contact = h.contact
    names = selectors.names_with_counties([h.from_division_code, h.to_division_code,
                                           contact.division_code,
                                           contact.residence_division_code])
    return render(request, "tracing/handover_detail.html", {
        "h": h, "contact": contact,
        "from_name": names.get(h.from_division_code, ""),
        "to_name": names.get(h.to_division_code, ""),
        "person": selectors.shown_person(user, contact, names, receiving=receiving),
        "disease": disease_label(contact.index_case.disease),
        "can_write": user.has_capability(WRITE),
        "receiving_side": receiving_side,
        "sending_side": in_jurisdiction(user, h.from_division_code),
        "contact_visible": in_jurisdiction(user, contact.division_code),
        "history": list(selectors.contact_hand_overs(contact)) if in_jurisdiction(
            user, contact.division_code) or receiving_side else [h],
        "action": action, "action_errors": errors or {}, "form": form or {},
    }, status=status)


@require_capability(READ)
def handover_detail(request: AuthedRequest, hand_over_id: int) -> HttpResponse:
    return render_handover(request, hand_over_id)


def _decide(request: AuthedRequest, hand_over_id: int, action: str,
            call: Callable[[HandOver], Any], done: str) -> HttpResponse:
    h = selectors.handover_get(user=request.user, hand_over_id=hand_over_id)
    form = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        call(h)
    except InvalidInput as exc:
        return render_handover(request, hand_over_id, action=action, errors=field_errors(exc),
                               status=422, form=form)
    except handover_services.HandOverConflict as exc:
        return render_handover(request, hand_over_id, action=action,
                               errors={"all": [exc.message]}, status=409, form=form)
    except PermissionDenied:
        only = _("只有接收方可以接收或拒收，只有移交方可以撤回。")
        return render_handover(request, hand_over_id, action=action, status=403,
                               errors={"all": [only]})
    messages.success(request, done)
    return render_handover(request, hand_over_id)


@require_capability(WRITE)
@require_POST
def handover_accept(request: AuthedRequest, hand_over_id: int) -> HttpResponse:
    return _decide(request, hand_over_id, "accept", lambda h: handover_services.handover_accept(
        actor=request.user, hand_over=h), _("已接收，该接触者由本县区随访管理。"))


@require_capability(WRITE)
@require_POST
def handover_refuse(request: AuthedRequest, hand_over_id: int) -> HttpResponse:
    return _decide(request, hand_over_id, "refuse", lambda h: handover_services.handover_refuse(
        actor=request.user, hand_over=h, reason=request.POST.get("refusal_reason", "")),
        _("已拒收，已退回移交方。"))


@require_capability(WRITE)
@require_POST
def handover_cancel(request: AuthedRequest, hand_over_id: int) -> HttpResponse:
    return _decide(request, hand_over_id, "cancel", lambda h: handover_services.handover_cancel(
        actor=request.user, hand_over=h), _("移交已撤回。"))


@require_capability(WRITE)
@require_POST
def handover_keep(request: AuthedRequest, hand_over_id: int) -> HttpResponse:
    return _decide(request, hand_over_id, "keep", lambda h: handover_services.handover_keep(
        actor=request.user, hand_over=h), _("已确认由本县区继续随访。"))
