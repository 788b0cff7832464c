"""疑似重复: the open candidate pairs side by side (masked), to merge or dismiss."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.record_actions import field_errors
from shouwang.surveillance.selectors import cases as selectors
from shouwang.surveillance.services import cases as services
from shouwang.surveillance.services import dedup
from shouwang.surveillance.views.case_common import (
    disease_label,
    masked_person,
    names_for,
)

REASONS = {"name": gettext_lazy("姓名相同"), "birth_date": gettext_lazy("出生日期相同"),
           "phone": gettext_lazy("电话相同"), "sex": gettext_lazy("性别相同")}


@require_capability("surveillance.read")
def duplicate_list(request: AuthedRequest) -> HttpResponse:
    return _render_list(request)


def _render_list(request: AuthedRequest) -> HttpResponse:
    """The open pairs; the merge and dismiss posts answer with it too (a resent post finds the
    pair decided and says so)."""
    qs = selectors.duplicate_candidates(user=request.user).select_related(
        "case__disease", "other__disease")
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    pairs = list(page.object_list)
    names = names_for([c.case.division_code for c in pairs] + [c.other.division_code
                                                                 for c in pairs])
    if pairs:
        # Masked, yet read from the encrypted fields: the reading goes on the audit trail.
        audit_log(actor=request.user, action=AuditAction.READ,
                  object_type="surveillance.casereport",
                  summary="duplicate review: reports shown masked",
                  changes={"case_ids": sorted({c.case_id for c in pairs}
                                              | {c.other_id for c in pairs})})
    return render(request, "surveillance/case_duplicates.html", {
        "page": page,
        "pairs": [{
            "c": c, "reasons": [str(REASONS.get(r, r)) for r in c.reasons],
            "sides": [(side, masked_person(side), names.get(side.division_code, ""),
                       disease_label(side.disease))
                      for side in (c.case, c.other)],
        } for c in pairs],
        "can_write": request.user.has_capability(services.WRITE),
    })


@require_capability(services.WRITE)
@require_POST
def duplicate_merge(request: AuthedRequest, candidate_id: int) -> HttpResponse:
    candidate = selectors.duplicate_candidate_get(user=request.user, candidate_id=candidate_id)
    try:
        survivor = dedup.duplicate_candidate_merge(actor=request.user, candidate=candidate)
    except InvalidInput as exc:
        for msgs in field_errors(exc).values():
            for m in msgs:
                messages.error(request, m)
    except services.CaseConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已合并：保留病例报告 #%(id)s。") % {"id": survivor.pk})
    return _render_list(request)


@require_capability(services.WRITE)
@require_POST
def duplicate_dismiss(request: AuthedRequest, candidate_id: int) -> HttpResponse:
    candidate = selectors.duplicate_candidate_get(user=request.user, candidate_id=candidate_id)
    try:
        dedup.duplicate_candidate_dismiss(actor=request.user, candidate=candidate,
                                          reason=request.POST.get("reason", ""))
    except InvalidInput as exc:
        for msgs in field_errors(exc).values():
            for m in msgs:
                messages.error(request, m)
    else:
        messages.success(request, _("已标记为非重复。"))
    return _render_list(request)
