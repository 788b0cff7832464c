"""`shouwang risk …`: zoned, graded control from the command line.

One subparser per area of the risk app, each in its own section below: a section is a pair
(`add_<area>(sub)` adds its subcommands to the subparsers, `run_<area>(command, options)`
handles them and returns True when the action was its own). To add subcommands, add a section
and list it in SECTIONS; never edit another section.

Levels (decision 1100):
    shouwang risk compute --date D [--disease covid19] [--no-publish]
    shouwang risk history --from D --to D [--disease covid19] [--no-publish]
    shouwang risk publish --date D [--disease covid19]

Rules and travel (decision 1120):
    shouwang risk rules list|show ID|add FILE.json --user U
    shouwang risk travel list|add FILE.json --user U|check --from X --to Y [--date D]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shouwang.core.command_args import active_user, invalid_input_error, json_object_file
from shouwang.core.errors import InvalidInput

Adder = Callable[[Any], None]
Runner = Callable[[BaseCommand, dict[str, Any]], bool]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"a date must be YYYY-MM-DD, got {text!r}") from None


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
        raise invalid_input_error(error) from error
    command.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
    return True


# --- rules and travel (the "rules" part; decision 1120) -----------------------------------------
#   shouwang risk rules list [--disease D]
#   shouwang risk rules show ID
#   shouwang risk rules add FILE.json --user USERNAME
#   shouwang risk travel list [--disease D]
#   shouwang risk travel add FILE.json --user USERNAME
#   shouwang risk travel check --from X --to Y [--date D] [--disease D]
# FILE.json is the `data` of ruleset_create / travel_policy_create (the POST bodies of
# /api/v1/risk/rulesets and /api/v1/risk/travel-policies). Output is JSON on stdout.


def add_rules(sub: Any) -> None:
    rules = sub.add_parser("rules", help="rule sets: list, show one, add a rule set or version")
    rules_sub = rules.add_subparsers(dest="rules_action", required=True,
                                     parser_class=CommandParser)
    listing = rules_sub.add_parser("list", help="every rule set version and its status today")
    listing.add_argument("--disease", default="", help="only this disease")
    show = rules_sub.add_parser("show", help="one rule set with the versions of its code")
    show.add_argument("id", type=int)
    add = rules_sub.add_parser("add", help="a new rule set, or the next version of a code")
    add.add_argument("file", help="JSON file: code, name, kind, params, disease, levels, "
                                  "scope, effective_from, note")
    add.add_argument("--user", required=True, help="the officer it is made by (risk.override)")
    travel = sub.add_parser("travel", help="travel policies: list, add; check a trip")
    travel_sub = travel.add_subparsers(dest="travel_action", required=True,
                                       parser_class=CommandParser)
    tlist = travel_sub.add_parser("list", help="every travel policy version and its status")
    tlist.add_argument("--disease", default="", help="only this disease")
    tadd = travel_sub.add_parser("add", help="a new travel policy, or the next version")
    tadd.add_argument("file", help="JSON file: code, name, scope, effective_from, rules (9)")
    tadd.add_argument("--user", required=True, help="the officer it is made by (risk.override)")
    check = travel_sub.add_parser("check", help="what applies to a trip from X to Y")
    check.add_argument("--from", dest="origin", required=True, help="division code or name")
    check.add_argument("--to", dest="destination", required=True,
                       help="division code or name")
    check.add_argument("--date", type=_day, default=None, help="YYYY-MM-DD (default today)")
    check.add_argument("--disease", default="covid19", help="disease code (default: covid19)")


def _rule_row(row: Any) -> dict[str, Any]:
    rs = row.rule_set
    return {"id": rs.pk, "code": rs.code, "version": rs.version, "name": rs.name,
            "kind": rs.kind, "disease": rs.disease_id, "levels": rs.levels,
            "scope_prefix": rs.scope_prefix, "scope_name": row.scope_name,
            "effective_from": rs.effective_from.isoformat(), "status": row.status,
            "judges": list(row.judges), "params": rs.params, "description": row.description}


def run_rules(command: BaseCommand, options: dict[str, Any]) -> bool:
    from django.core.exceptions import PermissionDenied

    from shouwang.core.errors import NotFound
    from shouwang.risk.models import RuleSet, TravelPolicy
    from shouwang.risk.selectors import rulesets as rule_selectors
    from shouwang.risk.selectors import travel as travel_selectors
    from shouwang.risk.services.rulesets import ruleset_create
    from shouwang.risk.services.travel import travel_policy_create

    action = options["action"]
    if action not in ("rules", "travel"):
        return False
    out: Any
    try:
        if action == "rules" and options["rules_action"] == "list":
            qs = RuleSet.objects.select_related("disease").order_by(
                "disease_id", "scope_prefix", "code", "-version")
            if options["disease"]:
                qs = qs.filter(disease_id=options["disease"])
            out = [_rule_row(r) for r in rule_selectors.ruleset_rows(list(qs))]
        elif action == "rules" and options["rules_action"] == "show":
            found = RuleSet.objects.filter(pk=options["id"]).first()
            if found is None:
                raise CommandError(f"no rule set {options['id']}")
            versions = list(RuleSet.objects.filter(code=found.code).order_by("-version"))
            rows = rule_selectors.ruleset_rows(versions)
            out = {**_rule_row(next(r for r in rows if r.rule_set.pk == found.pk)),
                   "note": found.note, "versions": [_rule_row(r) for r in rows]}
        elif action == "rules":
            made = ruleset_create(actor=active_user(options["user"]),
                                  data=json_object_file(options["file"]))
            out = _rule_row(rule_selectors.ruleset_rows([made])[0])
        elif options["travel_action"] == "check":
            from shouwang.risk.api.travel import answer_json

            answer = travel_selectors.travel_rules_for(
                origin_code=options["origin"], destination_code=options["destination"],
                at=options["date"], disease=options["disease"])
            out = answer_json(answer)
        else:
            if options["travel_action"] == "add":
                made_policy = travel_policy_create(actor=active_user(options["user"]),
                                                   data=json_object_file(options["file"]))
                policies = [made_policy]
            else:
                pqs = TravelPolicy.objects.order_by("disease_id", "scope_prefix", "code",
                                                    "-version")
                if options["disease"]:
                    pqs = pqs.filter(disease_id=options["disease"])
                policies = list(pqs.prefetch_related("rules"))
            statuses = travel_selectors.policy_statuses(policies)
            out = [{"id": p.pk, "code": p.code, "version": p.version, "name": p.name,
                    "disease": p.disease_id, "scope_prefix": p.scope_prefix,
                    "effective_from": p.effective_from.isoformat(), "status": statuses[p.pk],
                    "rules": {f"{r.origin_level}->{r.destination_level}":
                              travel_selectors.measures_of(r) for r in p.rules.all()}}
                   for p in policies]
            if options["travel_action"] == "add":
                out = out[0]
    except InvalidInput as error:
        raise invalid_input_error(error) from error
    except NotFound:
        raise CommandError("the scope (or the code's scope) lies outside the user's "
                           "jurisdiction") from None
    except PermissionDenied:
        raise CommandError("the user may not change rules (needs risk.override)") from None
    command.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
    return True



SECTIONS: list[tuple[Adder, Runner]] = [
    (add_levels, run_levels),
    (add_rules, run_rules),  # rules and travel (decision 1120)
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
