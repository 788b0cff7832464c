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


SECTIONS: list[tuple[Adder, Runner]] = [
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
