"""The second factor: verifying a code at login and showing an authenticator's secret."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import User


def otp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI.

    Rendered on the server so that the page needs no script (the CSP forbids inline scripts but
    allows data: images).
    """
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, border=2, dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def otp_secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def otp_verify_token(user: User, token: str) -> Any | None:
    """The confirmed device (TOTP or backup code) that accepts `token`, or None.

    Each device throttles its own failures (django-otp doubles the wait after each), so a
    brute force of the six digits stalls quickly.
    """
    token = (token or "").strip().replace(" ", "")
    if not token or len(token) > 16:
        return None
    for device in devices_for_user(user, confirmed=True):
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_token(token):
                return locked
    return None
