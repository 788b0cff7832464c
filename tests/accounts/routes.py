"""Accounts routes for the jurisdiction walker (tests/test_jurisdiction.py).

A user record lives in 武昌区 (420106); system administrators are bound to a province or the
nation, so the sibling is Hunan's administrator and the parent Hubei's.
"""

from __future__ import annotations

from typing import Any

from shouwang.accounts.roles import Role
from tests.factories import make_user
from tests.jurisdiction import scoped_route, unscoped_route

ADMINS = {"sibling": (Role.SYSADMIN, "430000"), "parent": (Role.SYSADMIN, "420000")}
NEW_PASSWORD = "Walker-new-password-2026!"


def _target(division_code: str) -> dict[str, Any]:
    user = make_user(Role.COUNTY_OFFICER, division_code, username=f"target-{division_code}")
    return {"user_id": user.pk}


for _name in ("api:user_get", "accounts:user-detail"):
    scoped_route(_name, **ADMINS)(_target)
for _name in ("api:user_deactivate", "api:user_reactivate", "api:user_otp_reset",
              "accounts:user-otp-reset"):
    scoped_route(_name, method="post", **ADMINS)(_target)
scoped_route("api:user_password", method="post", body={"password": NEW_PASSWORD},
             **ADMINS)(_target)
scoped_route("accounts:user-active", method="post", body={"active": "0"}, **ADMINS)(_target)
scoped_route("accounts:user-password", method="post",
             body={"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}, **ADMINS)(_target)

_OWN = "the caller's own API tokens: any other user's token id answers 404 (tests/accounts)"
unscoped_route("api:token_revoke", _OWN)
unscoped_route("accounts:token-revoke", _OWN)
