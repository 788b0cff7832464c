"""The travel pages (decision 1120).

Officers (/risk/travel/): the policy in force as a 3×3 table (origin level × destination level),
the versions of every policy they may see, a checker (from place → to place → what applies), and
the form for a new policy or version (/risk/travel/new/?code=…, risk.override).

Public, without login (/public/risk/travel/ and /public/risk/travel.json): the same checker and
the same answer as /api/v1/risk/travel — published levels and policies only, nothing personal.
A bad parameter answers 400 naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.record_actions import field_errors
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.risk.api.travel import answer_json
from shouwang.risk.models import QuarantineKind, RiskLevel, TravelPolicy
from shouwang.risk.selectors import travel as selectors
from shouwang.risk.selectors.levels import DEFAULT_DISEASE
from shouwang.risk.selectors.rulesets import scope_names
from shouwang.risk.services.rulesets import OVERRIDE
from shouwang.risk.services.travel import CELLS, MEASURES, travel_policy_create
from shouwang.risk.views.public import cacheable
from shouwang.risk.views.rulesets import first_open_day, scope_code

READ = "risk.read"
MAX_PLACE = 60


def _check(get: Any) -> tuple[dict[str, str], selectors.TravelAnswer | None,
                              dict[str, list[str]]]:
    """The checker's query (from, to, date) and its answer, or the errors by field."""
    q = {k: (get.get(k) or "").strip()[:MAX_PLACE] for k in ("from", "to", "date")}
    if not q["from"] and not q["to"]:
        return q, None, {}
    errors: dict[str, list[str]] = {}
    day: date | None = None
    if q["date"]:
        try:
            day = date.fromisoformat(q["date"])
        except ValueError:
            errors["date"] = [_("日期格式应为 YYYY-MM-DD。")]
    try:
        answer = selectors.travel_rules_for(origin_code=q["from"], destination_code=q["to"],
                                            at=day)
    except InvalidInput as exc:
        errors.update(field_errors(exc))
        return q, None, errors
    return q, (None if errors else answer), errors


@require_capability(READ)
def travel_page(request: AuthedRequest) -> HttpResponse:
    prefix = jurisdiction_prefix(request.user) or ""
    may_add = request.user.has_capability(OVERRIDE)
    policies = list(selectors.travel_policy_list(user=request.user).prefetch_related("rules"))
    statuses = selectors.policy_statuses(policies)
    scopes = sorted({p.scope_prefix for p in policies})
    wanted = (request.GET.get("scope") or "").strip()
    if wanted not in scopes:
        own = prefix[:2]
        wanted = own if own in scopes else ""
    in_force = selectors.policy_for_destination(wanted, timezone.localdate())
    names = scope_names(set(scopes) | {wanted})
    query, answer, errors = _check(request.GET)
    return render(request, "risk/travel_page.html", {
        "policy": in_force, "table": selectors.policy_table(in_force) if in_force else [],
        "scope": wanted, "scope_name": names.get(wanted, wanted),
        "scopes": [(s, names.get(s, s)) for s in scopes],
        "versions": [{"p": p, "status": statuses[p.pk], "scope_name": names.get(
            p.scope_prefix, p.scope_prefix), "can_add": may_add and p.scope_prefix.startswith(
            prefix)} for p in policies],
        "levels": RiskLevel.choices, "q": query, "answer": answer, "errors": errors,
        "can_add": may_add,
    }, status=422 if errors else 200)


# --- the form ---------------------------------------------------------------------------------


def _cell_form(policy: TravelPolicy | None) -> dict[str, dict[str, Any]]:
    cells = selectors.policy_cells(policy) if policy else {}
    out = {}
    for o, d in CELLS:
        rule = cells.get((o, d))
        out[f"{o}-{d}"] = selectors.measures_of(rule) if rule else {
            "certificate_check": False, "test_within_hours": None, "test_on_arrival": False,
            "quarantine_kind": "", "quarantine_days": 0, "health_monitoring_days": 0,
            "advice": ""}
    return out


