"""`shouwang keys generate|status|rotate|rehash`: the personal-data keys and their rotation.

Rotation, step by step (docs/decisions/0200-personal-data.md):
1. `shouwang keys generate` prints a new `kid:key` line;
2. put it FIRST in PERSONAL_DATA_KEYS (or the key file), keep the old keys after it, restart;
3. `shouwang keys rotate` re-encrypts every row still under an old key (safe to interrupt and
   rerun; safe while the site runs);
4. `shouwang keys status` shows no rows left under the old key; only then remove it.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from typing import IO, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from shouwang.core import crypto
from shouwang.core.fields import (
    EncryptedColumn,
    encrypted_columns,
    key_usage,
    pending_rotation,
    rehash_column,
    rotate_column,
)


def discover_models() -> Iterable[type[models.Model]] | None:
    """The models to scan for encrypted fields: None means every installed model."""
    return None


class Command(BaseCommand):
    help = "Personal-data keys: generate a key, show key usage, re-encrypt under the current key."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        gen = sub.add_parser("generate", help="print a new 'kid:base64key' line")
        gen.add_argument("--kid", help="key id (default: k<date>-<random>)")
        gen.add_argument("--lookup", action="store_true",
                         help="print a new PERSONAL_LOOKUP_KEY instead")
        sub.add_parser("status", help="which key encrypts, rows per key id per encrypted field")
        for name, text in (("rotate", "re-encrypt every row not under the current key"),
                           ("rehash", "recompute every lookup hash (after the lookup key "
                                      "changed)")):
            action = sub.add_parser(name, help=text)
            action.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "generate":
            self._generate(kid=options.get("kid"), lookup=options.get("lookup", False))
            return
        # The raw stream: OutputWrapper would add a newline to every chunk rich writes.
        console = Console(file=cast("IO[str]", self.stdout._out),
                          no_color=options.get("no_color", False), width=120)
        try:
            ring = crypto.key_ring()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        columns = encrypted_columns(discover_models())
        if action == "status":
            self._status(console, ring, columns)
        elif action in ("rotate", "rehash"):
            if options["batch_size"] < 1:
                raise CommandError("--batch-size must be at least 1")
            self._rewrite(console, action, columns, options["batch_size"],
                          quiet=options["verbosity"] == 0)

    def _generate(self, *, kid: str | None, lookup: bool) -> None:
        if lookup:
            self.stdout.write(base64.b64encode(secrets.token_bytes(crypto.KEY_BYTES)).decode())
            return
        try:
            self.stdout.write(crypto.generate_key_line(kid))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(
            "Put this line first in PERSONAL_DATA_KEYS (or the key file), keep the old keys "
            "after it, restart, then run `shouwang keys rotate`."
        )

    def _status(self, console: Console, ring: crypto.KeyRing,
                columns: list[EncryptedColumn]) -> None:
        console.print(f"Encrypting key: [bold]{ring.current_kid}[/] "
                      f"(key ring: {', '.join(ring.key_ids)}; from {ring.source})")
        if not columns:
            console.print("No encrypted fields found.")
            return
        table = Table("field", *ring.key_ids, "other", "pending")
        for column in columns:
            usage = key_usage(column)
            pending = sum(n for kid, n in usage.items() if kid != ring.current_kid)
            table.add_row(column.label, *(str(usage[k]) for k in ring.key_ids),
                          str(usage["other"]), str(pending))
        console.print(table)

    def _rewrite(self, console: Console, action: str, columns: list[EncryptedColumn],
                 batch_size: int, *, quiet: bool) -> None:
        if action == "rotate":
            todo = {c.label: pending_rotation(c).count() for c in columns}
        else:
            todo = {c.label: c.envelopes().count() for c in columns if c.field.lookup_field}
        done = 0
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=console, disable=quiet,
                            transient=False)
        with progress:
            for column in columns:
                if column.label not in todo:
                    continue
                task = progress.add_task(column.label, total=todo[column.label])

                def advance(n: int, task: Any = task) -> None:
                    progress.advance(task, n)

                try:
                    if action == "rotate":
                        result = rotate_column(column, batch_size=batch_size, progress=advance)
                        done += result.rewritten
                    else:
                        done += rehash_column(column, batch_size=batch_size, progress=advance)
                except crypto.DecryptionError as exc:
                    raise CommandError(f"{column.label}: {exc}") from exc
        verb = "re-encrypted" if action == "rotate" else "re-hashed"
        self.stdout.write(f"{done} value(s) {verb}.")
