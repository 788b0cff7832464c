"""The report card (传染病报告卡) as a web form: a new report, and the correction of one.

Both post every field of the card to the case services; the fields are checked as the user
leaves each one by /api/v1/surveillance/cases/validate (the same rules, nothing written). A new
form carries a one-time token that becomes the report's source key, so a double submit (two
clicks, a reload after a slow answer) stores one report.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors
from shouwang.geo.models import NATION_CODE, Division
from shouwang.geo.selectors import division_path
from shouwang.surveillance.models import (
    Classification,
    DuplicateCandidate,
    IdType,
    Occupation,
    Outcome,
    Severity,
    Sex,
)
from shouwang.surveillance.selectors import cases as selectors
from shouwang.surveillance.selectors.labs import lab_result_detail
from shouwang.surveillance.services import cases as services
from shouwang.surveillance.validation import active_diseases
from shouwang.surveillance.views.case_common import disease_label

WRITE = "surveillance.write"
SOURCE_KEY_PREFIX = "web-"  # the source key of a form is this + its one-time token


def as_text(value: Any) -> str:
    """A stored value as the form's input shows it (datetime-local wants local minutes)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _form_errors(exc: InvalidInput) -> dict[str, list[str]]:
    """Field errors by field; those of no field on the card (status, changes, source_key) go
    above the form, where the user sees them."""
    errors = field_errors(exc)
    shown = {*services.INPUT_FIELDS, "reason"}
    for key in [k for k in errors if k not in shown and k != "all"]:
        errors.setdefault("all", []).extend(errors.pop(key))
    return errors


def _posted(post: Mapping[str, Any]) -> dict[str, str]:
    values = {name: str(post.get(name) or "").strip() for name in services.INPUT_FIELDS}
    if values["imported"] != "1":
        # The origin fields are hidden (and disabled) for a local case: what they held before
        # the user chose "local" is not part of the report.
        values["origin_division_code"] = values["origin_country"] = ""
    return values


def _path(code: str) -> str:
    """The codes from the top to `code`, for the division picker to open at it."""
    division = Division.objects.filter(code=code).first() if code else None
    return ",".join(d.code for d in division_path(division)) if division else ""


def _context(request: AuthedRequest, values: Mapping[str, str], errors: Mapping[str, Any],
             **extra: Any) -> dict[str, Any]:
    diseases = sorted(active_diseases().values(), key=lambda d: (d.sort_order, d.code))
    own = request.user.division_code or NATION_CODE
    return {
        "v": values, "errors": errors,
        "diseases": [(d, disease_label(d)) for d in diseases if d.active],
        "classifications": Classification.choices, "id_types": IdType.choices,
        "sexes": Sex.choices, "occupations": Occupation.choices,
        "severities": Severity.choices, "outcomes": [c for c in Outcome.choices if c[0]],
        "own_division": own, "nation": NATION_CODE,
        "paths": {k: _path(values.get(k, "")) for k in
                  ("division_code", "reporting_division_code", "origin_division_code")},
        "validate_url": reverse("api:case_report_validate"),
        "children_url": "/api/v1/geo/divisions/CODE/children",
        **extra,
    }


def _initial_new(request: AuthedRequest) -> dict[str, str]:
    own = request.user.division_code
    values = {name: "" for name in services.INPUT_FIELDS}
    values.update({"id_type": IdType.RESIDENT_ID, "sex": Sex.UNKNOWN, "imported": "0",
                   "occupation": Occupation.UNKNOWN, "division_code": own,
                   "reporting_division_code": own,
                   "reported_at": as_text(timezone.now())})
    lab_id = request.GET.get("lab_result", "")
    if lab_id.isdigit():
        # A report-due task's "report this case": the person and disease from the positive
        # result (reading its personal fields is audited).
        result = lab_result_detail(user=request.user, result_id=int(lab_id))
        values.update({
            "disease": result.disease_id, "classification": Classification.CONFIRMED,
            "name": result.name, "id_type": result.id_type, "id_number": result.id_number,
            "phone": result.phone, "sex": result.sex, "birth_date": as_text(result.birth_date),
            "division_code": result.division_code, "diagnosed_at": as_text(result.tested_at),
        })
    return values


@require_capability(WRITE)
def case_new(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "surveillance/case_form.html", _context(
            request, _initial_new(request), {}, token=uuid.uuid4().hex, mode="new"))
    token = request.POST.get("token", "")
    if not (token.isalnum() and len(token) == 32):
        token = uuid.uuid4().hex
    values = _posted(request.POST)
    data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
    data["imported"] = values["imported"] == "1"
    try:
        result = services.case_report_submit(actor=request.user, data=data,
                                             source_key=SOURCE_KEY_PREFIX + token)
    except InvalidInput as exc:
        if "source_key" in exc.fields:
            # A token used for another report: this form needs a fresh one.
            token = uuid.uuid4().hex
        errors = _form_errors(exc)
        return render(request, "surveillance/case_form.html", _context(
            request, values, errors, token=token, mode="new"), status=422)
    if result.duplicate is not None:
        return render(request, "surveillance/case_submitted.html", {
            "case": result.case, "duplicate": result.duplicate,
            "disease": disease_label(result.case.disease)})
    case = result.case
    if not result.created:
        messages.info(request, _("这份报告已提交过（同一表单），没有重复创建。"))
    else:
        messages.success(request, _("病例报告 #%(id)s 已提交。") % {"id": case.pk})
        candidates = DuplicateCandidate.objects.filter(case=case).count()
        if candidates:
            messages.warning(request, _("发现 %(n)s 份可能是同一人的报告，请核实疑似重复。")
                             % {"n": candidates})
    return redirect("surveillance:case-detail", case_id=case.pk)


@require_capability(WRITE)
def case_correct(request: AuthedRequest, case_id: int) -> HttpResponse:
    """订正: the card again, filled with the report; only the fields the user changed are sent."""
    if request.method != "POST":
        case = selectors.case_detail(user=request.user, case_id=case_id)
        values = {k: as_text(v) for k, v in services.case_as_input(case).items()}
        return render(request, "surveillance/case_form.html", _context(
            request, values, {}, mode="correct", case=case, version=case.version))
    case = selectors.case_get(user=request.user, case_id=case_id)
    values = _posted(request.POST)
    current = {k: as_text(v) for k, v in services.case_as_input(case).items()}
    changes: dict[str, Any] = {k: (v or None) for k, v in values.items()
                               if v != current.get(k, "")}
    if "imported" in changes:
        changes["imported"] = values["imported"] == "1"
    reason = request.POST.get("reason", "")
    version = _version(request.POST.get("version"))
    errors: dict[str, list[str]] = {}
    conflict = False
    try:
        services.case_report_correct(actor=request.user, case=case, version=version,
                                     changes=changes, reason=reason)
    except InvalidInput as exc:
        errors = _form_errors(exc)
    except services.CaseConflict as exc:
        errors = {"all": [exc.message]}
        conflict = True
    else:
        messages.success(request, _("病例报告 #%(id)s 已订正。") % {"id": case.pk})
        return redirect("surveillance:case-detail", case_id=case.pk)
    return render(request, "surveillance/case_form.html", _context(
        request, values, errors, mode="correct", case=case, version=version, reason=reason),
        status=409 if conflict else 422)


def _version(raw: str | None) -> int:
    """The version the form was read at; garbage is no version (the service calls it a
    conflict, which is what it is: the page does not know what it edits)."""
    try:
        return int(raw or "")
    except ValueError:
        return 0
