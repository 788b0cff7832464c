"""Fixtures shared by the alert workflow and notification tests."""

from __future__ import annotations

from typing import Any

import pytest

from shouwang.accounts.roles import Role


@pytest.fixture
def officers(make_user: Any) -> dict[str, Any]:
    """Officers along one escalation ladder (武昌区 → 武汉市 → 湖北省 → nation), a sibling county
    and a laboratory."""
    return {
        "wuchang": make_user(Role.COUNTY_OFFICER, "420106", username="wuchang"),
        "wuchang2": make_user(Role.COUNTY_OFFICER, "420106", username="wuchang2"),
        "hongshan": make_user(Role.COUNTY_OFFICER, "420111", username="hongshan"),
        "wuhan": make_user(Role.CITY_OFFICER, "420100", username="wuhan"),
        "hubei": make_user(Role.PROVINCIAL_OFFICER, "420000", username="hubei"),
        "china": make_user(Role.NATIONAL_OFFICER, "000000", username="china"),
        "lab": make_user(Role.LABORATORY, "420106", username="lab"),
    }
