from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

# Pages a national or provincial officer may open before passing the second factor.
_OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/api/")


class SecondFactorRequiredMiddleware:
    """National and provincial accounts must pass TOTP before any page but the login pages.

    The API enforces the same rule in its session authentication (shouwang.api.auth).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "requires_second_factor", False)
            and not user.is_verified()
            and not request.path.startswith(_OPEN_PREFIXES)
        ):
            return redirect(f"{reverse('accounts:otp')}?next={request.path}")
        return self.get_response(request)
