from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# What a user who still owes the second factor may open. Only the login, logout and second-factor
# pages of /accounts/: the rest of it (tokens, user management) must not be reachable on a
# password alone, or an API token made there would skip the second factor for good.
_OPEN_PREFIXES = ("/i18n/", "/static/", "/api/")


def _open_paths() -> tuple[str, ...]:
    return (
        reverse("accounts:login"), reverse("accounts:logout"),
        reverse("accounts:otp"), reverse("accounts:otp-enrol"),
    )


class SecondFactorRequiredMiddleware:
    """Users who need TOTP must pass it before any page but the login and second-factor pages.

    A user with no confirmed device is sent to enrolment, one with a device to verification.
    The API enforces the same rule in its session authentication (shouwang.api.auth), through
    the same `User.requires_second_factor`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_OPEN_PREFIXES)
            and request.path not in _open_paths()
            and not user.is_verified()
            and getattr(user, "requires_second_factor", False)
        ):
            from django_otp import user_has_device

            target = "accounts:otp" if user_has_device(user) else "accounts:otp-enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
