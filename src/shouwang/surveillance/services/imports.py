"""Bulk import of case line lists (CSV / XLSX): upload, preview, start, run, errors file.

The flow a county officer follows: `import_upload` stores the file and suggests a column mapping
(status PREVIEWED); `import_preview` validates the first rows exactly as the import will (a dry
run that writes nothing); `import_start` saves the chosen mapping and queues a background job
("case_import") that calls `import_run`; `import_errors_file` is the per-row error list to fix and
re-import. The CLI (`shouwang surveillance-import`) calls `import_run` directly.

Every row is validated by `validate_case_input` (the rule book of the report form) with the
divisions preloaded once; rows outside the importer's jurisdiction are errors. Each row gets a
`source_key` from the importer's division and its normalised content, so importing the same file
twice, or overlapping files, adds nothing. Rows are written in chunks, one transaction each; the
batch records the last committed line, so a killed import resumes where it stopped.
Decisions: docs/decisions/0800-bulk-import.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from shouwang.surveillance.models import ImportBatch
from shouwang.surveillance.services.import_io import IMPORT_COLUMNS, ImportColumn, import_template

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.core.models import Job

__all__ = [
    "IMPORT_COLUMNS",
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


@dataclass(frozen=True)
class PreviewRow:
    """One data row of the file as the import would see it.

    `line` is the 1-based line (row) number in the file, as a spreadsheet shows it; `values` the
    row's raw text by field key (mapped columns only); `errors` the messages by field key (empty
    when the row would be imported); `duplicate_of` the line number of an earlier row of the same
    file, or the id of the stored case (negative line numbers never occur), that this row repeats
    — see `duplicate_kind`.
    """

    line: int
    values: dict[str, str]
    errors: dict[str, list[str]]
    duplicate_of: int | None = None
    # "file": an earlier line of this file (duplicate_of is its line number);
    # "case": a stored case (duplicate_of is its id); "imported": this very row was imported
    # before (same source key; duplicate_of is the stored case's id).
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


def import_upload(*, actor: User, file_name: str, content: bytes) -> ImportBatch:
    """Store an uploaded line list and describe it.

    Checks the actor may write cases (PermissionDenied otherwise), the size and the format (CSV
    or XLSX, judged by content, not only by extension), detects the encoding (utf-8-sig, utf-8,
    gb18030), stores the file as VAR_DIR/imports/<sha256>.<ext>, counts the data rows and
    suggests a mapping header → field (None = ignored) in `batch.mapping`. Status PREVIEWED;
    audited. Raises InvalidInput({"file": [...]}) for an unreadable, empty or wrong-format file.
    """
    raise NotImplementedError


def import_preview(*, actor: User, batch: ImportBatch, mapping: dict[str, str | None] | None = None,
                   limit: int = 20) -> ImportPreview:
    """Validate the first `limit` rows with `mapping` (default: the batch's) as the import will.

    Writes nothing. Unknown fields in `mapping` raise InvalidInput({"mapping": [...]}).
    """
    raise NotImplementedError


def import_start(*, actor: User, batch: ImportBatch, mapping: dict[str, str | None],
                 dry_run: bool = False) -> Job:
    """Check and save the mapping, then queue (once) the background job that runs the import.

    The job key is derived from the batch id, the mapping and `dry_run`: asking twice returns
    the same job. Raises InvalidInput({"mapping": [...]}) for an unknown field, a field mapped
    twice, a header not in the file or a required field left unmapped.
    """
    raise NotImplementedError


def import_run(*, batch: ImportBatch, progress: Progress | None = None,
               dry_run: bool = False) -> ImportBatch:
    """Import the whole file with the batch's mapping; the fresh batch back.

    Chunked (one transaction per chunk); resumes after the last committed line when the batch
    was interrupted. Fills total_rows, imported_rows, duplicate_rows, error_rows, errors_path,
    status and finished_at. A dry run validates and counts everything and writes the errors
    file, but stores no case. `progress(done_rows, total_rows)` is called after every chunk.
    """
    raise NotImplementedError


def import_errors_file(batch: ImportBatch) -> Path | None:
    """The batch's errors CSV (UTF-8 with BOM: line number, the row's values, the errors in
    Chinese and English), or None when the batch has none (yet)."""
    raise NotImplementedError
