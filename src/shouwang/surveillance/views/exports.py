"""Exporting the line list from the pages: the "导出" button of the line list links to
`surveillance:case-export` with the list's own query string (the CaseFilters names); the page
asks for the format and for masked or full personal data, queues the export job and follows it
on `surveillance:export-job` until the file can be downloaded."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core import jobs
from shouwang.core.errors import InvalidInput
from shouwang.core.models import JobStatus
from shouwang.surveillance.models import CaseStatus, Classification
from shouwang.surveillance.selectors.diseases import disease_name
from shouwang.surveillance.services import exports as services

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
FILTER_LABELS = {
    "disease": gettext_lazy("病种"), "classification": gettext_lazy("病例分类"),
    "status": gettext_lazy("状态"), "division_code": gettext_lazy("区划代码"),
    "onset_from": gettext_lazy("发病日期起"), "onset_to": gettext_lazy("发病日期止"),
    "diagnosed_from": gettext_lazy("诊断日期起"), "diagnosed_to": gettext_lazy("诊断日期止"),
    "reported_from": gettext_lazy("报告日期起"), "reported_to": gettext_lazy("报告日期止"),
    "imported": gettext_lazy("输入病例"), "verified": gettext_lazy("已审核"),
    "late": gettext_lazy("迟报"), "name": gettext_lazy("姓名"),
    "id_number": gettext_lazy("证件号码"), "phone": gettext_lazy("联系电话"),
}


def _filters(data: Any) -> dict[str, str]:
    """The line-list filters present in a query string or form, as given."""
    return {k: str(data.get(k)).strip() for k in services.FILTER_KEYS
            if str(data.get(k) or "").strip()}


def _shown(name: str, value: str) -> str:
    """A filter as the page shows it: labels for codes, never the person searched for."""
    if name in {"name", "id_number", "phone"}:
        return "***"
    if name == "classification":
        return str(dict(Classification.choices).get(value, value))
    if name == "status":
        return str(dict(CaseStatus.choices).get(value, value))
    if name == "disease":
        return disease_name(value) or value
    if value in {"1", "0"} and name in {"imported", "verified", "late"}:
        return _("是") if value == "1" else _("否")
    return value


@require_capability(services.EXPORT_CAPABILITY)
def case_export(request: AuthedRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    source = request.POST if request.method == "POST" else request.GET
    filters = _filters(source)
    # XLSX by default on the page: Excel shows 18-digit ID and 11-digit phone numbers of a CSV in
    # scientific notation; in XLSX they are text cells.
    options = {"format": source.get("format") or "xlsx",
               "personal": source.get("personal") or "masked"}
    key = source.get("key") or f"export-{uuid.uuid4().hex}"
    if request.method == "POST":
        try:
            job = jobs.job_enqueue(
                actor=request.user, kind=services.CASE_EXPORT, key=key[:jobs.KEY_MAX_LENGTH],
                params={**filters, **options, "language": get_language() or ""})
        except InvalidInput as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        else:
            return redirect("surveillance:export-job", job_id=job.pk)
    count = None
    if not errors:
        try:
            clean = services.validate_case_export(request.user, {**filters, **options})
            count = services.case_export_queryset(user=request.user,
                                                  params=clean).order_by().count()
        except InvalidInput as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
    return render(request, "surveillance/export_form.html", {
        "filters": filters,
        "filter_rows": [(FILTER_LABELS.get(k, k), k, v, _shown(k, v)) for k, v in filters.items()],
        "options": options, "key": key, "errors": errors, "count": count,
        "may_export_full": request.user.has_capability(services.PERSONAL_CAPABILITY),
    }, status=422 if errors else 200)


@require_capability(services.EXPORT_CAPABILITY)
def export_job(request: AuthedRequest, job_id: int) -> HttpResponse:
    """One of the user's own export jobs: progress, then the download (owner only, like the
    jobs API: an export carries its owner's jurisdiction and filters)."""
    job = jobs.job_get(user=request.user, job_id=job_id)
    if job.kind != services.CASE_EXPORT:
        raise Http404
    running = job.status in ACTIVE
    percent = 100 if job.status == JobStatus.SUCCEEDED else (
        min(100, int(job.progress_done * 100 / job.progress_total)) if job.progress_total else 0)
    return render(request, "surveillance/export_job.html", {
        "job": job, "running": running, "percent": percent,
        "status_url": reverse("api:job_detail", kwargs={"job_id": job.pk}),
        "download_url": (reverse("api:job_download", kwargs={"job_id": job.pk})
                         if jobs.job_file(job) is not None else None),
    })
