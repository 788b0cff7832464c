"""Writes of accounts: creating users bound to a division and a role."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.roles import ALLOWED_LEVELS, Role
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.geo.models import Division


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
    """Create a user bound to one division; the division's level must suit the role."""
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors.setdefault("username", []).append(_("此项为必填项。"))
    elif len(username) > 150:
        errors.setdefault("username", []).append(_("不能超过 150 个字符。"))
    elif User.objects.filter(username=username).exists():
        errors.setdefault("username", []).append(_("该账号已存在。"))
    if role not in Role.values:
        errors.setdefault("role", []).append(_("未知的角色：%(role)s。") % {"role": role})
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
        audit_log(actor=actor, action=AuditAction.CREATE, obj=user,
                  division_code=user.division_code,
                  summary=f"user {username} ({role})",
                  changes={"username": username, "role": role, "division": division_code})
    return user
