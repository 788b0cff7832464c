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

from shouwang.core.command_args import active_user, invalid_input_error, json_object_file
from shouwang.core.errors import InvalidInput

Adder = Callable[[Any], None]
Runner = Callable[[BaseCommand, dict[str, Any]], bool]


def month_arg(text: str) -> date:
    """YYYY-MM as the first day of the month."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(f"a month must be YYYY-MM, got {text!r}") from None




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
        raise invalid_input_error(error) from error
    command.stdout.write(json.dumps(run_summary(run), ensure_ascii=False))
    return True


# --- rules and thresholds (the "rules" part; decision 1270) -------------------------------------
#   shouwang livelihood rules list [--user U] | rules add FILE.json --user U
#   shouwang livelihood thresholds list [--user U]
#   shouwang livelihood thresholds set --year Y [--province P] --poverty-line X [--multiple M]
#                                      [--amount A] [--note TEXT] --user U
# JSON on stdout. Without --user a list shows everything (the operator's view); with it, what
# that user's jurisdiction sees. Writes go through services/rules.py as the named user.


def add_rules(sub: Any) -> None:
    rules = sub.add_parser("rules", help="monitoring rule sets: list, add a rule set or version")
    rules_sub = rules.add_subparsers(dest="rules_action", required=True,
                                     parser_class=CommandParser)
    listing = rules_sub.add_parser("list", help="every rule set version and its status today")
    listing.add_argument("--user", default="", help="only what this user sees")
    add = rules_sub.add_parser("add", help="a new rule set, or the next version of a code")
    add.add_argument("file", help="JSON file: code, name, name_en, kind, params, scope, "
                                  "effective_from, note")
    add.add_argument("--user", required=True, help="the cadre it is made by (livelihood.write)")
    lines = sub.add_parser("thresholds", help="monitoring lines by year and province")
    lines_sub = lines.add_subparsers(dest="thresholds_action", required=True,
                                     parser_class=CommandParser)
    tlist = lines_sub.add_parser("list", help="every line")
    tlist.add_argument("--user", default="", help="only what this user sees")
    tset = lines_sub.add_parser("set", help="set the line of a year (nation or province)")
    tset.add_argument("--year", type=int, required=True)
    tset.add_argument("--province", default="", help="province code, e.g. 420000 (default: "
                                                     "the nation)")
    tset.add_argument("--poverty-line", dest="poverty_line", required=True, help="yuan")
    tset.add_argument("--multiple", default=None, help="default 1.5")
    tset.add_argument("--amount", default=None, help="the line itself (default: poverty line "
                                                     "× multiple, whole yuan)")
    tset.add_argument("--note", default="")
    tset.add_argument("--user", required=True, help="the cadre it is set by")


def _rules_out(options: dict[str, Any]) -> Any:
    from shouwang.livelihood.models import MonitoringRuleSet, MonitoringThreshold
    from shouwang.livelihood.selectors import rules as selectors
    from shouwang.livelihood.services.rules import ruleset_create, threshold_set

    def row(r: Any) -> dict[str, Any]:
        rs = r.rule_set
        return {"id": rs.pk, "code": rs.code, "version": rs.version, "name": rs.name,
                "kind": rs.kind, "scope_prefix": rs.scope_prefix, "scope_name": r.scope_name,
                "effective_from": rs.effective_from.isoformat(), "status": r.status,
                "params": rs.params, "description": r.description}

    def line(t: Any) -> dict[str, Any]:
        return {"year": t.year, "province_code": t.province_code,
                "poverty_line": str(t.poverty_line), "multiple": str(t.multiple),
                "amount": str(t.amount), "note": t.note}

    user = active_user(options["user"]) if options.get("user") else None
    if options["action"] == "rules":
        if options["rules_action"] == "add":
            made = ruleset_create(actor=active_user(options["user"]),
                                  data=json_object_file(options["file"]))
            return row(selectors.ruleset_rows([made])[0])
        sets = (list(selectors.ruleset_list(user)) if user is not None else
                list(MonitoringRuleSet.objects.order_by("scope_prefix", "code", "-version")))
        return [row(r) for r in selectors.ruleset_rows(sets)]
    if options["thresholds_action"] == "set":
        data = {"year": options["year"], "province_code": options["province"],
                "poverty_line": options["poverty_line"], "multiple": options["multiple"],
                "amount": options["amount"], "note": options["note"]}
        return line(threshold_set(actor=active_user(options["user"]), data=data))
    rows = (selectors.threshold_list(user) if user is not None
            else MonitoringThreshold.objects.order_by("-year", "province_code"))
    return [line(t) for t in rows]


def run_rules(command: BaseCommand, options: dict[str, Any]) -> bool:
    import json

    from django.core.exceptions import PermissionDenied

    from shouwang.core.errors import NotFound

    if options["action"] not in ("rules", "thresholds"):
        return False
    try:
        out = _rules_out(options)
    except InvalidInput as error:
        raise invalid_input_error(error) from error
    except NotFound:
        raise CommandError("the province or scope (or the code's scope) lies outside the "
                           "user's jurisdiction") from None
    except PermissionDenied:
        raise CommandError("the user may not change monitoring rules (needs livelihood.write)"
                           ) from None
    command.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
    return True


# --- household register import (the "import" part; decision 1280) -------------------------------
#   shouwang livelihood import FILE --user U [--dry-run]
# All or nothing: a JSON summary on stdout, or the errors by row and field (exit status 1).


def add_import(sub: Any) -> None:
    imp = sub.add_parser("import", help="import a household register (CSV or XLSX, one row per "
                                        "member): all or nothing, the same file twice once")
    imp.add_argument("file", help="the register file (.csv UTF-8/GB18030, or .xlsx)")
    imp.add_argument("--user", required=True, help="the cadre importing (livelihood.write)")
    imp.add_argument("--dry-run", action="store_true", help="check every row, write nothing")


def run_import(command: BaseCommand, options: dict[str, Any]) -> bool:
    import json
    from pathlib import Path

    from django.core.exceptions import PermissionDenied
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from shouwang.livelihood.services.household_import import households_import
    from shouwang.livelihood.services.household_import_io import read_register

    if options["action"] != "import":
        return False
    user = active_user(options["user"])
    path = Path(options["file"])
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    console = Console(file=command.stderr,  # type: ignore[arg-type]  # a text stream
                      highlight=False, soft_wrap=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    try:
        register = read_register(content)
        with Progress(*columns, console=console, transient=False) as bar:
            task = bar.add_task("导入 import", total=None)

            def step(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = households_import(actor=user, rows=register.rows, progress=step,
                                       dry_run=options["dry_run"], source=path.name)
    except InvalidInput as error:
        out = {"ok": False, "errors": {k: [str(m) for m in v] for k, v in error.fields.items()},
               "message": str(error.message or "")}
        command.stdout.write(json.dumps(out, ensure_ascii=False, indent=1))
        raise CommandError(str(error.message or "the file has errors; nothing imported")
                           ) from error
    except PermissionDenied:
        raise CommandError("the user may not import households (needs livelihood.write)"
                           ) from None
    summary = {"ok": True, **result.as_dict(), "ignored_columns": register.ignored}
    command.stdout.write(json.dumps(summary, ensure_ascii=False))
    return True


SECTIONS: list[tuple[Adder, Runner]] = [
    (add_monitoring, run_monitoring),
    (add_rules, run_rules),  # rules and thresholds (decision 1270)
    (add_import, run_import),  # household register import (decision 1280)
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
