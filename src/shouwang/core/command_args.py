"""What the apps' management commands share: the acting user named on the command line, a JSON
object read from a file, and an InvalidInput turned into a CommandError naming the fields."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError

from shouwang.core.errors import InvalidInput

if TYPE_CHECKING:
    from shouwang.accounts.models import User


def active_user(username: str) -> User:
    from shouwang.accounts.models import User

    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user


def json_object_file(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise CommandError(f"{path}: the file must hold one JSON object")
    return data


def invalid_input_error(error: InvalidInput) -> CommandError:
    fields = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in error.fields.items())
    return CommandError(fields or str(error.message or error.code))
