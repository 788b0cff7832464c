"""Helpers for the accounts tests: real TOTP codes, bearer tokens, logging in for real."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp.oath import totp

from shouwang.accounts.tokens import api_token_create
from tests.factories import PASSWORD


def otp_code(device: Any, steps_ahead: int = 0) -> str:
    """The real TOTP code of `device`, computed from its key as the phone app would.

    `steps_ahead` moves to a later 30-second step: django-otp refuses a step it has already
    accepted and tolerates one step of clock drift, so a second login within the same step
    uses the next step's code.
    """
    code = totp(device.bin_key, device.step, device.t0, device.digits,
                device.drift + steps_ahead)
    return f"{code:0{device.digits}d}"


def bearer(user: Any, **kwargs: Any) -> dict[str, str]:
    _, raw = api_token_create(actor=user, user=user, name="test", **kwargs)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def password_login(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    """Log in through the real login page, so that django-axes sees the attempt."""
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)
