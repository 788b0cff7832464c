"""The monitoring rules and lines pages (decision 1270):

- /livelihood/rules/ — the rule sets the reader's jurisdiction sees, each version with its
  scope, effective date, status (in force / superseded / future) and parameters in words;
- /livelihood/rules/<id>/ — one version, the versions of its code, the stored parameters;
- /livelihood/rules/new/?code=… — a new rule set or a new version (livelihood.write): the
  parameters as JSON (any registered kind), each bad parameter's message listed by name beside
  the field, the known parameters of relapse_monitoring with their defaults below it;
- /livelihood/thresholds/ — the lines by year × province, and for the cadres of a province or
  the nation the form that sets one (posted to the page: 302 back, or the page with the
  messages, 422). A division outside the reader's jurisdiction answers 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.record_actions import field_errors
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.epi import livelihood_rules
from shouwang.geo.models import Division, Level
from shouwang.livelihood.models import MonitoringRuleSet
from shouwang.livelihood.selectors import rules as selectors
from shouwang.livelihood.selectors.monitoring import add_months
from shouwang.livelihood.services.rules import (
    WRITE,
    first_open_day,
    may_manage,
    ruleset_create,
    threshold_set,
)
from shouwang.risk.views.rulesets import scope_code

READ = "livelihood.read"


def _governs(request: AuthedRequest, scope_prefix: str) -> bool:
    prefix = jurisdiction_prefix(request.user)
    return prefix is not None and scope_prefix.startswith(prefix) and may_manage(request.user)


@require_capability(READ)
def rules_list(request: AuthedRequest) -> HttpResponse:
    rows = selectors.ruleset_rows(list(selectors.ruleset_list(request.user)))
    return render(request, "livelihood/rules_list.html", {
        "rows": rows, "today": timezone.localdate(), "can_add": may_manage(request.user),
        "kinds": livelihood_rules.rule_kinds()})


@require_capability(READ)
def rules_detail(request: AuthedRequest, ruleset_id: int) -> HttpResponse:
    rule_set = selectors.ruleset_get(request.user, ruleset_id)
    versions = selectors.ruleset_rows(selectors.ruleset_versions(request.user, rule_set.code))
    this = next(r for r in versions if r.rule_set.pk == rule_set.pk)
    return render(request, "livelihood/rules_detail.html", {
        "row": this, "rs": rule_set, "versions": versions,
        "params_json": json.dumps(rule_set.params, ensure_ascii=False, indent=2),
        "can_add": _governs(request, rule_set.scope_prefix)})


# --- the rule-set form ------------------------------------------------------------------------


def _initial(previous: MonitoringRuleSet | None, user_prefix: str) -> dict[str, Any]:
    scope_prefix = previous.scope_prefix if previous else user_prefix
    opens = first_open_day(scope_prefix)
    today = timezone.localdate()
    next_month = add_months(today.replace(day=1), 1)
    day = max(opens, next_month) if opens else next_month
    if previous is None:
        return {"code": "", "name": "", "name_en": "", "kind": "relapse_monitoring",
                "scope": scope_code(user_prefix), "effective_from": day.isoformat(), "note": "",
                "params": json.dumps(livelihood_rules.RELAPSE_MONITORING_DEFAULTS,
                                     ensure_ascii=False, indent=2)}
    return {"code": previous.code, "name": previous.name, "name_en": previous.name_en,
            "kind": previous.kind, "scope": scope_code(previous.scope_prefix), "note": "",
            "effective_from": day.isoformat(),
            "params": json.dumps(previous.params, ensure_ascii=False, indent=2)}


def _posted(post: Any, errors: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the form as posted, to show again; the data for the service)."""
    form = {k: (post.get(k) or "").strip() for k in (
        "code", "name", "name_en", "kind", "scope", "effective_from", "note", "params")}
    try:
        params = json.loads(form["params"] or "{}")
    except ValueError:
        errors.setdefault("params", []).append(_("参数不是有效的 JSON。"))
        params = {}
    scope = form["scope"]
    if scope and len(scope) < 6 and scope.isdigit():  # a prefix as stored: 42 → 420000
        scope = scope.ljust(6, "0")
    return form, {**form, "params": params, "scope": scope}


