"""Reads of accounts: users within a system administrator's jurisdiction, a user's own tokens."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from shouwang.accounts.models import ApiToken, User
from shouwang.core.scoping import get_scoped_or_404, scoped

# The user's division FK column holds the division code, so it scopes like any code column.
USER_SCOPE_FIELD = "division_id"


@dataclass(frozen=True)
class UserFilters:
    q: str | None = None
    role: str | None = None
    is_active: bool | None = None


def user_list(*, viewer: User, filters: UserFilters | None = None) -> QuerySet[User]:
    """Users bound to a division inside the viewer's jurisdiction."""
    f = filters or UserFilters()
    qs = scoped(User.objects.select_related("division"), viewer, field=USER_SCOPE_FIELD)
    if f.q:
        qs = qs.filter(
            Q(username__icontains=f.q) | Q(display_name__icontains=f.q) | Q(email__icontains=f.q)
        )
    if f.role:
        qs = qs.filter(role=f.role)
    if f.is_active is not None:
        qs = qs.filter(is_active=f.is_active)
    return qs.order_by("division_id", "username")


def user_get(*, viewer: User, user_id: int) -> User:
    """One user inside the viewer's jurisdiction, or Http404 (also when it exists elsewhere)."""
    return get_scoped_or_404(
        User.objects.select_related("division"), viewer, field=USER_SCOPE_FIELD, pk=user_id
    )


def api_token_list(*, owner: User) -> QuerySet[ApiToken]:
    """The owner's own tokens, newest first (revoked and expired ones included, for history)."""
    return ApiToken.objects.filter(user=owner).order_by("-created_at", "-id")


def api_token_get(*, owner: User, token_id: int) -> ApiToken:
    """One of the owner's tokens, or Http404: another user's token id does not exist for them."""
    token = ApiToken.objects.select_related("user").filter(user=owner, pk=token_id).first()
    if token is None:
        raise Http404
    return token
