"""The `shouwang` command: Django's management commands with the settings preset.

`shouwang geo stats`, `shouwang demo-data --scale small`, `shouwang run-jobs …`, `shouwang serve` …
are management commands of the apps; `shouwang help` lists them all.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouwang.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["shouwang", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
