"""The import wizard: upload a line list, map its columns, check a preview, run the import and
watch it, read the result; and the list of my area's past imports.

Every step is an ordinary form that posts and re-renders, so the wizard works without
JavaScript; import.js only polls the batch's progress while its job runs (without it the page
refreshes itself through a <noscript> meta refresh).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.models import Job, JobStatus
from shouwang.surveillance.api.imports import batch_percent
from shouwang.surveillance.models import ImportBatch, ImportStatus
from shouwang.surveillance.selectors.imports import import_batch_get, import_batch_list
from shouwang.surveillance.services import imports as services

WRITE = "surveillance.write"
LIST_MAX = 50
PREVIEW_ROWS = 20
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass(frozen=True)
class ColumnDoc:
    field: str
    header: str
    other_header: str
    required: bool
    example: str
    help: str


def column_docs() -> list[ColumnDoc]:
    """The template's columns in the page's language (the other language's header beside)."""
    en = _english()
    return [ColumnDoc(c.field, c.header_en if en else c.header_zh,
                      c.header_zh if en else c.header_en, c.required, c.example,
                      c.help_en if en else c.help_zh)
            for c in services.IMPORT_COLUMNS]


def _errors(exc: InvalidInput) -> dict[str, list[str]]:
    return {k: [str(m) for m in v] for k, v in exc.fields.items()}


@require_capability(WRITE)
def import_index(request: AuthedRequest) -> HttpResponse:
    """Step 1 (upload, with the template and its documentation) and my area's past imports."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors["file"] = [_("请选择要上传的 CSV 或 XLSX 文件。")]
        else:
            try:
                batch = services.import_upload(actor=request.user, file_name=upload.name or "",
                                               content=upload.read())
            except InvalidInput as exc:
                errors = _errors(exc)
            else:
                return redirect("surveillance:import-detail", batch_id=batch.pk)
    batches = list(import_batch_list(user=request.user).select_related("owner", "job")
                   [:LIST_MAX])
    return render(request, "surveillance/import_index.html", {
        "errors": errors, "batches": batches, "columns": column_docs(),
    }, status=422 if errors else 200)


@dataclass(frozen=True)
class HeaderChoice:
    index: int
    header: str
    field: str  # "" = ignored
    required_missing: bool = False


@dataclass(frozen=True)
class PreviewCell:
    value: str
    errors: list[str]


@dataclass(frozen=True)
class PreviewLine:
    line: int
    cells: list[PreviewCell]
    other_errors: list[str]
    duplicate: str


def _mapping_from_post(headers: list[str], data: Any) -> dict[str, str | None]:
    return {h: (data.get(f"col-{i}") or None) for i, h in enumerate(headers)}


def _preview_context(preview: Any) -> dict[str, Any]:
    """The preview as the template draws it: one row per file line, a cell per mapped field."""
    labels = {d.field: d for d in column_docs()}
    mapped = [f for f in (preview.mapping.get(h) for h in preview.headers) if f]
    lines: list[PreviewLine] = []
    for row in preview.rows:
        cells = [PreviewCell(row.values.get(f, ""), [str(m) for m in row.errors.get(f, [])])
                 for f in mapped]
        # Errors of a field without a column (a required one) name it; whole-row errors
        # (a repeated line, a row outside the jurisdiction) speak for themselves.
        other = [f"{labels[k].header}: {m}" if k in labels else str(m)
                 for k, msgs in row.errors.items() if k not in mapped for m in msgs]
        duplicate = ""
        if row.duplicate_of is not None:
            duplicate = {
                "file": _("与第 %(n)s 行重复") % {"n": row.duplicate_of},
                "case": _("与已有病例 #%(n)s 重复") % {"n": row.duplicate_of},
                "imported": _("此行已导入（病例 #%(n)s）") % {"n": row.duplicate_of},
            }.get(row.duplicate_kind, _("重复"))
        lines.append(PreviewLine(row.line, cells, other, duplicate))
    missing = {d.field: d.header for d in column_docs() if d.field in preview.missing_required}
    return {
        "preview": preview,
        "choices": [HeaderChoice(i, h, preview.mapping.get(h) or "") for i, h in
                    enumerate(preview.headers)],
        "mapped_headers": [labels[f].header if f in labels else f for f in mapped],
        "lines": lines,
        "missing_required": list(missing.values()),
        "sample_errors": sum(1 for x in lines if any(c.errors for c in x.cells)
                             or x.other_errors),
        "sample_duplicates": sum(1 for x in lines if x.duplicate),
    }


def _job_state(batch: ImportBatch) -> tuple[Job | None, bool]:
    job = Job.objects.filter(pk=batch.job_id).first() if batch.job_id else None
    return job, job is not None and job.status in ACTIVE


@require_capability(WRITE)
def import_detail(request: AuthedRequest, batch_id: int) -> HttpResponse:
    """Steps 2–4 of one batch: mapping and preview, then progress, then the result."""
    batch = import_batch_get(user=request.user, batch_id=batch_id)
    errors: dict[str, list[str]] = {}
    mapping: dict[str, str | None] | None = None
    if request.method == "POST" and batch.status == ImportStatus.FAILED:
        # Starting a failed batch again is a new job that resumes after the last committed
        # chunk (the engine's import_start), with the mapping and mode it failed with.
        failed = batch.job
        try:
            services.import_start(actor=request.user, batch=batch, mapping=batch.mapping,
                                  dry_run=bool(failed and failed.params.get("dry_run")))
        except InvalidInput as exc:
            errors = _errors(exc)
        else:
            return redirect("surveillance:import-detail", batch_id=batch.pk)
    elif request.method == "POST" and batch.status == ImportStatus.PREVIEWED:
        headers = services.import_preview(actor=request.user, batch=batch, limit=1).headers
        mapping = _mapping_from_post(list(headers), request.POST)
        action = request.POST.get("action", "preview")
        if action in {"start", "dry_run"}:
            try:
                services.import_start(actor=request.user, batch=batch, mapping=mapping,
                                      dry_run=action == "dry_run")
            except InvalidInput as exc:
                errors = _errors(exc)
            else:
                return redirect("surveillance:import-detail", batch_id=batch.pk)
    job, running = _job_state(batch)
    context: dict[str, Any] = {
        "batch": batch, "job": job, "running": running, "errors": errors,
        "columns": column_docs(), "english": _english(),
        "dry_run_done": job is not None and job.status == JobStatus.SUCCEEDED
        and bool(job.params.get("dry_run")),
        "status_url": reverse("api:import_batch_detail", kwargs={"batch_id": batch.pk}),
        "errors_url": (reverse("api:import_batch_errors", kwargs={"batch_id": batch.pk})
                       if services.import_errors_file(batch) else None),
        "percent": batch_percent(batch, job),
    }
    if batch.status == ImportStatus.PREVIEWED and not running:
        try:
            preview = services.import_preview(actor=request.user, batch=batch, mapping=mapping,
                                              limit=PREVIEW_ROWS)
        except InvalidInput as exc:
            errors.update(_errors(exc))
            preview = services.import_preview(actor=request.user, batch=batch,
                                              limit=PREVIEW_ROWS)
        context.update(_preview_context(preview))
    return render(request, "surveillance/import_detail.html", context,
                  status=422 if errors else 200)

