"""Who may read the livelihood app's records at all (their area is then the jurisdiction's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

READ = "livelihood.read"


def may_read(user: User | AnonymousUser | None) -> bool:
    """An active, signed-in user holding livelihood.read."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and user.has_capability(READ))
