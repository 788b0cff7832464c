"""The analyst's command line: one module per method, each reading and writing CSV.

Every module in this package named like a method (`rt.py`, `ears.py`, …) defines

    HELP: str                                   one line for `shouwang epi --help`
    def add_arguments(parser) -> None           its options, each with help text and default
    def run(args: argparse.Namespace) -> None   read args.input, compute, write args.output

and is found automatically, so adding a method touches no shared file. Reading and writing go
through shouwang.epi.cli.io so every method accepts the same CSV shapes and reports bad input the
same way (EpiInputError, a message naming the file, row and column).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Any

from shouwang.epi.cli.io import EpiInputError

__all__ = ["EpiInputError", "add_subcommands", "method_modules"]

_NOT_METHODS = {"io"}


def method_modules() -> dict[str, Any]:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _NOT_METHODS or info.name.startswith("_"):
            continue
        found[info.name] = importlib.import_module(f"{__name__}.{info.name}")
    return found


def add_subcommands(parser: argparse.ArgumentParser, parser_class: type | None = None) -> None:
    kwargs: dict[str, Any] = {"dest": "method", "title": "methods"}
    if parser_class is not None:
        # Django's CommandParser needs to build its subparsers with its own class.
        kwargs["parser_class"] = parser_class
    subparsers = parser.add_subparsers(**kwargs)
    for name, module in method_modules().items():
        sub = subparsers.add_parser(
            name, help=module.HELP, description=module.HELP,
            formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
