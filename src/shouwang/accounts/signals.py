"""Logins, failed logins and logouts go to the audit log through Django's auth signals.

Connected in AccountsConfig.ready. A failed login is recorded without an actor (nobody has
proven who they are) and with the attempted username only, cut short; the password never
reaches the log (Django cleanses it from the signal's credentials, and it is not read here).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from shouwang.accounts.services import user_audit_ref
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction

ATTEMPTED_USERNAME_MAX = 64


@receiver(user_logged_in, dispatch_uid="shouwang.accounts.audit_login")
def audit_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_log(actor=user, action=AuditAction.LOGIN, **user_audit_ref(user),
              summary=f"login {user.username}")


@receiver(user_logged_out, dispatch_uid="shouwang.accounts.audit_logout")
def audit_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None or not user.is_authenticated:
        return
    audit_log(actor=user, action=AuditAction.LOGOUT, **user_audit_ref(user),
              summary=f"logout {user.username}")


@receiver(user_login_failed, dispatch_uid="shouwang.accounts.audit_login_failed")
def audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    attempted = str(credentials.get("username") or "")[:ATTEMPTED_USERNAME_MAX]
    # File the event under the targeted account's division, so that the auditors of that
    # jurisdiction see attacks on their users; an unknown name stays national.
    target = (
        get_user_model().objects.filter(username=attempted).only("pk", "division").first()
        if attempted else None
    )
    audit_log(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="accounts.user" if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        division_code=str(getattr(target, "division_id", "") or ""),
        summary=f"login failed for {attempted!r}",
    )
