"""Django admin for accounts: a read-only window for superusers, with audited actions.

Every write must pass through the services (validation, jurisdiction, audit), so the admin
neither adds nor edits nor deletes rows; its actions call the services. Only superusers see
these pages: the admin has no notion of jurisdiction, and the app's own user-management pages
(scoped to the administrator's division) are where system administrators work.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from shouwang.accounts.models import ApiToken, User
from shouwang.accounts.services import user_set_active
from shouwang.accounts.tokens import api_token_revoke


class _SuperuserReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(_SuperuserReadOnly):
    list_display = ("username", "display_name", "role", "division", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "email", "division__code", "division__name")
    list_select_related = ("division",)
    exclude = ("password", "user_permissions", "groups")
    readonly_fields = ("username", "display_name", "email", "role", "division", "is_active",
                       "is_staff", "is_superuser", "last_login", "date_joined",
                       "preferred_language", "first_name", "last_name")
    actions = ("deactivate", "reactivate")

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Actions are writes; has_change_permission is False, so allow them explicitly.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("停用所选账号"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            if user.pk != request.user.pk:
                user_set_active(actor=request.user, user=user, active=False)  # type: ignore[arg-type]
        messages.success(request, _("已停用所选账号。"))

    @admin.action(description=_("重新启用所选账号"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_set_active(actor=request.user, user=user, active=True)  # type: ignore[arg-type]
        messages.success(request, _("已启用所选账号。"))


@admin.register(ApiToken)
class ApiTokenAdmin(_SuperuserReadOnly):
    list_display = ("name", "prefix", "user", "created_at", "expires_at", "last_used_at",
                    "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    readonly_fields = ("user", "name", "prefix", "digest", "created_at", "expires_at",
                       "last_used_at", "revoked_at")
    actions = ("revoke",)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
        messages.success(request, _("已吊销所选令牌。"))