@require_capability(WRITE)
def rules_new(request: AuthedRequest) -> HttpResponse:
    code = (request.GET.get("code") or request.POST.get("code") or "").strip()
    previous = None
    if code and request.method == "GET":
        versions = selectors.ruleset_versions(request.user, code)
        if not versions or not _governs(request, versions[0].scope_prefix):
            raise Http404
        previous = versions[0]
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form, data = _posted(request.POST, errors)
        if not errors:
            try:
                rule_set = ruleset_create(actor=request.user, data=data)
            except NotFound:
                raise Http404 from None
            except InvalidInput as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("已保存 %(code)s 第 %(v)s 版，自 %(day)s 起生效。") % {
                    "code": rule_set.code, "v": rule_set.version,
                    "day": rule_set.effective_from.isoformat()})
                return HttpResponseRedirect(reverse("livelihood:rules-detail",
                                                    args=[rule_set.pk]))
        status = 422
        existing = bool(form["code"]) and MonitoringRuleSet.objects.filter(
            code=form["code"]).exists()
    else:
        form = _initial(previous, jurisdiction_prefix(request.user) or "")
        existing = previous is not None
    return render(request, "livelihood/rules_form.html", {
        "form": form, "errors": errors, "existing": existing,
        "kinds": livelihood_rules.rule_kinds(), "param_help": selectors.param_help(),
        "param_errors": sorted((k.removeprefix("params."), v) for k, v in errors.items()
                               if k.startswith("params."))}, status=status)


# --- thresholds -------------------------------------------------------------------------------


def _settable_provinces(request: AuthedRequest) -> list[tuple[str, str]]:
    """(code, name) of the lines the user may set: "" for the nation, then provinces."""
    prefix = jurisdiction_prefix(request.user)
    if prefix is None or not may_manage(request.user) or len(prefix) > 2:
        return []
    provinces = Division.objects.filter(level=Level.PROVINCE)
    if prefix:
        provinces = provinces.filter(prefix=prefix)
    choices = [(d.code, d.name) for d in provinces.order_by("code")]
    return ([("", str(_("全国")))] if not prefix else []) + choices


@require_capability(READ)
def thresholds(request: AuthedRequest) -> HttpResponse:
    settable = _settable_provinces(request)
    errors: dict[str, list[str]] = {}
    status = 200
    fields = ("year", "province_code", "poverty_line", "multiple", "amount", "note")
    if request.method == "POST":
        if not settable:
            raise Http404
        form = {k: (request.POST.get(k) or "").strip() for k in fields}
        try:
            row = threshold_set(actor=request.user, data=form)
        except NotFound:
            raise Http404 from None
        except InvalidInput as exc:
            errors = field_errors(exc)
            status = 422
        else:
            saved = _("已保存 %(year)s 年%(where)s的监测标准：%(amount)s 元。")
            messages.success(request, saved % {
                "year": row.year, "where": dict(settable).get(row.province_code, ""),
                "amount": f"{row.amount:,.0f}"})
            return HttpResponseRedirect(reverse("livelihood:thresholds"))
    else:
        form = {k: (request.GET.get(k) or "").strip() for k in fields}
        form["year"] = form["year"] or str(timezone.localdate().year)
        if not form["province_code"] and settable:
            form["province_code"] = settable[0][0]
        if form["province_code"] and form["province_code"] not in dict(settable):
            form["province_code"] = settable[0][0] if settable else ""
    return render(request, "livelihood/thresholds.html", {
        "grid": selectors.threshold_grid(request.user), "settable": settable, "form": form,
        "errors": errors}, status=status)
