"""Users, each bound to one division and one role, and their API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.roles import SECOND_FACTOR_REQUIRED, Role, has_capability


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)
    division = models.ForeignKey(
        "geo.Division", on_delete=models.PROTECT, related_name="users",
        verbose_name=_("所属区划"), null=True,
    )
    display_name = models.CharField(_("姓名"), max_length=64, blank=True)
    preferred_language = models.CharField(_("界面语言"), max_length=8, blank=True)

    # Per-instance cache of "has a confirmed OTP device"; not a column.
    _has_otp_device: bool | None = None
    # Set on request.user by django_otp's OTPMiddleware: the device that verified this session.
    otp_device: Any = None

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def division_code(self) -> str:
        return str(self.division_id or "")

    @property
    def jurisdiction_prefix(self) -> str | None:
        return self.division.prefix if self.division is not None else None

    def has_capability(self, capability: str) -> bool:
        return self.is_active and has_capability(self.role, capability)

    @property
    def requires_second_factor(self) -> bool:
        """National and provincial roles always; anyone else once they have enrolled a device.

        A user who enrolled voluntarily is held to it too: otherwise the device would protect
        nothing. The lookup is cached on the instance (one query per request at most).
        """
        if self.role in SECOND_FACTOR_REQUIRED:
            return True
        if not self.pk:
            return False
        cached = self._has_otp_device
        if cached is None:
            from django_otp import user_has_device

            cached = bool(user_has_device(self, confirmed=True))
            self._has_otp_device = cached
        return cached

    def is_verified(self) -> bool:
        """Whether this session passed the second factor (OTPMiddleware shadows this per request;
        a user loaded any other way, e.g. from an API token, has no verified session)."""
        return self.otp_device is not None

    @property
    def second_factor_mandatory(self) -> bool:
        """Whether the role itself demands TOTP (such users may not remove their device)."""
        return self.role in SECOND_FACTOR_REQUIRED


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 digest is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=64)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    digest = models.CharField(_("摘要"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
