"""Bulk import of case line lists (CSV / XLSX): upload, preview, start, run, errors file.

The flow a county officer follows: `import_upload` stores the file and suggests a column mapping
(status PREVIEWED); `import_preview` validates the first rows exactly as the import will (a dry
run that writes nothing); `import_start` saves the chosen mapping and queues a background job
("case_import") that calls `import_run`; `import_errors_file` is the per-row error list to fix and
re-import. The CLI (`shouwang surveillance-import`) calls `import_run` directly.

Every row is validated by `validate_case_input` (the rule book of the report form) with the
divisions preloaded once; rows outside the importer's jurisdiction are errors. Each row gets a
`source_key` from the importer's division and its normalised content, so importing the same file
twice, or overlapping files, adds nothing. Rows are written in chunks, one transaction each, by
services/import_rows.py (the rows) and import_batch.py (the loop); the batch records the last
committed line, so a killed import resumes where it stopped.
Decisions: docs/decisions/0800-bulk-import.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.jobs import (
    JobCancelled,
    JobContext,
    JobKind,
    job_enqueue,
    register_job_kind,
)
from shouwang.core.models import AuditAction, JobStatus
from shouwang.surveillance.models import ImportBatch, ImportKind, ImportStatus
from shouwang.surveillance.services.cases import WRITE, require_write
from shouwang.surveillance.services.import_io import (
    COLUMNS_BY_FIELD,
    CSV,
    IMPORT_COLUMNS,
    REQUIRED_FIELDS,
    ImportColumn,
    Sheet,
    detect_encoding,
    detect_format,
    import_template,
    open_sheet,
    suggest_mapping,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.core.models import Job

__all__ = [
    "IMPORT_COLUMNS",
    "IMPORT_JOB",
    "ImportColumn",
    "ImportPreview",
    "PreviewRow",
    "import_errors_file",
    "import_preview",
    "import_run",
    "import_start",
    "import_template",
    "import_upload",
]

Progress = Callable[[int, int | None], None]
IMPORT_JOB = "case_import"
DEFAULT_MAX_BYTES = 1024 * 1024 * 1024
PREVIEW_MAX = 200


def imports_dir() -> Path:
    """Where uploaded files and error files live (settings.SHOUWANG_IMPORTS_DIR, by default
    VAR_DIR/imports)."""
    path = Path(getattr(settings, "SHOUWANG_IMPORTS_DIR", Path(settings.VAR_DIR) / "imports"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def max_upload_bytes() -> int:
    return int(getattr(settings, "SHOUWANG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class PreviewRow:
    """One data row of the file as the import would see it.

    `line` is the row's line number in the file (as a spreadsheet numbers it); `values` the
    row's raw text by field key (mapped columns only); `errors` the messages by field key
    ("row" for the row as a whole; empty when the row would be imported). `duplicate_of` says
    what the row repeats, as `duplicate_kind` tells: "file" — an earlier line of this file
    (duplicate_of is its line number; an exact repeat is an error, a second report of the same
    person and disease is merged into the first); "case" — a stored case of the same person and
    disease (duplicate_of is its id; the row is stored merged into it); "imported" — this very
    row was imported before (duplicate_of is the stored case's id; nothing is added).
    """

    line: int
    values: dict[str, str]
    errors: dict[str, list[str]]
    duplicate_of: int | None = None
    duplicate_kind: str = ""


@dataclass(frozen=True)
class ImportPreview:
    """What the wizard shows before the import starts."""

    headers: list[str]
    mapping: dict[str, str | None]
    columns: list[ImportColumn]
    missing_required: list[str]
    rows: list[PreviewRow] = field(default_factory=list)
    sample_size: int = 0


# --- upload ---------------------------------------------------------------------------------------


def batch_sheet(batch: ImportBatch) -> Sheet:
    """The batch's stored file opened for reading."""
    path = Path(batch.stored_path)
    if not path.is_file():
        raise InvalidInput({"file": [_("导入文件已不存在，请重新上传。")]})
    return open_sheet(path, batch.file_format or CSV, batch.encoding or "utf-8")


def import_upload(*, actor: User, file_name: str, content: bytes) -> ImportBatch:
    """Store an uploaded line list and describe it.

    Checks the actor may write cases (PermissionDenied otherwise), the size and the format (CSV
    or XLSX, judged by content, not only by extension), detects the encoding (utf-8-sig, utf-8,
    gb18030), stores the file as <imports dir>/<sha256>.<ext>, counts the data rows and
    suggests a mapping header → field (None = ignored) in `batch.mapping`. Status PREVIEWED;
    audited. Raises InvalidInput({"file": [...]}) for an unreadable, empty or wrong-format file.

    Uploading the same file again while an earlier upload of it by the same officer has not
    finished returns that batch, so a crashed CLI import resumes instead of starting over.
    """
    require_write(actor)
    if len(content) > max_upload_bytes():
        raise InvalidInput({"file": [_("文件过大（上限 %(n)s MB）。")
                                     % {"n": max_upload_bytes() // (1024 * 1024)}]})
    file_format = detect_format(content)
    encoding = detect_encoding(content) if file_format == CSV else ""
    sha = hashlib.sha256(content).hexdigest()
    path = imports_dir() / f"{sha}.{file_format}"
    if not path.is_file():
        partial = path.with_suffix(f".{file_format}.part")
        partial.write_bytes(content)
        partial.replace(path)
    sheet = open_sheet(path, file_format, encoding)
    total = sum(1 for _row in _safe_rows(sheet))
    if total == 0:
        raise InvalidInput({"file": [_("文件中没有数据行。")]})
    name = (file_name or path.name).replace("\\", "/").rsplit("/", 1)[-1][:255]
    unfinished = ImportBatch.objects.filter(
        owner=actor, kind=ImportKind.CASES, file_sha256=sha, finished_at__isnull=True,
        status__in=[ImportStatus.PREVIEWED, ImportStatus.RUNNING, ImportStatus.FAILED],
    ).order_by("-created_at", "-id").first()
    if unfinished is not None:
        return unfinished
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=ImportKind.CASES, file_name=name, file_sha256=sha, stored_path=str(path),
            encoding=encoding, file_format=file_format, owner=actor,
            division_code=actor.division_code, status=ImportStatus.PREVIEWED, total_rows=total,
            mapping=suggest_mapping(sheet.headers),
        )
        audit_log(actor=actor, action=AuditAction.CREATE, obj=batch,
                  summary=f"case import file uploaded ({total} rows)",
                  changes={"file_name": name, "file_sha256": sha, "format": file_format,
                           "encoding": encoding, "rows": total})
    return batch


def _safe_rows(sheet: Sheet, start_line: int = 0) -> Any:
    import csv
    import zipfile

    try:
        yield from sheet.rows(start_line)
    except (csv.Error, UnicodeDecodeError, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InvalidInput({"file": [_("文件无法读取：%(err)s") % {"err": str(exc)[:200]}]}) \
            from None


# --- mapping --------------------------------------------------------------------------------------


def clean_mapping(headers: list[str], mapping: Mapping[str, Any], *,
                  complete: bool) -> dict[str, str | None]:
    """The mapping for every header of the file (absent headers are ignored columns).

    Raises InvalidInput({"mapping": [...]}) for a header not in the file, an unknown field, a
    field given twice, and (with `complete`) a required field left unmapped.
    """
    if not isinstance(mapping, Mapping):
        raise InvalidInput({"mapping": [_("列映射格式无效。")]})
    problems: list[str] = []
    known = set(headers)
    out: dict[str, str | None] = dict.fromkeys(headers)
    used: dict[str, str] = {}
    for header, target in mapping.items():
        target = (str(target).strip() if target is not None else "") or None
        if header not in known:
            problems.append(_("文件中没有“%(h)s”列。") % {"h": str(header)[:64]})
            continue
        if target is None:
            continue
        if target not in COLUMNS_BY_FIELD:
            problems.append(_("未知的字段：%(f)s。") % {"f": target[:64]})
            continue
        if target in used:
            problems.append(_("字段“%(f)s”同时对应了“%(a)s”和“%(b)s”两列。") % {
                "f": COLUMNS_BY_FIELD[target].header_zh, "a": used[target], "b": header})
            continue
        used[target] = header
        out[header] = target
    if complete:
        missing = [f for f in REQUIRED_FIELDS if f not in used]
        if missing:
            problems.append(_("缺少必填列：%(cols)s。") % {
                "cols": "、".join(COLUMNS_BY_FIELD[f].header_zh for f in missing)})
    if problems:
        raise InvalidInput({"mapping": problems})
    return out


def _missing_required(mapping: Mapping[str, str | None]) -> list[str]:
    mapped = {v for v in mapping.values() if v}
    return [f for f in REQUIRED_FIELDS if f not in mapped]


# --- preview --------------------------------------------------------------------------------------


def _require_batch_access(actor: User, batch: ImportBatch) -> None:
    from shouwang.surveillance.selectors.imports import import_batch_get

    require_write(actor)
    import_batch_get(user=actor, batch_id=batch.pk)


def import_preview(*, actor: User, batch: ImportBatch,
                   mapping: Mapping[str, str | None] | None = None,
                   limit: int = 20) -> ImportPreview:
    """Validate the first `limit` rows with `mapping` (default: the batch's) as the import will.

    Writes nothing. Unknown fields in `mapping` raise InvalidInput({"mapping": [...]}); missing
    required fields are listed in `missing_required`, not raised.
    """
    from shouwang.surveillance.services.import_rows import RowContext, process_chunk

    _require_batch_access(actor, batch)
    sheet = batch_sheet(batch)
    clean = clean_mapping(sheet.headers, mapping if mapping is not None else batch.mapping,
                          complete=False)
    limit = max(1, min(int(limit), PREVIEW_MAX))
    sample: list[tuple[int, list[str]]] = []
    for item in _safe_rows(sheet):
        sample.append(item)
        if len(sample) >= limit:
            break
    ctx = RowContext.for_batch(batch, sheet.headers, clean, write=False)
    outcomes = process_chunk(ctx, sample)
    rows = [PreviewRow(line=o.line, values=o.values,
                       errors={k: [str(m) for m in v] for k, v in o.errors.items()},
                       duplicate_of=o.duplicate_of, duplicate_kind=o.duplicate_kind)
            for o in outcomes]
    return ImportPreview(headers=sheet.headers, mapping=clean, columns=list(IMPORT_COLUMNS),
                         missing_required=_missing_required(clean), rows=rows,
                         sample_size=len(rows))


# --- start (the job) ------------------------------------------------------------------------------


def _job_key(batch_id: int, mapping: Mapping[str, str | None], dry_run: bool) -> str:
    digest = hashlib.sha256(json.dumps(mapping, ensure_ascii=False, sort_keys=True)
                            .encode()).hexdigest()[:24]
    return f"import:{batch_id}:{digest}:{'dry' if dry_run else 'run'}"


def import_start(*, actor: User, batch: ImportBatch, mapping: Mapping[str, str | None],
                 dry_run: bool = False) -> Job:
    """Check and save the mapping, then queue (once) the background job that runs the import.

    The job key is derived from the batch id, the mapping and `dry_run`: asking twice returns
    the same job. Raises InvalidInput({"mapping": [...]}) for an unknown field, a field mapped
    twice, a header not in the file or a required field left unmapped, and
    InvalidInput({"status": ...}) when the batch is already being imported or was imported.
    """
    _require_batch_access(actor, batch)
    sheet = batch_sheet(batch)
    clean = clean_mapping(sheet.headers, mapping, complete=True)
    key = _job_key(batch.pk, clean, dry_run)
    fresh = ImportBatch.objects.select_related("job").get(pk=batch.pk)
    if fresh.job is not None and fresh.job.key.startswith(key):
        if fresh.job.status != JobStatus.FAILED:
            return fresh.job
        # Starting again after a failure is a new job, which resumes the batch.
        key = f"{key}:retry{fresh.job.pk}"
    if fresh.status == ImportStatus.RUNNING or (fresh.status == ImportStatus.DONE
                                                and not fresh.dry_run):
        raise InvalidInput({"status": [_("该文件已在导入或已导入完成。")]}, code="invalid_state")
    with transaction.atomic():
        job = job_enqueue(actor=actor, kind=IMPORT_JOB, key=key,
                          params={"batch": batch.pk, "mapping": clean, "dry_run": dry_run})
        ImportBatch.objects.filter(pk=batch.pk).update(mapping=clean, job=job)
    batch.refresh_from_db()
    return job


def _validate_job(user: User, params: Mapping[str, Any]) -> dict[str, Any]:
    from shouwang.surveillance.selectors.imports import import_batch_get

    try:
        batch_id = int(params.get("batch"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput({"batch": [_("此项为必填项。")]}) from None
    batch = import_batch_get(user=user, batch_id=batch_id)
    clean = clean_mapping(batch_sheet(batch).headers, params.get("mapping") or {}, complete=True)
    return {"batch": batch.pk, "mapping": clean, "dry_run": bool(params.get("dry_run"))}


def _run_job(job: Job, ctx: JobContext) -> dict[str, Any]:
    batch = ImportBatch.objects.get(pk=job.params["batch"])
    if batch.mapping != job.params["mapping"]:
        ImportBatch.objects.filter(pk=batch.pk).update(mapping=job.params["mapping"])
        batch.mapping = job.params["mapping"]
    done = import_run(batch=batch, progress=ctx.progress, dry_run=bool(job.params["dry_run"]))
    return {"batch": done.pk, "status": done.status, "dry_run": done.dry_run,
            "total_rows": done.total_rows, "imported_rows": done.imported_rows,
            "duplicate_rows": done.duplicate_rows, "existing_rows": done.existing_rows,
            "error_rows": done.error_rows, "candidate_rows": done.candidate_rows}


register_job_kind(JobKind(name=IMPORT_JOB, capability=WRITE, runner=_run_job,
                          validate=_validate_job, audit_action=AuditAction.CREATE))


# --- run ------------------------------------------------------------------------------------------


def import_run(*, batch: ImportBatch, progress: Progress | None = None,
               dry_run: bool = False) -> ImportBatch:
    """Import the whole file with the batch's mapping; the fresh batch back.

    Chunked (one transaction per chunk); resumes after the last committed line when the batch
    was interrupted (RUNNING or FAILED with a cursor). Fills total_rows, imported_rows,
    duplicate_rows, existing_rows, error_rows, candidate_rows, errors_path, status and
    finished_at. A dry run validates and counts everything and writes the errors file, but
    stores no case (the batch goes back to PREVIEWED with its figures). `progress(done_rows,
    total_rows)` is called after every chunk. A batch already imported is returned as it is.
    """
    from shouwang.surveillance.services.import_batch import run_batch

    fresh = ImportBatch.objects.select_related("owner").get(pk=batch.pk)
    if fresh.status == ImportStatus.DONE and not fresh.dry_run and not dry_run:
        return fresh
    owner = fresh.owner
    if not owner.has_capability(WRITE):
        raise PermissionDenied(WRITE)
    try:
        run_batch(fresh, dry_run=dry_run, progress=progress)
    except JobCancelled:
        raise  # another worker took the job over and carries on with the batch
    except Exception as exc:
        ImportBatch.objects.filter(pk=fresh.pk).update(
            status=ImportStatus.FAILED, failure=f"{type(exc).__name__}: {exc}"[:4000])
        raise
    fresh.refresh_from_db()
    return fresh


def import_errors_file(batch: ImportBatch) -> Path | None:
    """The batch's errors CSV (UTF-8 with BOM: line number, the row's values, the errors in
    Chinese and English), or None when the batch has none (yet)."""
    if not batch.errors_path:
        return None
    base = imports_dir().resolve()
    path = (base / batch.errors_path).resolve()
    if path.parent != base or not path.is_file():
        return None
    return path
