"""`shouwang risk …`: zoned, graded control from the command line.

One subparser per area of the risk app, each in its own section below: a section is a pair
(`add_<area>(sub)` adds its subcommands to the subparsers, `run_<area>(command, options)`
handles them and returns True when the action was its own). To add subcommands, add a section
and list it in SECTIONS; never edit another section.

Levels (decision 1100):
    shouwang risk compute --date D [--disease covid19] [--no-publish]
    shouwang risk history --from D --to D [--disease covid19] [--no-publish]
    shouwang risk publish --date D [--disease covid19]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shouwang.core.errors import InvalidInput

Adder = Callable[[Any], None]
Runner = Callable[[BaseCommand, dict[str, Any]], bool]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"a date must be YYYY-MM-DD, got {text!r}") from None


def _fail(error: InvalidInput) -> CommandError:
    fields = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in error.fields.items())
    return CommandError(fields or str(error.message or error.code))


# --- levels: compute, history, publish (the "compute" part; decision 1100) ----------------------

LEVEL_ACTIONS = frozenset({"compute", "history", "publish"})


def add_levels(sub: Any) -> None:
    compute = sub.add_parser("compute", help="compute (and publish) the levels of one day")
    compute.add_argument("--date", type=_day, required=True, help="the day, YYYY-MM-DD")
    compute.add_argument("--disease", default="covid19", help="disease code (default: covid19)")
    compute.add_argument("--no-publish", action="store_true",
                         help="compute only; publish later with `risk publish`")
    history = sub.add_parser("history", help="compute and publish the levels of every day "
                                             "of a period (no notifications)")
    history.add_argument("--from", dest="start", type=_day, required=True,
                         help="first day, YYYY-MM-DD")
    history.add_argument("--to", dest="end", type=_day, required=True,
                         help="last day, YYYY-MM-DD")
    history.add_argument("--disease", default="covid19", help="disease code (default: covid19)")
    history.add_argument("--no-publish", action="store_true", help="compute only")
    publish = sub.add_parser("publish", help="publish a computed day and tell the officers of "
                                             "the areas that went up or down")
    publish.add_argument("--date", type=_day, required=True, help="the day, YYYY-MM-DD")
    publish.add_argument("--disease", default="covid19", help="disease code (default: covid19)")


def run_levels(command: BaseCommand, options: dict[str, Any]) -> bool:
    from shouwang.risk.services.compute import levels_compute_range
    from shouwang.risk.services.publish import levels_publish

    action = options["action"]
    if action not in LEVEL_ACTIONS:
        return False
    try:
        if action == "publish":
            pub = levels_publish(disease=options["disease"], day=options["date"])
            out: dict[str, Any] = {
                "disease": options["disease"], "day": pub.day.isoformat(),
                "effective_at": pub.effective_at.isoformat(), "n_high": pub.n_high,
                "n_medium": pub.n_medium, "n_up": pub.n_up, "n_down": pub.n_down,
                "notified": pub.notified_at is not None}
        elif action == "compute":
            out = levels_compute_range(disease=options["disease"], start=options["date"],
                                       end=options["date"], publish=not options["no_publish"],
                                       notify=True).as_dict()
        else:
            console = Console(file=command.stderr,  # type: ignore[arg-type]  # a text stream
                              highlight=False, soft_wrap=True)
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())
            with Progress(*columns, console=console, transient=False) as bar:
                task = bar.add_task("风险等级 risk levels", total=None)

                def step(done: int, total: int, stage: str) -> None:
                    bar.update(task, completed=done, total=total,
                               description=f"风险等级 risk levels: {stage}")

                out = levels_compute_range(
                    disease=options["disease"], start=options["start"], end=options["end"],
                    publish=not options["no_publish"], progress=step).as_dict()
    except InvalidInput as error:
        raise _fail(error) from error
    command.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
    return True


# --- rules (the "rules" part adds its section here) ---------------------------------------------

# --- travel (the "travel" part adds its section here) -------------------------------------------


SECTIONS: list[tuple[Adder, Runner]] = [
    (add_levels, run_levels),
]


class Command(BaseCommand):
    help = ("Zoned, graded control: compute, publish and backfill the daily area risk levels "
            "(and the other risk subcommands).")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        for add, _run in SECTIONS:
            add(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        for _add, run in SECTIONS:
            if run(self, options):
                return
        raise CommandError(f"unknown action {options['action']!r}")
