from types import SimpleNamespace

import pytest

from shouwang.tracing.pseudonyms import age_band, county_code_of, initials, person_label


def test_initials_of_chinese_and_latin_names():
    assert initials("张三明") == "ZSM"
    assert initials("欧阳娜娜") == "OYNN"
    assert initials("John Smith") == "JS"
    assert initials("") == "?"


@pytest.mark.parametrize(("age", "band"), [(None, "年龄不详"), (0, "0–9 岁"), (39, "30–39 岁"),
                                           (80, "80 岁及以上"), (97, "80 岁及以上")])
def test_age_bands(age, band):
    assert age_band(age) == band


def test_county_code_never_says_more_than_the_county():
    assert county_code_of("420105001002") == "420105"


def _viewer(prefix):
    return SimpleNamespace(is_authenticated=True, is_active=True,
                           division=SimpleNamespace(prefix=prefix))


def test_person_inside_the_jurisdiction_keeps_the_name():
    label = person_label(_viewer("420105"), division_code="420105001", name="张三明", age_years=34)
    assert not label.pseudonymised
    assert label.text == "张三明"


def test_person_outside_is_initials_age_band_and_county():
    label = person_label(_viewer("420105"), division_code="420106002", name="张三明", age_years=34,
                         county_name="武昌区")
    assert label.pseudonymised
    assert label.text == "ZSM · 30–39 岁 · 武昌区"
    assert "张" not in label.text
    assert label.division_code == "420106"
