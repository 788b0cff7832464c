"""`shouwang geo load | stats | load-townships FILE.csv`."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shouwang.core.errors import InvalidInput
from shouwang.geo import selectors, services


class Command(BaseCommand):
    help = "Administrative divisions: load the GB/T 2260 tree, show counts, load townships."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load",
                              help="Load every province, prefecture and county (idempotent).")
        load.add_argument("--no-progress", action="store_true", help="No progress bar.")
        sub.add_parser("stats", help="Print the number of divisions per level.")
        town = sub.add_parser("load-townships",
                              help="Load townships (9-digit) and villages (12-digit) from a CSV "
                                   "file with columns code,name,parent_code.")
        town.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout,  # type: ignore[arg-type]  # a text stream
                          highlight=False, soft_wrap=True)
        action = options["action"]
        if action == "load":
            self._load(console, show_progress=not options["no_progress"])
        elif action == "stats":
            self._stats(console)
        else:
            self._townships(console, options["file"])

    def _load(self, console: Console, *, show_progress: bool) -> None:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, disable=not show_progress,
                      transient=False) as bar:
            task = bar.add_task("divisions", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = services.divisions_load(actor=None, progress=advance)
        console.print(f"{result.source}: created {result.created}, updated {result.updated}, "
                      f"unchanged {result.unchanged}")
        self._stats(console)

    def _stats(self, console: Console) -> None:
        table = Table(title="Divisions")
        table.add_column("level")
        table.add_column("name")
        table.add_column("count", justify="right")
        total = 0
        for level, label, count in selectors.division_stats():
            table.add_row(level, str(label), str(count))
            total += count
        table.add_row("", "total", str(total))
        console.print(table)

    def _townships(self, console: Console, path: Path) -> None:
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = services.townships_load(actor=None, data=path.read_bytes(),
                                             filename=path.name)
        except InvalidInput as exc:
            lines = [str(exc.message or "")]
            lines += [f"  {name}: {'; '.join(str(m) for m in msgs)}"
                      for name, msgs in exc.fields.items()]
            raise CommandError("\n".join(lines)) from exc
        console.print(f"{path.name}: created {result.created}, updated {result.updated}, "
                      f"unchanged {result.unchanged}")
        self._stats(console)
