"""Checking capabilities in pages and in API handlers.

A missing capability answers 403: the user may know that the feature exists, and telling them
they lack the right is more helpful than pretending it is not there. A *record* outside the
user's jurisdiction is a different matter and answers 404 (see shouwang.core.scoping).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from shouwang.accounts.models import User
from shouwang.accounts.roles import ALL_CAPABILITIES

V = TypeVar("V", bound=Callable[..., HttpResponse])


class AuthedRequest(HttpRequest):
    """A request behind login (or API auth): `request.user` is a real account."""

    user: User


def _known(capability: str) -> str:
    if capability not in ALL_CAPABILITIES:
        raise ImproperlyConfigured(f"unknown capability {capability!r}; add it to accounts.roles")
    return capability


def user_has_capability(user: Any, capability: str) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.has_capability(capability)
    )


def require_capability(capability: str) -> Callable[[V], V]:
    """View decorator: anonymous users go to the login page; users without it get 403."""
    _known(capability)

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_capability(request.user, capability):
                raise PermissionDenied(capability)
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return cast(V, wrapped)

    return decorator


def check_capability(request: HttpRequest, capability: str) -> None:
    """For django-ninja handlers: raise HttpError(403) unless the caller holds `capability`."""
    _known(capability)
    if not user_has_capability(getattr(request, "user", None), capability):
        raise HttpError(
            403, _("您没有执行此操作的权限（需要 %(cap)s）。") % {"cap": capability}
        )
