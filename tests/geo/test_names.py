from __future__ import annotations

import pytest

from shouwang.geo.names import romanise, split_suffix, strip_nationalities


@pytest.mark.parametrize(("name", "expected"), [
    ("洪山区", "Hongshan Qu"),
    ("北京市", "Beijing Shi"),
    ("西安市", "Xi'an Shi"),
    ("朝阳区", "Chaoyang Qu"),
    ("新疆维吾尔自治区", "Xinjiang Weiwu'er Zizhiqu"),
    ("延边朝鲜族自治州", "Yanbian Chaoxianzu Zizhizhou"),
    ("内蒙古自治区", "Neimenggu Zizhiqu"),
    ("香港特别行政区", "Xianggang Tebie Xingzhengqu"),
    ("神农架林区", "Shennongjia Linqu"),
    ("赵县", "Zhao Xian"),
])
def test_romanise(name: str, expected: str) -> None:
    assert romanise(name) == expected


def test_split_and_strip() -> None:
    assert split_suffix("浦东新区") == ("浦东", "新区")
    assert split_suffix("市中区") == ("市中", "区")
    assert strip_nationalities("双江拉祜族佤族布朗族傣族") == (
        "双江", ["拉祜族", "佤族", "布朗族", "傣族"])
    assert strip_nationalities("内蒙古") == ("内蒙古", [])
