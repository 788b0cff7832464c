"""`shouwang tracing analyze FILE.csv --id-column C --infector-column C [--onset-column C]`:
transmission-chain statistics of a line list as JSON, without the database.

`shouwang tracing import-links FILE --infector-column C --infectee-column C --user U`: confirm
the infector → infectee links of a line list (management/import_links.py).

`shouwang tracing open-investigations` and `shouwang tracing detect-clusters [--disease D]
[--as-of DAY]`: the investigation and cluster tasks (management/investigations_cli.py).

The analysis is `shouwang epi chains` (shouwang.epi.cli.chains); this command gives it the name
investigators look for.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shouwang.epi.cli import EpiInputError
from shouwang.epi.cli import chains as chains_cli
from shouwang.tracing.management.import_links import (
    IMPORT_LINKS,
    add_import_links_arguments,
    import_links,
)
from shouwang.tracing.management.investigations_cli import (
    ACTIONS as INVESTIGATION_ACTIONS,
)
from shouwang.tracing.management.investigations_cli import (
    add_investigation_arguments,
    run_investigation_action,
)


class Command(BaseCommand):
    help = ("Source tracing from the command line: `analyze` a line list's transmission chains, "
            "`import-links` to confirm its infector links.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        analyze = sub.add_parser(
            "analyze", help=chains_cli.HELP, description=chains_cli.HELP,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        chains_cli.add_arguments(analyze)
        add_import_links_arguments(sub)
        add_investigation_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == IMPORT_LINKS:
            import_links(self, options)
            return
        if options["action"] in INVESTIGATION_ACTIONS:
            run_investigation_action(self, options)
            return
        try:
            chains_cli.run(argparse.Namespace(**options))
        except EpiInputError as error:
            raise CommandError(str(error)) from error
