"""/api/v1/accounts: who am I, my API tokens, and user management for system administrators."""

# No `from __future__ import annotations` here: django-ninja resolves a paginated handler's
# string annotations in the pagination module's namespace, where Query[UserFilterIn] is unknown.
from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from shouwang.accounts import selectors, services
from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.accounts.roles import capabilities_of
from shouwang.accounts.tokens import api_token_create, api_token_revoke

router = Router(tags=["accounts"])

MANAGE = "accounts.manage"


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    division_code: str
    division_name: str
    capabilities: list[str]


@router.get("/me", response=MeOut, summary="Who am I: role, division, capabilities")
def me(request: AuthedRequest) -> MeOut:
    user = request.user
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        role_label=str(user.get_role_display()),
        division_code=user.division_code,
        division_name=user.division.name if user.division else "",
        capabilities=sorted(capabilities_of(user.role)),
    )


# --- My API tokens ------------------------------------------------------------------------------

class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_usable: bool


class TokenIn(Schema):
    name: str = Field(..., max_length=64)
    days: int | None = Field(None, ge=1, le=366)


class TokenCreatedOut(TokenOut):
    secret: str


@router.get("/tokens", response=list[TokenOut], summary="My API tokens, newest first")
def token_list(request: AuthedRequest) -> Any:
    return list(selectors.api_token_list(owner=request.user))


@router.post("/tokens", response={201: TokenCreatedOut},
             summary="Create an API token; its secret is in this response and never again")
def token_create(request: AuthedRequest, payload: TokenIn) -> Any:
    token, secret = api_token_create(
        actor=request.user, user=request.user, name=payload.name, days=payload.days
    )
    token.secret = secret  # type: ignore[attr-defined]
    return Status(201, token)


@router.post("/tokens/{token_id}/revoke", response=TokenOut, summary="Revoke one of my tokens")
def token_revoke(request: AuthedRequest, token_id: int) -> Any:
    token = selectors.api_token_get(owner=request.user, token_id=token_id)
    return api_token_revoke(actor=request.user, token=token)


# --- User management (accounts.manage) ----------------------------------------------------------

class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    role: str
    division_code: str
    is_active: bool
    last_login: datetime | None
    date_joined: datetime


class UserFilterIn(Schema):
    q: str | None = None
    role: str | None = None
    is_active: bool | None = None


class UserIn(Schema):
    username: str = Field(..., max_length=150)
    password: str
    role: str
    division_code: str = Field(..., max_length=12)
    display_name: str = Field("", max_length=64)
    email: str = Field("", max_length=254)


class PasswordIn(Schema):
    password: str


@router.get("/users", response=list[UserOut], summary="Users within my jurisdiction")
@paginate(LimitOffsetPagination)
def user_list(request: AuthedRequest, filters: Query[UserFilterIn]) -> Any:
    check_capability(request, MANAGE)
    return selectors.user_list(
        viewer=request.user, filters=selectors.UserFilters(**filters.dict())
    )


@router.post("/users", response={201: UserOut}, summary="Create a user bound to a division")
def user_create(request: AuthedRequest, payload: UserIn) -> Any:
    check_capability(request, MANAGE)
    user = services.user_create(actor=request.user, **payload.dict())
    return Status(201, user)


@router.get("/users/{user_id}", response=UserOut, summary="One user within my jurisdiction")
def user_get(request: AuthedRequest, user_id: int) -> Any:
    check_capability(request, MANAGE)
    return selectors.user_get(viewer=request.user, user_id=user_id)


@router.post("/users/{user_id}/deactivate", response=UserOut, summary="Deactivate a user")
def user_deactivate(request: AuthedRequest, user_id: int) -> Any:
    check_capability(request, MANAGE)
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    return services.user_set_active(actor=request.user, user=target, active=False)


@router.post("/users/{user_id}/reactivate", response=UserOut, summary="Reactivate a user")
def user_reactivate(request: AuthedRequest, user_id: int) -> Any:
    check_capability(request, MANAGE)
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    return services.user_set_active(actor=request.user, user=target, active=True)


@router.post("/users/{user_id}/password", response=UserOut, summary="Reset a user's password")
def user_password(request: AuthedRequest, user_id: int, payload: PasswordIn) -> Any:
    check_capability(request, MANAGE)
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    return services.user_set_password(actor=request.user, user=target, password=payload.password)


@router.post("/users/{user_id}/otp-reset", response=UserOut,
             summary="Remove a user's second-factor devices (they enrol again at next login)")
def user_otp_reset(request: AuthedRequest, user_id: int) -> Any:
    check_capability(request, MANAGE)
    target = selectors.user_get(viewer=request.user, user_id=user_id)
    services.otp_devices_remove(actor=request.user, user=target)
    return target
