"""Running a whole import batch: chunk by chunk, one transaction each, with the resume cursor,
the errors file and the final count refresh and audit row. The chunks come from
services/import_pipeline.py (read, assessed and prepared, in a second process for large files),
are resolved by services/import_rows.py and written by services/import_write.py; the public
entry point is imports.import_run.
"""

from __future__ import annotations

import csv
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, TextIO

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.surveillance.models import ImportBatch, ImportStatus
from shouwang.surveillance.services.bulk_insert import bulk_session
from shouwang.surveillance.services.import_pipeline import chunks, few_collections
from shouwang.surveillance.services.import_rows import Outcome, RowContext, resolve
from shouwang.surveillance.services.import_write import write

logger = logging.getLogger(__name__)


# --- the errors file -----------------------------------------------------------------------------


def _cell(text: str) -> str:
    # A cell starting with a formula sign would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def errors_header(headers: list[str]) -> list[str]:
    return [_("行号") + " / line", *headers, _("错误") + "（中文）", "errors (English)"]


def write_errors(ctx: RowContext, fh: TextIO, outcomes: list[Outcome]) -> int:
    writer = csv.writer(fh)
    n = 0
    for o in outcomes:
        if o.status != "error":
            continue
        cells = o.cells + [""] * (len(ctx.headers) - len(o.cells))
        assert o.error_text is not None  # import_rows.prepare wrote it
        writer.writerow([o.line, *(_cell(c) for c in cells[:len(ctx.headers)]), *o.error_text])
        n += 1
    # Flushed before the chunk commits: a killed process loses nothing the OS has, and a
    # resumed run drops the lines written after the last commit (_truncate_errors).
    fh.flush()
    return n


def _truncate_errors(path: Path, headers: list[str], last_line: int) -> None:
    """Keep the error rows of committed lines only (a killed run may have written more)."""
    kept: list[list[str]] = []
    if path.is_file():
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i == 0 or (row and row[0].isdigit() and int(row[0]) <= last_line):
                    kept.append(row)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        if not kept:
            writer.writerow(errors_header(headers))
        writer.writerows(kept)


# --- a whole batch --------------------------------------------------------------------------------


def run_batch(batch: ImportBatch, *, dry_run: bool, progress: Any = None) -> None:
    """The import of one batch, chunk by chunk; see imports.import_run."""
    from shouwang.surveillance.services.imports import batch_sheet, clean_mapping, imports_dir

    sheet = batch_sheet(batch)
    mapping = clean_mapping(sheet.headers, batch.mapping, complete=True)
    resume = (not dry_run and not batch.dry_run and batch.resume_line > 0
              and batch.status in (ImportStatus.RUNNING, ImportStatus.FAILED))
    errors_name = f"errors-{batch.pk}{'-dry' if dry_run else ''}.csv"
    errors_path = imports_dir() / errors_name
    now = timezone.now()
    if resume:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING, failure="")
        _truncate_errors(errors_path, sheet.headers, batch.resume_line)
    else:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.RUNNING, dry_run=dry_run, resume_line=0, imported_rows=0,
            duplicate_rows=0, existing_rows=0, error_rows=0, candidate_rows=0,
            failure="", started_at=now, finished_at=None, errors_path=errors_name)
        _truncate_errors(errors_path, sheet.headers, 0)
    batch.refresh_from_db()
    with translation.override("zh-hans"), few_collections(), bulk_session():
        ctx = RowContext.for_batch(batch, sheet.headers, mapping, write=not dry_run)
        # Every committed row was counted under exactly one of these.
        done = (batch.imported_rows + batch.duplicate_rows + batch.existing_rows
                + batch.error_rows) if resume else 0
        start = batch.resume_line if resume else 0
        with errors_path.open("a", encoding="utf-8", newline="") as fh:
            t = time.perf_counter()
            for outcomes in chunks(ctx, sheet, resume_line=start, total_rows=batch.total_rows):
                t = ctx.lap("assess", t)  # waiting for the reader when it runs apart
                done += _commit(ctx, outcomes, fh)
                if progress:
                    progress(done, max(batch.total_rows, done))
                t = time.perf_counter()
            if progress:
                progress(done, done)
        _finish(ctx, done, errors_path)


def _commit(ctx: RowContext, outcomes: list[Outcome], fh: TextIO) -> int:
    batch = ctx.batch
    t = time.perf_counter()
    with transaction.atomic():
        resolve(ctx, outcomes)
        t = ctx.lap("resolve", t)
        candidates = write(ctx, outcomes) if ctx.write else 0
        t = ctx.lap("write", t)
        errors = write_errors(ctx, fh, outcomes)
        t = ctx.lap("errors_file", t)
        counts: dict[str, int] = defaultdict(int)
        for o in outcomes:
            counts[o.status] += 1
        last = outcomes[-1].line
        updated = ImportBatch.objects.filter(pk=batch.pk, resume_line=batch.resume_line).update(
            resume_line=last if ctx.write else 0,
            imported_rows=F("imported_rows") + counts["new"],
            duplicate_rows=F("duplicate_rows") + counts["merged"],
            existing_rows=F("existing_rows") + counts["existing"],
            error_rows=F("error_rows") + errors,
            candidate_rows=F("candidate_rows") + candidates,
        )
        if updated != 1:
            raise RuntimeError(f"import batch {batch.pk} advanced by another run; stopping")
    ctx.lap("commit", t)
    if ctx.write:
        batch.resume_line = last
        ctx.people.clear()  # committed: later chunks find these rows in the table
    return len(outcomes)


def _finish(ctx: RowContext, done: int, errors_path: Path) -> None:
    batch = ctx.batch
    with transaction.atomic():
        fresh = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        fresh.total_rows = done
        fresh.finished_at = timezone.now() if ctx.write else None
        fresh.status = ImportStatus.DONE if ctx.write else ImportStatus.PREVIEWED
        if fresh.error_rows == 0:
            errors_path.unlink(missing_ok=True)
            fresh.errors_path = ""
        fresh.save(update_fields=["total_rows", "finished_at", "status", "errors_path"])
        figures = {"total_rows": done, "imported_rows": fresh.imported_rows,
                   "duplicate_rows": fresh.duplicate_rows, "existing_rows": fresh.existing_rows,
                   "error_rows": fresh.error_rows, "candidate_rows": fresh.candidate_rows,
                   "dry_run": not ctx.write, "file_sha256": fresh.file_sha256}
        audit_log(actor=ctx.actor, action=AuditAction.CREATE if ctx.write else AuditAction.UPDATE,
                  object_type="surveillance.casereport" if ctx.write else "",
                  obj=None if ctx.write else fresh,
                  object_id=f"import:{fresh.pk}" if ctx.write else "",
                  division_code=fresh.division_code,
                  summary=(f"case import {'dry run' if not ctx.write else 'done'}: "
                           f"{fresh.imported_rows} imported, {fresh.duplicate_rows} duplicates, "
                           f"{fresh.existing_rows} already imported, {fresh.error_rows} errors"),
                  changes=figures)
    logger.info("import batch %s: %s rows; seconds per step %s", batch.pk, done,
                {k: round(v, 2) for k, v in sorted(ctx.timings.items())})
