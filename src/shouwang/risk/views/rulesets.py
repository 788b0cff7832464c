"""The rule-set pages (decision 1120): the list (/risk/rules/: every version with its scope,
effective date, whether it is in force and its parameters in words), one rule set with the
versions of its code (/risk/rules/<id>/), and the form for a new rule set or version
(/risk/rules/new/?code=…, risk.override). The form answers itself: 302 to the new version on
success, the form with the messages by field (422) otherwise, 404 for a scope outside the
officer's jurisdiction.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.record_actions import field_errors
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.epi import risk_rules
from shouwang.risk.models import RuleSet
from shouwang.risk.selectors import rulesets as selectors
from shouwang.risk.services.rulesets import (
    AREA_LEVELS,
    OVERRIDE,
    last_published_day,
    ruleset_create,
)
from shouwang.surveillance.models import Classification
from shouwang.surveillance.views.case_common import disease_choices

READ = "risk.read"


def _governs(request: AuthedRequest, scope_prefix: str) -> bool:
    prefix = jurisdiction_prefix(request.user)
    return (prefix is not None and scope_prefix.startswith(prefix)
            and request.user.has_capability(OVERRIDE))


@require_capability(READ)
def ruleset_list(request: AuthedRequest) -> HttpResponse:
    disease = (request.GET.get("disease") or "").strip()
    items = list(selectors.ruleset_list(user=request.user, disease=disease))
    rows = selectors.ruleset_rows(items)
    return render(request, "risk/ruleset_list.html", {
        "rows": rows, "today": timezone.localdate(), "diseases": disease_choices(),
        "disease": disease, "can_add": request.user.has_capability(OVERRIDE),
        "kinds": risk_rules.rule_kinds()})


@require_capability(READ)
def ruleset_detail(request: AuthedRequest, ruleset_id: int) -> HttpResponse:
    rule_set = selectors.ruleset_get(user=request.user, ruleset_id=ruleset_id)
    versions = selectors.ruleset_rows(
        selectors.ruleset_versions(user=request.user, code=rule_set.code))
    this = next(r for r in versions if r.rule_set.pk == rule_set.pk)
    return render(request, "risk/ruleset_detail.html", {
        "row": this, "rs": rule_set, "versions": versions,
        "params_json": json.dumps(rule_set.params, ensure_ascii=False, indent=2),
        "levels": selectors.level_words(rule_set.levels),
        "classifications": selectors.classification_words(
            list(rule_set.params.get("classifications", []))),
        "can_add": _governs(request, rule_set.scope_prefix)})


# --- the form ---------------------------------------------------------------------------------


def scope_code(prefix: str) -> str:
    """The division code of a stored scope prefix: 42 → 420000, 4201 → 420100."""
    return prefix.ljust(6, "0") if prefix and len(prefix) < 6 else prefix


def first_open_day(disease: str) -> str:
    """The earliest day a change may take effect: tomorrow, or the day after the last
    published one when that is later."""
    day = timezone.localdate() + timedelta(days=1)
    published = last_published_day(disease)
    if published is not None and published >= day:
        day = published + timedelta(days=1)
    return day.isoformat()


def _initial(previous: RuleSet | None) -> dict[str, Any]:
    tomorrow = first_open_day(previous.disease_id if previous else "covid19")
    if previous is None:
        params: dict[str, Any] = dict(risk_rules.WINDOW_THRESHOLD_DEFAULTS)
        classifications = ["confirmed", "clinical"]
        return {"code": "", "name": "", "name_en": "", "kind": "window_threshold",
                "disease": "covid19", "levels": ["county"], "scope": "",
                "effective_from": tomorrow, "note": "",
                "params": json.dumps(params, ensure_ascii=False, indent=2),
                "classifications": classifications}
    params = {k: v for k, v in previous.params.items() if k != "classifications"}
    return {"code": previous.code, "name": previous.name, "name_en": previous.name_en,
            "kind": previous.kind, "disease": previous.disease_id, "levels": previous.levels,
            "scope": scope_code(previous.scope_prefix), "note": "",
            "effective_from": tomorrow,
            "params": json.dumps(params, ensure_ascii=False, indent=2),
            "classifications": list(previous.params.get("classifications", []))}


def _posted(post: Any, errors: dict[str, list[str]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the form as posted, for showing it again; the data for the service)."""
    form = {k: (post.get(k) or "").strip() for k in (
        "code", "name", "name_en", "kind", "disease", "scope", "effective_from", "note",
        "params")}
    form["levels"] = post.getlist("levels")
    form["classifications"] = post.getlist("classifications")
    try:
        params = json.loads(form["params"] or "{}")
    except ValueError:
        errors.setdefault("params", []).append(_("参数不是有效的 JSON。"))
        params = {}
    if isinstance(params, dict):
        params = {**params, "classifications": form["classifications"]}
    scope = form["scope"]
    if scope and len(scope) < 6 and scope.isdigit():  # a prefix as stored: 42 → 420000
        scope = scope.ljust(6, "0")
    data = {**form, "params": params, "scope": scope}
    return form, data


@require_capability(OVERRIDE)
def ruleset_new(request: AuthedRequest) -> HttpResponse:
    code = (request.GET.get("code") or request.POST.get("code") or "").strip()
    previous = None
    if code and request.method == "GET":
        versions = selectors.ruleset_versions(user=request.user, code=code)
        if not versions:
            raise Http404
        previous = versions[0]
        if not _governs(request, previous.scope_prefix):
            raise Http404
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form, data = _posted(request.POST, errors)
        if not errors:
            try:
                rule_set = ruleset_create(actor=request.user, data=data)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise
            except InvalidInput as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("已保存 %(code)s 第 %(v)s 版，自 %(day)s 起生效。") % {
                    "code": rule_set.code, "v": rule_set.version,
                    "day": rule_set.effective_from.isoformat()})
                return HttpResponseRedirect(reverse("risk:ruleset-detail", args=[rule_set.pk]))
        status = 422
        existing = RuleSet.objects.filter(code=form["code"]).exists() if form["code"] else False
    else:
        form = _initial(previous)
        existing = previous is not None
    return render(request, "risk/ruleset_form.html", {
        "form": form, "errors": errors, "existing": existing, "previous": previous,
        "kinds": risk_rules.rule_kinds(), "diseases": disease_choices(),
        "levels": [(lv, selectors.level_words([lv])) for lv in AREA_LEVELS],
        "classifications": Classification.choices,
        "param_errors": sorted((k, v) for k, v in errors.items()
                               if k.startswith("params.") and k != "params.classifications"),
        "classification_errors": errors.get("params.classifications", []),
    }, status=status)
