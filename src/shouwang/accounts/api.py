from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shouwang.accounts.roles import capabilities_of

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    display_name: str
    role: str
    role_label: str
    division_code: str
    division_name: str
    capabilities: list[str]


@router.get("/me", response=MeOut, summary="Who am I: role, division, capabilities")
def me(request: HttpRequest) -> MeOut:
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
