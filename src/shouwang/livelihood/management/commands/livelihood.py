"""`shouwang livelihood …`: relapse-into-poverty monitoring from the command line.

One subparser per part of the livelihood app, each in its own section below: a section is a
pair (`add_<part>(sub)` adds its subcommands to the subparsers, `run_<part>(command, options)`
handles them and returns True when the action was its own). To add subcommands, add a section
and list it in SECTIONS; never edit another section. Errors are CommandError with the fields.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shouwang.core.errors import InvalidInput

Adder = Callable[[Any], None]
Runner = Callable[[BaseCommand, dict[str, Any]], bool]


def month_arg(text: str) -> date:
    """YYYY-MM as the first day of the month."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(f"a month must be YYYY-MM, got {text!r}") from None


def fail(error: InvalidInput) -> CommandError:
    fields = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in error.fields.items())
    return CommandError(fields or str(error.message or error.code))


# --- monitoring (the "monitoring" part; decision 1230) -------------------------------------------
#   shouwang livelihood monitor --month YYYY-MM [--division CODE]
# A monitoring pass with a progress bar on stderr; the run's summary as JSON on stdout.


def add_monitoring(sub: Any) -> None:
    monitor = sub.add_parser("monitor", help="monitoring pass: judge every household at a month "
                                             "and open the newly flagged for monitoring")
    monitor.add_argument("--month", type=month_arg, required=True, help="the month, YYYY-MM")
    monitor.add_argument("--division", default="",
                         help="only the households under this division code (default: all)")


def run_monitoring(command: BaseCommand, options: dict[str, Any]) -> bool:
    import json

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from shouwang.livelihood.services.monitoring import monitoring_run, run_summary

    if options["action"] != "monitor":
        return False
    console = Console(file=command.stderr,  # type: ignore[arg-type]  # a text stream
                      highlight=False, soft_wrap=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("监测 monitoring", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = monitoring_run(month=options["month"], division_prefix=options["division"],
                                 progress=step)
    except InvalidInput as error:
        raise fail(error) from error
    command.stdout.write(json.dumps(run_summary(run), ensure_ascii=False))
    return True


SECTIONS: list[tuple[Adder, Runner]] = [
    (add_monitoring, run_monitoring),
]


class Command(BaseCommand):
    help = "Relapse-into-poverty monitoring: monitoring passes, rules and thresholds."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        for add, _run in SECTIONS:
            add(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        for _add, run in SECTIONS:
            if run(self, options):
                return
        raise CommandError(f"unknown action {options['action']!r}")
