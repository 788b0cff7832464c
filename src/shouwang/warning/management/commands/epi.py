"""`shouwang epi rt|ears|farrington|cusum|scan|nowcast|forecast`: the science on a CSV, no database.

The subcommands live in shouwang.epi.cli (plain argparse, no Django); this command only mounts them
so analysts get them from the same `shouwang` entry point (decision 0004).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shouwang.epi.cli import EpiInputError, add_subcommands


class Command(BaseCommand):
    help = "Epidemiological methods on a CSV of counts, with R-compatible output columns."

    def add_arguments(self, parser: CommandParser) -> None:
        add_subcommands(parser, parser_class=CommandParser)

    def handle(self, *args: Any, **options: Any) -> None:
        run = options.get("run")
        if run is None:
            raise CommandError("choose a method: shouwang epi {rt,ears,…} --help")
        try:
            run(argparse.Namespace(**options))
        except EpiInputError as error:
            raise CommandError(str(error)) from error
