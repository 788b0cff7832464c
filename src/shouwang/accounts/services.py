"""Writes of accounts: users bound to a division and a role, their activity, their second factor.

`actor=None` means the operator at the command line (`shouwang create-user`) or the test
factories; every other caller passes the acting user, whose capability and jurisdiction are
checked here as well as in the page or API handler (defence in depth: a service is the last
place a write passes through).
"""

from __future__ import annotations

import re
from typing import TypedDict

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.models import User
from shouwang.accounts.roles import ALLOWED_LEVELS, Role
from shouwang.core.audit import MASK, audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.models import Division

MANAGE = "accounts.manage"


class UserAuditRef(TypedDict):
    object_type: str
    object_id: str
    division_code: str


def user_audit_ref(user: User) -> UserAuditRef:
    """audit_log arguments naming a user as the record.

    Used instead of `obj=user` because request.user is a lazy proxy, whose class is not the
    model's; the user's own division files the event under the right jurisdiction.
    """
    return UserAuditRef(object_type="accounts.user", object_id=str(user.pk),
                        division_code=str(user.division_id or ""))


def _require_manager(actor: User | None, target_division_code: str | None = None) -> None:
    """Only system administrators manage accounts, and only inside their own jurisdiction."""
    if actor is None or (actor.is_superuser and actor.is_active):
        # The operator at the command line, or a superuser in the Django admin.
        return
    if not actor.has_capability(MANAGE):
        raise PermissionDenied(MANAGE)
    if target_division_code is not None and not in_jurisdiction(actor, target_division_code):
        # Pages and the API look the user up through the scoped selector first, so this only
        # trips when a caller skipped it; it must not tell apart "elsewhere" from "absent".
        raise PermissionDenied(MANAGE)


# The same characters as Django's UnicodeUsernameValidator: names appear in URLs, logs and audit
# rows, so markup or spaces have no place in them.
_USERNAME_PATTERN = re.compile(r"[\w.@+-]+")


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    division_code: str,
    display_name: str = "",
    email: str = "",
    check_password_strength: bool = True,
) -> User:
    """Create a user bound to one division; the division's level must suit the role.

    An acting administrator may only create users inside their own jurisdiction.
    """
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    division_code = (division_code or "").strip()
    username = (username or "").strip()
    if not username:
        errors.setdefault("username", []).append(_("此项为必填项。"))
    elif len(username) > 150:
        errors.setdefault("username", []).append(_("不能超过 150 个字符。"))
    elif not _USERNAME_PATTERN.fullmatch(username):
        errors.setdefault("username", []).append(
            _("账号只能包含字母、数字和 @ . + - _ 符号。")
        )
    elif User.objects.filter(username=username).exists():
        errors.setdefault("username", []).append(_("该账号已存在。"))
    if role not in Role.values:
        errors.setdefault("role", []).append(_("未知的角色：%(role)s。") % {"role": role})
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("请输入有效的电子邮箱地址。"))
    division = Division.objects.filter(code=division_code).first()
    if division is None:
        errors.setdefault("division_code", []).append(
            _("未知的区划代码：%(code)s。") % {"code": division_code}
        )
    elif role in Role.values and division.level not in ALLOWED_LEVELS[role]:
        errors.setdefault("division_code", []).append(
            _("角色“%(role)s”不能绑定到%(level)s区划。")
            % {"role": Role(role).label, "level": division.get_level_display()}
        )
    if division is not None and actor is not None and not in_jurisdiction(actor, division.code):
        errors.setdefault("division_code", []).append(
            _("区划 %(code)s 不在您的辖区内。") % {"code": division.code}
        )
    if check_password_strength and not errors:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = [str(m) for m in exc.messages]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        user = User(username=username, role=role, division=division,
                    display_name=display_name, email=email)
        user.set_password(password)
        user.save()
        audit_log(actor=actor, action=AuditAction.CREATE, **user_audit_ref(user),
                  summary=f"user {username} ({role})",
                  changes={"username": username, "role": role, "division": division_code})
    return user