def _posted(post: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    form: dict[str, Any] = {k: (post.get(k) or "").strip() for k in (
        "code", "name", "disease", "scope", "effective_from", "note")}
    cells: dict[str, dict[str, Any]] = {}
    for o, d in CELLS:
        key = f"{o}-{d}"
        cell: dict[str, Any] = {}
        for m in MEASURES:
            raw = post.get(f"cell-{key}-{m}")
            if m in ("certificate_check", "test_on_arrival"):
                cell[m] = raw == "on"
            else:
                cell[m] = (raw or "").strip()
        cells[key] = cell
    form["cells"] = cells
    scope = form["scope"]
    if scope and len(scope) < 6 and scope.isdigit():
        scope = scope.ljust(6, "0")
    data = {**{k: v for k, v in form.items() if k != "cells"}, "scope": scope,
            "rules": [{"origin_level": k.split("-")[0], "destination_level": k.split("-")[1],
                       **v} for k, v in cells.items()]}
    return form, data


@require_capability(OVERRIDE)
def travel_new(request: AuthedRequest) -> HttpResponse:
    code = (request.GET.get("code") or "").strip()
    errors: dict[str, list[str]] = {}
    status = 200
    previous: TravelPolicy | None = None
    if request.method == "POST":
        form, data = _posted(request.POST)
        try:
            policy = travel_policy_create(actor=request.user, data=data)
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            raise
        except InvalidInput as exc:
            errors = field_errors(exc)
            status = 422
        else:
            messages.success(request, _(
                "已保存出行政策 %(code)s 第 %(v)s 版，自 %(day)s 起生效。") % {
                "code": policy.code, "v": policy.version,
                "day": policy.effective_from.isoformat()})
            return HttpResponseRedirect(reverse("risk:travel") + f"?scope={policy.scope_prefix}")
        existing = TravelPolicy.objects.filter(code=form["code"]).exists()
    else:
        if code:
            previous = (selectors.travel_policy_list(user=request.user)
                        .filter(code=code).order_by("-version").first())
            prefix = jurisdiction_prefix(request.user)
            if previous is None or prefix is None or not previous.scope_prefix.startswith(
                    prefix):
                raise Http404
        template = previous or selectors.policy_for_destination("", timezone.localdate())
        form = {"code": previous.code if previous else "",
                "name": previous.name if previous else "",
                "disease": previous.disease_id if previous else DEFAULT_DISEASE,
                "scope": scope_code(previous.scope_prefix) if previous else scope_code(
                    (jurisdiction_prefix(request.user) or "")[:2]),
                "effective_from": first_open_day(previous.disease_id if previous
                                                 else DEFAULT_DISEASE),
                "note": "", "cells": _cell_form(template)}
        existing = previous is not None
    rows = []
    for o, o_label in RiskLevel.choices:
        rows.append({"origin": o, "label": o_label, "cells": [
            {"key": f"{o}-{d}", "destination": d, "values": form["cells"][f"{o}-{d}"],
             "errors": {m: errors.get(f"rules.{o}.{d}.{m}", []) for m in MEASURES}}
            for d, _label in RiskLevel.choices]})
    return render(request, "risk/travel_form.html", {
        "form": form, "rows": rows, "errors": errors, "existing": existing,
        "levels": RiskLevel.choices, "kinds": QuarantineKind.choices}, status=status)


# --- public -----------------------------------------------------------------------------------


def public_travel(request: HttpRequest) -> HttpResponse:
    """/public/risk/travel/?from=…&to=…&date=…: the checker for anyone."""
    query, answer, errors = _check(request.GET)
    response = render(request, "risk/public/travel.html", {
        "q": query, "answer": answer, "errors": errors, "query": None},
        status=400 if errors else 200)
    return cacheable(request, response)


def public_travel_json(request: HttpRequest) -> HttpResponse:
    """/public/risk/travel.json?from=…&to=…&date=…: the answer of /api/v1/risk/travel."""
    _query, answer, errors = _check(request.GET)
    if not errors and answer is None:
        errors = {"from": [_("请填写区划代码或地名。")], "to": [_("请填写区划代码或地名。")]}
    if errors or answer is None:
        return JsonResponse({"code": "invalid_input", "message": _("查询参数有误。"),
                             "fields": errors}, status=400,
                            json_dumps_params={"ensure_ascii": False})
    return cacheable(request, JsonResponse(answer_json(answer),
                                           json_dumps_params={"ensure_ascii": False}))
