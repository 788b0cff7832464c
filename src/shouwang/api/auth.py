from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from shouwang.accounts.models import User
from shouwang.accounts.tokens import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sw_…` for programs."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session (CSRF-checked), for the app's own pages.

    National and provincial accounts count as logged in only after their second factor.
    """

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if getattr(user, "requires_second_factor", False) and not user.is_verified():
            return None
        return user
