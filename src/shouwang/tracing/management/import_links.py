"""`shouwang tracing import-links FILE --infector-column C --infectee-column C
[--id-kind report_id|source_key] --user USERNAME [--reason TEXT]`: confirm the infector →
infectee links of a line list (CSV or XLSX, UTF-8 or GBK) through services/imports.py, with a
progress bar. All or nothing: a bad file prints every bad row (line, column, message) and
stores nothing; the same file again stores nothing new."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shouwang.accounts.models import User
from shouwang.core.errors import InvalidInput
from shouwang.tracing.services.imports import ID_KINDS, LinkImportError, links_import

IMPORT_LINKS = "import-links"
HELP = ("Confirm the infector → infectee links of a line list (CSV/XLSX, UTF-8 or GBK) as "
        "USERNAME: all rows or none; the same file twice stores nothing new.")


def add_import_links_arguments(sub: Any) -> None:
    parser: CommandParser = sub.add_parser(IMPORT_LINKS, help=HELP, description=HELP)
    parser.add_argument("file", help="The CSV (UTF-8 or GBK) or XLSX file.")
    parser.add_argument("--infector-column", required=True,
                        help="The header of the column naming each row's infector (blank: "
                             "unknown source).")
    parser.add_argument("--infectee-column", required=True,
                        help="The header of the column naming the infected case.")
    parser.add_argument("--id-kind", choices=ID_KINDS, default="report_id",
                        help="How the columns name cases: case report ids, the source keys "
                             "the cases were submitted with, or (line_list) the file's own ids "
                             "when its cases were imported with surveillance-import: the "
                             "infectee column is then each row's own id.")
    parser.add_argument("--user", required=True,
                        help="The officer importing (their jurisdiction and rights apply).")
    parser.add_argument("--reason", default="", help="Why, stored on every link confirmed.")


def _describe(exc: InvalidInput) -> str:
    return "; ".join(f"{name}: {' '.join(str(m) for m in messages)}"
                     for name, messages in exc.fields.items())


def import_links(command: BaseCommand, options: dict[str, Any]) -> None:
    console = Console(file=command.stdout,  # type: ignore[arg-type]  # a text stream
                      highlight=False, soft_wrap=True)
    try:
        with open(options["file"], "rb") as fh:
            content = fh.read()
    except OSError as exc:
        raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from None
    user = User.objects.filter(username=options["user"]).first()
    if user is None or not user.is_active:
        raise CommandError(f"no active user {options['user']!r}")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("links", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            result = links_import(actor=user, content=content,
                                  infector_column=options["infector_column"],
                                  infectee_column=options["infectee_column"],
                                  id_kind=options["id_kind"], reason=options["reason"],
                                  progress=step)
        except LinkImportError as exc:
            for row in exc.rows:
                console.print(str(row))
            more = exc.error_count - len(exc.rows)
            if more > 0:
                console.print(f"… and {more} more")
            raise CommandError(f"{exc.error_count} errors; nothing was imported") from None
        except InvalidInput as exc:
            raise CommandError(_describe(exc)) from None
        except PermissionDenied:
            raise CommandError(f"{user.username} may not confirm transmission links") from None
    console.print(f"{result.rows:,} rows: {result.links:,} links, {result.created:,} confirmed "
                  f"now, {result.existing:,} already confirmed, {result.no_infector:,} without "
                  f"an infector.")