def user_set_active(*, actor: User | None, user: User, active: bool) -> User:
    """Deactivate or reactivate an account. Accounts are never deleted: the log refers to them.

    A deactivated user's sessions stop working at their next request (Django refuses inactive
    users when it loads the session) and their API tokens stop authenticating.
    """
    _require_manager(actor, user.division_code)
    if actor is not None and actor.pk == user.pk and not active:
        raise InvalidInput({"is_active": [_("不能停用自己的账号。")]})
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active != active:
            before = locked.is_active
            locked.is_active = active
            locked.save(update_fields=["is_active"])
            audit_log(actor=actor, action=AuditAction.UPDATE, **user_audit_ref(locked),
                      summary=f"user {locked.username} "
                              f"{'reactivated' if active else 'deactivated'}",
                      changes={"is_active": [before, active]})
    user.is_active = active
    return user


def user_set_password(
    *, actor: User | None, user: User, password: str, check_password_strength: bool = True
) -> User:
    """Set a new password (an administrator's reset, or the user's own change).

    Changing the password ends the user's other sessions: Django ties each session to a hash of
    the password.
    """
    if actor is None or actor.pk != user.pk:
        _require_manager(actor, user.division_code)
    if not password:
        raise InvalidInput({"password": [_("此项为必填项。")]})
    if check_password_strength:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput({"password": [str(m) for m in exc.messages]}) from None
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit_log(actor=actor, action=AuditAction.UPDATE, **user_audit_ref(user),
                  summary=f"password of {user.username} "
                          f"{'changed' if actor is not None and actor.pk == user.pk else 'reset'}",
                  changes={"password": MASK})
    return user


# --- Second factor ------------------------------------------------------------------------------

OTP_DEVICE_NAME = "authenticator"


def otp_device_start(*, user: User) -> TOTPDevice:
    """The user's pending (unconfirmed) TOTP device, created on first call.

    Reusing the pending device keeps the secret stable when the enrolment page is reloaded,
    so a code from an app that already scanned the QR code still confirms it.
    """
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False).order_by("-id").first()
        )
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=OTP_DEVICE_NAME, confirmed=False)
    return device


def otp_device_confirm(*, actor: User, device: TOTPDevice, token: str) -> TOTPDevice:
    """Confirm a pending device with a code from the authenticator app; audited as OTP_ENROL."""
    if device.user_id != actor.pk or device.confirmed:
        raise InvalidInput({"otp_token": [_("没有待绑定的验证器，请刷新页面重试。")]})
    token = (token or "").strip().replace(" ", "")
    if not token.isdigit() or len(token) != device.digits:
        raise InvalidInput({"otp_token": [_("请输入 6 位数字动态码。")]})
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        # A wrong code must leave its throttling increment committed, so no raise in here.
        verified = locked.verify_token(token)
        if verified:
            locked.confirmed = True
            locked.save(update_fields=["confirmed"])
            # One authenticator per account: older confirmed or pending devices are superseded.
            TOTPDevice.objects.filter(user=actor).exclude(pk=locked.pk).delete()
            audit_log(actor=actor, action=AuditAction.OTP_ENROL, **user_audit_ref(actor),
                      summary=f"totp enrolled for {actor.username}")
    if not verified:
        raise InvalidInput({"otp_token": [_("动态码不正确或已过期，请重新输入。")]})
    actor._has_otp_device = True
    return locked


def otp_devices_remove(*, actor: User | None, user: User) -> int:
    """Remove every second-factor device of `user`; returns how many were removed.

    An administrator does this when a user has lost their phone (they enrol again at next
    login); a user whose role does not demand TOTP may switch off their own.
    """
    if actor is not None and actor.pk == user.pk:
        if user.second_factor_mandatory:
            raise InvalidInput({"otp": [_("您的角色必须使用二次验证，不能关闭。")]})
    else:
        _require_manager(actor, user.division_code)
    with transaction.atomic():
        removed = 0
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            removed += 1
        audit_log(actor=actor, action=AuditAction.UPDATE, **user_audit_ref(user),
                  summary=f"second factor removed for {user.username}",
                  changes={"otp_devices": [removed, 0]})
    user._has_otp_device = False
    return removed


def user_grant_admin_site(*, actor: User | None, user: User) -> User:
    """Let `user` into the Django admin as a superuser (operators only: `actor=None`).

    The admin is read-only apart from audited actions; this is for whoever runs the machine.
    """
    if actor is not None:
        raise PermissionDenied("only an operator at the command line grants the admin site")
    with transaction.atomic():
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
        audit_log(actor=None, action=AuditAction.UPDATE, **user_audit_ref(user),
                  summary=f"user {user.username} granted the admin site",
                  changes={"is_staff": [False, True], "is_superuser": [False, True]})
    return user
