"""`shouwang tracing analyze FILE.csv --id-column C --infector-column C [--onset-column C]`:
transmission-chain statistics of a line list as JSON, without the database.

The analysis is `shouwang epi chains` (shouwang.epi.cli.chains); this command gives it the name
investigators look for.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shouwang.epi.cli import EpiInputError
from shouwang.epi.cli import chains as chains_cli


class Command(BaseCommand):
    help = "Source tracing from the command line: `analyze` a line list's transmission chains."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        analyze = sub.add_parser(
            "analyze", help=chains_cli.HELP, description=chains_cli.HELP,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        chains_cli.add_arguments(analyze)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            chains_cli.run(argparse.Namespace(**options))
        except EpiInputError as error:
            raise CommandError(str(error)) from error
