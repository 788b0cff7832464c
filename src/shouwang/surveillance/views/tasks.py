"""待报告任务: positive lab results of people without a case, soonest deadline first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.surveillance.selectors.labs import open_report_tasks
from shouwang.surveillance.views.case_common import disease_label, names_for


@require_capability("surveillance.read")
def task_list(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    overdue_only = request.GET.get("overdue") == "1"
    qs = open_report_tasks(user=request.user, now=now, overdue_only=overdue_only).defer(
        "lab_result__name", "lab_result__id_number", "lab_result__phone")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    tasks = list(page.object_list)
    names = names_for(t.division_code for t in tasks)
    return render(request, "surveillance/task_list.html", {
        "page": page, "overdue_only": overdue_only, "now": now,
        "rows": [{"t": t, "division": names.get(t.division_code, ""),
                  "disease": disease_label(t.disease),
                  "seconds": int((t.due_at - now).total_seconds()),
                  "h": int(abs((t.due_at - now).total_seconds())) // 3600,
                  "m": int(abs((t.due_at - now).total_seconds())) % 3600 // 60} for t in tasks],
        "can_write": request.user.has_capability("surveillance.write"),
    })
