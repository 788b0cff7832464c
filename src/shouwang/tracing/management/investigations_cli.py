"""`shouwang tracing open-investigations [--disease D]` and
`shouwang tracing detect-clusters [--disease D] [--as-of YYYY-MM-DD]`: the tasks of
tracing/tasks.py from the command line (decision 1010). Both print their figures as JSON and are
idempotent: running them again changes nothing."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

OPEN_INVESTIGATIONS = "open-investigations"
DETECT_CLUSTERS = "detect-clusters"
ACTIONS = (OPEN_INVESTIGATIONS, DETECT_CLUSTERS)


def add_investigation_arguments(sub: Any) -> None:
    opened = sub.add_parser(
        OPEN_INVESTIGATIONS, help="open the investigation of every confirmed case and "
        "asymptomatic infection that has none")
    opened.add_argument("--disease", help="only this disease (its code, e.g. covid19)")
    detect: CommandParser = sub.add_parser(
        DETECT_CLUSTERS, help="detect clusters (2+ cases within one maximum incubation "
        "period at one setting) and store them")
    detect.add_argument("--disease", help="only this disease (its code); default: every "
                        "disease with case exposures at settings")
    detect.add_argument("--as-of", dest="as_of", help="the day (YYYY-MM-DD); default today")


def run_investigation_action(command: BaseCommand, options: dict[str, Any]) -> None:
    from shouwang.surveillance.models import Disease
    from shouwang.tracing.services.clusters import clusters_detect, clusters_detect_all
    from shouwang.tracing.services.investigations import investigations_open_bulk

    code = options.get("disease") or None
    disease = None
    if code is not None:
        disease = Disease.objects.filter(code=code).first()
        if disease is None:
            raise CommandError(f"unknown disease {code!r}")
    figures: dict[str, Any]
    if options["action"] == OPEN_INVESTIGATIONS:
        figures = dict(investigations_open_bulk(disease=code))
    else:
        as_of = None
        if options.get("as_of"):
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(
                    f"--as-of must be YYYY-MM-DD, got {options['as_of']!r}") from None
        figures = (clusters_detect(disease=disease, as_of=as_of) if disease is not None
                   else clusters_detect_all(as_of=as_of))
    command.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
