"""Fixtures shared by the risk tests."""

from __future__ import annotations

from typing import Any

import pytest

from shouwang.accounts.roles import Role


@pytest.fixture
def officers(make_user: Any, divisions: None) -> dict[str, Any]:
    """武昌区 and its sibling 洪山区 (same city), 武汉市, 湖北省, another province (湖南省), the
    nation, a grid worker of 武昌区, and a county of another province (芙蓉区, Changsha)."""
    return {
        "wuchang": make_user(Role.COUNTY_OFFICER, "420106", username="wuchang"),
        "hongshan": make_user(Role.COUNTY_OFFICER, "420111", username="hongshan"),
        "wuhan": make_user(Role.CITY_OFFICER, "420100", username="wuhan"),
        "hubei": make_user(Role.PROVINCIAL_OFFICER, "420000", username="hubei"),
        "hunan": make_user(Role.PROVINCIAL_OFFICER, "430000", username="hunan"),
        "china": make_user(Role.NATIONAL_OFFICER, "000000", username="china"),
        "grid": make_user(Role.GRID_WORKER, "420106", username="grid"),
        "furong": make_user(Role.COUNTY_OFFICER, "430102", username="furong"),
    }
