"""API tokens: `sw_<prefix>_<secret>`; only the SHA-256 digest is stored.

A digest (not a slow password hash) is right here: the secret has 256 bits of entropy, so it
cannot be guessed offline, and every API call must verify it quickly.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shouwang.accounts.models import ApiToken, User
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction

TOKEN_PREFIX = "sw"  # noqa: S105 - a label, not a secret


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(
    *, actor: User, user: User, name: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, which is never shown again."""
    from django.utils.translation import gettext as _

    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 64:
        errors["name"] = _("名称为必填项，且不超过 64 个字符。")
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= 366:
        errors["days"] = _("有效期应在 1 至 366 天之间。")
    if actor.pk != user.pk and not actor.has_capability("accounts.manage"):
        errors["user"] = _("只能为自己创建令牌。")
    if errors:
        raise InvalidInput(errors)
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=prefix, digest=_digest(raw),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_log(actor=actor, action=AuditAction.TOKEN_CREATE, obj=token,
                  division_code=user.division_code, summary=f"token {prefix} for {user.username}")
    return token, raw


def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit_log(actor=actor, action=AuditAction.TOKEN_REVOKE, obj=token,
                      division_code=token.user.division_code, summary=f"token {token.prefix}")
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user behind a usable token, or None (unknown, forged, expired, revoked)."""
    if not raw or not raw.startswith(f"{TOKEN_PREFIX}_") or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__division")
        .filter(digest=_digest(raw)).first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
