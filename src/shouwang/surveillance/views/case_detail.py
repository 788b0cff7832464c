"""One report's page (the card, its deadlines, history, lab results, duplicates) and the
actions on it. Every action names the version the page was read at: when another officer saved
in between, the service refuses (CaseConflict) and the page says so instead of overwriting."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.record_actions import versioned_action
from shouwang.core.scoping import scoped
from shouwang.surveillance.models import (
    CaseReport,
    CaseStatus,
    Classification,
    Outcome,
)
from shouwang.surveillance.selectors import cases as selectors
from shouwang.surveillance.selectors.diseases import disease_list
from shouwang.surveillance.selectors.labs import case_lab_results
from shouwang.surveillance.services import cases as services
from shouwang.surveillance.services import dedup
from shouwang.surveillance.views.case_common import (
    disease_label,
    masked_person,
    names_for,
)

READ = "surveillance.read"
WRITE = services.WRITE


def _field(name: str) -> Any:
    try:
        return CaseReport._meta.get_field(name)
    except FieldDoesNotExist:  # history keys that are no model field (payload, merged_report)
        return None


def _shown(field: Any, value: Any) -> Any:
    """A history value as the page shows it: a choice by its label, anything else as stored
    (personal values arrive masked from the history itself)."""
    choices = dict(getattr(field, "flatchoices", None) or [])
    if field is not None and value in choices:
        return choices[value]
    return value


def _history(user: Any, case_id: int) -> list[dict[str, Any]]:
    diseases = {d.code: disease_label(d) for d in disease_list(active_only=False)}
    extra = {"merged_report": _("合并的报告"), "import_batch": _("导入批次"),
             "import_line": _("导入文件行号")}

    def shown(key: str, field: Any, value: Any) -> Any:
        if key == "disease":
            return diseases.get(value, value)
        if key in ("merged_report", "import_batch") and value is not None:
            return f"#{value}"
        return _shown(field, value)

    rows = []
    for h in selectors.case_history(user=user, case_id=case_id):
        changes = []
        for key, v in sorted(h.changes.items()):
            if key == "payload":
                continue
            field = _field(key)
            label = (str(getattr(field, "verbose_name", key)) if field is not None
                     else str(extra.get(key, key)))
            if isinstance(v, list) and len(v) == 2:
                changes.append((label, shown(key, field, v[0]), shown(key, field, v[1])))
            else:
                changes.append((label, None, shown(key, field, v)))
        rows.append({"h": h, "changes": changes})
    return rows


def _timeliness(case: CaseReport) -> dict[str, Any]:
    now = timezone.now()
    late_by = case.reported_at - case.report_deadline_at
    if case.verified_at is not None:
        verification = "late" if case.verified_at > case.verification_due_at else "on_time"
    else:
        verification = "overdue" if now > case.verification_due_at else "pending"
    return {"late": late_by.total_seconds() > 0,
            "late_hours": round(late_by.total_seconds() / 3600, 1),
            "verification": verification}


def render_detail(request: AuthedRequest, case_id: int, *, action: str = "",
                  errors: dict[str, list[str]] | None = None, status: int = 200,
                  form: dict[str, str] | None = None) -> HttpResponse:
    user = request.user
    case = selectors.case_detail(user=user, case_id=case_id)  # the audited read
    merged = list(scoped(CaseReport.objects.filter(merged_into=case), user)
                  .defer("name", "id_number", "phone", "address_detail").order_by("id"))
    candidates = []
    for c in selectors.case_duplicate_candidates(user=user, case_id=case.pk):
        other = c.other if c.case_id == case.pk else c.case
        candidates.append({"c": c, "other": other, "masked": masked_person(other)})
    found = names_for([case.division_code, case.reporting_division_code,
                       case.origin_division_code])
    names = {"division": found.get(case.division_code, ""),
             "reporting": found.get(case.reporting_division_code, ""),
             "origin": found.get(case.origin_division_code, "")}
    return render(request, "surveillance/case_detail.html", {
        "case": case, "names": names, "disease": disease_label(case.disease),
        "timeliness": _timeliness(case),
        "history": _history(user, case.pk),
        "labs": list(case_lab_results(user=user, case_id=case.pk)),
        "merged_reports": merged, "candidates": candidates,
        "can_write": user.has_capability(WRITE),
        # Tracing's pages for this case (investigation, contacts, chain, infector; issue 5).
        "can_trace": user.has_capability("tracing.read"),
        "is_active": case.status == CaseStatus.ACTIVE,
        "classifications": [c for c in Classification.choices if c[0] != case.classification],
        "outcomes": [c for c in Outcome.choices if c[0]],
        "action": action, "action_errors": errors or {}, "form": form or {},
        "today": timezone.localdate().isoformat(),
    }, status=status)


@require_capability(READ)
def case_detail(request: AuthedRequest, case_id: int) -> HttpResponse:
    return render_detail(request, case_id)


def _act(request: AuthedRequest, case_id: int, action: str,
         call: Callable[[CaseReport, int], Any], done: str) -> HttpResponse:
    case = selectors.case_get(user=request.user, case_id=case_id)
    return versioned_action(
        request, record=case, action=action, call=call, done=done,
        render=lambda **kw: render_detail(request, case_id, **kw),
        conflicts=(services.CaseConflict,))


def _reason(request: AuthedRequest) -> str:
    return request.POST.get("reason", "")


@require_capability(WRITE)
@require_POST
def case_reclassify(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, "reclassify", lambda case, version:
                services.case_report_reclassify(
                    actor=request.user, case=case, version=version,
                    classification=request.POST.get("classification", ""),
                    reason=_reason(request)),
                _("病例分类已订正。"))


@require_capability(WRITE)
@require_POST
def case_outcome(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, "outcome", lambda case, version:
                services.case_report_set_outcome(
                    actor=request.user, case=case, version=version,
                    outcome=request.POST.get("outcome", ""),
                    outcome_date=request.POST.get("outcome_date") or None,
                    reason=_reason(request)),
                _("转归已记录。"))


@require_capability(WRITE)
@require_POST
def case_verify(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, "verify", lambda case, version:
                services.case_report_verify(actor=request.user, case=case, version=version),
                _("病例报告已审核。"))


@require_capability(WRITE)
@require_POST
def case_revoke(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, "revoke", lambda case, version:
                services.case_report_revoke(actor=request.user, case=case, version=version,
                                            reason=_reason(request)),
                _("病例报告已删除（订正），不再计数。"))


@require_capability(WRITE)
@require_POST
def case_restore(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, "restore", lambda case, version:
                services.case_report_restore(actor=request.user, case=case, version=version,
                                             reason=_reason(request)),
                _("病例报告已恢复。"))


@require_capability(WRITE)
@require_POST
def case_unmerge(request: AuthedRequest, case_id: int) -> HttpResponse:
    return _act(request, case_id, "unmerge", lambda case, version:
                dedup.case_report_unmerge(actor=request.user, case=case, version=version,
                                          reason=_reason(request)),
                _("已撤销合并，该报告重新有效。"))
