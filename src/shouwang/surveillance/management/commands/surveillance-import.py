"""`shouwang surveillance-import FILE --user USERNAME [--dry-run] [--mapping JSON]`: import a case
line list (CSV or XLSX) from the command line, with a progress bar.

Running it again on the same file after a crash (or kill) resumes the unfinished batch; running
it on a file already imported adds nothing and says so. Exits non-zero when no row could be
imported (every row an error, or the file refused).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from shouwang.accounts.models import User
from shouwang.core.errors import InvalidInput
from shouwang.surveillance.models import ImportBatch
from shouwang.surveillance.services.imports import (
    batch_sheet,
    clean_mapping,
    import_errors_file,
    import_run,
    import_upload,
)


def _describe(exc: InvalidInput) -> str:
    return "; ".join(f"{name}: {' '.join(str(m) for m in messages)}"
                     for name, messages in exc.fields.items())


class Command(BaseCommand):
    help = "Import a case line list (CSV or XLSX) as USERNAME; resumable, idempotent."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The CSV (UTF-8 or GBK) or XLSX file.")
        parser.add_argument("--user", required=True,
                            help="The officer importing (their jurisdiction and rights apply).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Validate and count every row, write the errors file, store "
                                 "nothing.")
        parser.add_argument("--mapping",
                            help='Column mapping as JSON, {"file header": "field"}; '
                                 "default: recognised from the headers.")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout,  # type: ignore[arg-type]  # a text stream
                          highlight=False, soft_wrap=True)
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = User.objects.filter(username=options["user"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"no active user {options['user']!r}")
        try:
            batch = import_upload(actor=user, file_name=path.name, content=path.read_bytes())
            headers = batch_sheet(batch).headers
            if options.get("mapping"):
                try:
                    given = json.loads(options["mapping"])
                except json.JSONDecodeError as exc:
                    raise CommandError(f"--mapping is not JSON: {exc}") from None
                mapping = clean_mapping(headers, given, complete=True)
            else:
                mapping = clean_mapping(headers, batch.mapping, complete=True)
            if mapping != batch.mapping:
                ImportBatch.objects.filter(pk=batch.pk).update(mapping=mapping)
                batch.mapping = mapping
        except InvalidInput as exc:
            raise CommandError(_describe(exc)) from None
        except PermissionDenied:
            raise CommandError(f"{user.username} may not import case reports") from None
        ignored = [h for h, f in mapping.items() if not f]
        console.print(f"batch #{batch.pk}: {batch.file_name} ({batch.file_format}"
                      f"{', ' + batch.encoding if batch.encoding else ''}), "
                      f"{batch.total_rows:,} rows"
                      + (f", resuming after line {batch.resume_line:,}"
                         if batch.resume_line and not batch.dry_run else ""))
        if ignored:
            console.print("ignored columns: " + ", ".join(ignored))

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("dry run" if options["dry_run"] else "import",
                                total=batch.total_rows)

            def step(done: int, total: int | None) -> None:
                bar.update(task, completed=done, total=total)

            try:
                batch = import_run(batch=batch, progress=step, dry_run=options["dry_run"])
            except InvalidInput as exc:
                raise CommandError(_describe(exc)) from None
        console.print(
            f"{'dry run: ' if batch.dry_run else ''}{batch.total_rows:,} rows: "
            f"{batch.imported_rows:,} {'to import' if batch.dry_run else 'imported'}, "
            f"{batch.duplicate_rows:,} duplicates (merged), "
            f"{batch.existing_rows:,} already imported, {batch.error_rows:,} errors, "
            f"{batch.candidate_rows:,} with possible duplicates to review.")
        errors = import_errors_file(batch)
        if errors is not None:
            console.print(f"errors file: {errors}")
        if batch.imported_rows + batch.duplicate_rows + batch.existing_rows == 0:
            raise CommandError("no row could be imported")
