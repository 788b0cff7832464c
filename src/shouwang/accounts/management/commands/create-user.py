"""`shouwang create-user --username … --role … --division … [--password …]` for operators."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_create, user_grant_admin_site
from shouwang.core.errors import InvalidInput


class Command(BaseCommand):
    help = (
        "Create a user bound to one division and one role. Without --password the password is "
        "read from SHOUWANG_NEW_USER_PASSWORD or prompted for (never echoed)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--division", required=True, help="GB/T 2260 code, e.g. 420111")
        parser.add_argument("--password", help="avoid on shared machines: it lands in history")
        parser.add_argument("--display-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument("--superuser", action="store_true",
                            help="also let this user into the Django admin (read-only there)")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("SHOUWANG_NEW_USER_PASSWORD") or ""
        if not password:
            if not options.get("interactive", True) or not os.isatty(0):
                raise CommandError("no password: pass --password, set "
                                   "SHOUWANG_NEW_USER_PASSWORD, or run in a terminal")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the two passwords differ")
        try:
            user = user_create(
                actor=None, username=options["username"], password=password,
                role=options["role"], division_code=options["division"],
                display_name=options["display_name"], email=options["email"],
            )
        except InvalidInput as exc:
            lines = [f"  {field}: {msg}" for field, msgs in exc.fields.items() for msg in msgs]
            raise CommandError("cannot create the user:\n" + "\n".join(lines)) from None
        if options["superuser"]:
            user_grant_admin_site(actor=None, user=user)
        self.stdout.write(self.style.SUCCESS(
            f"created {user.username} ({user.role}) bound to {user.division_code}"
        ))
