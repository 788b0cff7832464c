"""The household registry pages (decision 1210):

- /livelihood/households/?division= — a division's households: filters, paging, a chart of
  households by monitoring status;
- /livelihood/households/new/?division= and /<id>/edit/ — the household form;
- /livelihood/households/<id>/ — one household: members (masked without livelihood.write),
  guarantees, income by component over the years (a stacked bar chart), shocks; for
  livelihood.write the forms for a member, the guarantees, an income record and a shock (posted
  to the same page, `action=`);
- /livelihood/members/<id>/edit/ — the member form.

Pages are thin: services write, selectors read; a household elsewhere answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.geo.selectors import division_path
from shouwang.livelihood.models import (
    GUARANTEES,
    DataSource,
    Disability,
    FlagStatus,
    Health,
    IncomeComponent,
    MonitoringStatus,
    PovertyStatus,
    Relationship,
    Schooling,
    ShockKind,
    TargetGroup,
    Work,
)
from shouwang.livelihood.selectors import households as sel
from shouwang.livelihood.selectors.monitoring_reasons import flag_reason
from shouwang.livelihood.services import households as svc
from shouwang.livelihood.services.incomes import income_record_set
from shouwang.livelihood.services.shocks import shock_record

READ = "livelihood.read"
WRITE = "livelihood.write"
MEMBER_FIELDS = ("name", "id_type", "id_number", "phone", "relationship", "health",
                 "disability", "schooling", "work", "migrant_destination_code",
                 "migrant_destination")


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw or default)
    except ValueError:
        return default


def _choices() -> dict[str, Any]:
    return {"relationships": Relationship.choices, "healths": Health.choices,
            "disabilities": Disability.choices, "schoolings": Schooling.choices,
            "works": Work.choices, "components": IncomeComponent.choices,
            "shock_kinds": ShockKind.choices, "sources": DataSource.choices,
            "poverty_statuses": PovertyStatus.choices,
            "monitoring_statuses": MonitoringStatus.choices, "guarantees": GUARANTEES}


@require_capability(READ)
def household_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    code = (request.GET.get("division") or getattr(user, "division_id", "") or "").strip()
    filters = sel.VillageFilters(
        status=request.GET.get("status", "") if request.GET.get("status", "")
        in MonitoringStatus.values else "",
        poverty_status=request.GET.get("poverty_status", "")
        if request.GET.get("poverty_status", "") in PovertyStatus.values else "",
        guarantees_lost=request.GET.get("guarantees_lost") == "1",
        q=(request.GET.get("q") or "").strip()[:32])
    page = sel.village_list(user=user, code=code, filters=filters,
                            page=_int(request.GET.get("page"), 1))
    query = request.GET.copy()
    query.pop("page", None)
    status_labels = dict(MonitoringStatus.choices)
    chart = {"labels": [str(status_labels[s]) for s in MonitoringStatus.values],
             "values": [page.status_counts.get(s, 0) for s in MonitoringStatus.values]}
    poverty, shocks, lost = (dict(PovertyStatus.choices), dict(ShockKind.choices),
                             dict(GUARANTEES))
    rows = [{**r.__dict__, "poverty_label": poverty.get(r.poverty_status, ""),
             "status_label": status_labels.get(r.monitoring_status, ""),
             "shock_label": shocks.get(r.latest_shock_kind, ""),
             "lost_labels": [lost[g] for g in r.guarantees_lost]} for r in page.rows]
    return render(request, "livelihood/household_list.html", {
        "page": page, "rows": rows, "filters": filters, "query": query.urlencode(), "chart": chart,
        "path": division_path(page.division), "can_write": user.has_capability(WRITE),
        **_choices()})


def _form_data(request: AuthedRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {n: request.POST.get(n, "") for n in names if n in request.POST}


@require_capability(WRITE)
def household_new(request: AuthedRequest) -> HttpResponse:
    code = (request.GET.get("division") or request.POST.get("division_code") or "").strip()
    division = sel.division_get(user=request.user, code=code)
    errors: dict[str, Any] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = _form_data(request, ("household_number", "address_detail", "poverty_status",
                                    "lifted_out_year"))
        try:
            h = svc.household_create(actor=request.user, division_code=division.code, data=form)
        except NotFound:
            raise Http404 from None
        except InvalidInput as exc:
            errors = exc.fields
        else:
            return HttpResponseRedirect(reverse("livelihood:household", args=[h.pk]))
    return render(request, "livelihood/household_form.html", {
        "division": division, "form": form, "errors": errors, "household": None,
        **_choices()}, status=422 if errors else 200)


@require_capability(WRITE)
def household_edit(request: AuthedRequest, household_id: int) -> HttpResponse:
    h = sel.household_get(user=request.user, household_id=household_id)
    errors: dict[str, Any] = {}
    form = {"household_number": h.household_number, "address_detail": h.address_detail,
            "poverty_status": h.poverty_status, "lifted_out_year": h.lifted_out_year or "",
            "version": h.version}
    if request.method == "POST":
        form = _form_data(request, ("household_number", "address_detail", "poverty_status",
                                    "lifted_out_year", "version"))
        try:
            svc.household_update(actor=request.user, household_id=h.pk,
                                 version=_int(form.pop("version", ""), 0), data=form)
        except InvalidInput as exc:
            errors = exc.fields
        except svc.HouseholdConflict as exc:
            errors = {"version": [exc.message]}
        else:
            return HttpResponseRedirect(reverse("livelihood:household", args=[h.pk]))
        form["version"] = str(h.version)
    return render(request, "livelihood/household_form.html", {
        "division": None, "form": form, "errors": errors, "household": h, **_choices()},
        status=422 if errors else 200)


def _post_action(request: AuthedRequest, household_id: int
                 ) -> tuple[str, dict[str, Any], dict[str, str]]:
    action = request.POST.get("action", "")
    form = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    calls: dict[str, Callable[[], Any]] = {
        "member": lambda: svc.member_add(actor=request.user, household_id=household_id,
                                         data=_form_data(request, MEMBER_FIELDS)),
        "guarantees": lambda: svc.guarantees_update(
            actor=request.user, household_id=household_id,
            version=_int(request.POST.get("version"), 0),
            data={**{g: request.POST.get(g) == "on" for g, _l in GUARANTEES},
                  "guarantees_checked_on": request.POST.get("guarantees_checked_on", "")}),
        "income": lambda: income_record_set(
            actor=request.user, household_id=household_id, year=request.POST.get("year"),
            month=request.POST.get("month") or None, component=request.POST.get("component", ""),
            amount=request.POST.get("amount"),
            source=request.POST.get("source") or DataSource.CADRE_VISIT),
        "shock": lambda: shock_record(
            actor=request.user, household_id=household_id, kind=request.POST.get("kind", ""),
            occurred_on=request.POST.get("occurred_on"),
            ended_on=request.POST.get("ended_on") or None, amount=request.POST.get("amount"),
            source=request.POST.get("source") or DataSource.CADRE_VISIT,
            description=request.POST.get("description", ""),
            member_id=_int(request.POST.get("member"), 0) or None),
    }
    if action not in calls:
        return action, {"action": [_("未知的操作。")]}, form
    try:
        calls[action]()
    except InvalidInput as exc:
        return action, exc.fields, form
    except svc.HouseholdConflict as exc:
        return action, {"version": [exc.message]}, form
    return action, {}, form


@require_capability(READ)
def household_detail(request: AuthedRequest, household_id: int) -> HttpResponse:
    action: str = ""
    errors: dict[str, Any] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        if not request.user.has_capability(WRITE):
            raise PermissionDenied(WRITE)
        sel.household_get(user=request.user, household_id=household_id)
        action, errors, form = _post_action(request, household_id)
        if not errors:
            return HttpResponseRedirect(reverse("livelihood:household", args=[household_id]))
    detail = sel.household_detail(user=request.user, household_id=household_id)
    h = detail.household
    by_year = sel.incomes_by_year(user=request.user, household_id=h.pk)
    component_labels = dict(IncomeComponent.choices)
    chart = {"years": [str(y) for y in by_year],
             "series": [{"name": str(component_labels[c]),
                         "values": [float(by_year[y].get(c, 0)) for y in by_year]}
                        for c in IncomeComponent.values]}
    shocks = list(sel.shock_list(user=request.user, household_id=h.pk))
    active = [m for m in detail.members if m["active"]]
    member_rows = [{**m, "relationship_label": dict(Relationship.choices).get(m["relationship"]),
                    "health_label": dict(Health.choices).get(m["health"]),
                    "disability_label": dict(Disability.choices).get(m["disability"]),
                    "schooling_label": dict(Schooling.choices).get(m["schooling"]),
                    "work_label": dict(Work.choices).get(m["work"])} for m in detail.members]
    income_rows = []
    for year, parts in by_year.items():
        total = sum(parts.values(), Decimal(0))
        income_rows.append({"year": year,
                            "amounts": [parts.get(c) for c in IncomeComponent.values],
                            "total": total, "per_capita": (total / len(active)).quantize(
                                Decimal("0.01")) if active else None})
    kinds, sources = dict(ShockKind.choices), dict(DataSource.choices)
    shock_rows = [{"occurred_on": s.occurred_on, "ended_on": s.ended_on, "amount": s.amount,
                   "kind_label": kinds.get(s.kind), "source_label": sources.get(s.source),
                   "description": s.description,
                   "member": next((m["name"] for m in detail.members if m["id"] == s.member_id),
                                  "")} for s in shocks]
    groups, flag_statuses = dict(TargetGroup.choices), dict(FlagStatus.choices)
    flag_rows = [{"id": f.pk, "identified_at": f.identified_at, "eliminated_at": f.eliminated_at,
                  "status": f.status, "status_label": flag_statuses.get(f.status),
                  "group_label": groups.get(f.target_group), "reason": flag_reason(f)}
                 for f in sel.household_flags(user=request.user, household_id=h.pk)]
    return render(request, "livelihood/household_detail.html", {
        "detail": detail, "h": h, "flag_rows": flag_rows, "by_year": by_year, "chart": chart,
        "shocks": shocks,
        "path": division_path(detail.division) if detail.division else [],
        "can_write": request.user.has_capability(WRITE),
        "active_members": active, "member_rows": member_rows, "income_rows": income_rows,
        "shock_rows": shock_rows, "action": action,
        "status_label": dict(MonitoringStatus.choices).get(h.monitoring_status),
        "poverty_label": dict(PovertyStatus.choices).get(h.poverty_status),
        "errors": errors, "form": form,
        "guarantee_rows": [(name, label, getattr(h, name)) for name, label in GUARANTEES],
        **_choices()}, status=422 if errors else 200)


@require_capability(WRITE)
def member_edit(request: AuthedRequest, member_id: int) -> HttpResponse:
    member = sel.member_get(user=request.user, member_id=member_id)
    errors: dict[str, Any] = {}
    form: dict[str, Any] = sel.member_view_audited(request.user, member)
    if request.method == "POST":
        form = _form_data(request, MEMBER_FIELDS)
        try:
            svc.member_update(actor=request.user, member_id=member.pk, data=form)
        except InvalidInput as exc:
            errors = exc.fields
        else:
            return HttpResponseRedirect(reverse("livelihood:household",
                                                args=[member.household_id]))
    return render(request, "livelihood/household_member_form.html", {
        "member": member, "form": form, "errors": errors, **_choices()},
        status=422 if errors else 200)
