"""`shouwang surveillance-counts rebuild`: recompute the daily-count table from the reports."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shouwang.surveillance.services.counts import daily_counts_rebuild


class Command(BaseCommand):
    help = "Daily case counts: rebuild the county × day × basis table from the case reports."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("rebuild", help="Recompute every daily count (one transaction).")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout,  # type: ignore[arg-type]  # a text stream
                          highlight=False, soft_wrap=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("daily counts", total=4)

            def step(done: int, total: int, stage: str) -> None:
                bar.update(task, completed=done, total=total, description=f"daily counts: {stage}")

            cells = daily_counts_rebuild(actor=None, progress=step)
        console.print(f"{cells:,} daily-count cells written.")
