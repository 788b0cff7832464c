"""Fixtures shared by the livelihood tests."""

from __future__ import annotations

from typing import Any

import pytest

from shouwang.accounts.roles import Role


@pytest.fixture
def cadres(make_user: Any, divisions: None) -> dict[str, Any]:
    """Livelihood cadres of 洪山区 (420111) and its township 珞南街道 (420111001), of the sibling
    武昌区 (420106), of 武汉市, of 湖北省, and a county disease-control officer of 洪山区 (who
    holds livelihood.read only)."""
    return {
        "hongshan": make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-hongshan"),
        "luonan": make_user(Role.LIVELIHOOD_CADRE, "420111001", username="lh-luonan"),
        "wuchang": make_user(Role.LIVELIHOOD_CADRE, "420106", username="lh-wuchang"),
        "wuhan": make_user(Role.LIVELIHOOD_CADRE, "420100", username="lh-wuhan"),
        "hubei": make_user(Role.LIVELIHOOD_CADRE, "420000", username="lh-hubei"),
        "officer": make_user(Role.COUNTY_OFFICER, "420111", username="lh-officer"),
    }
