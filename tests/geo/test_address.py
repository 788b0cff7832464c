"""Address normalisation on the real division tree: tests/geo/fixtures/addresses.csv holds the
addresses, the expected status and code, and why each is there (made by make_addresses.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shouwang.geo.address import AddressIndex, IndexEntry, normalize_address
from shouwang.geo.selectors import address_index, address_normalize

FIXTURE = Path(__file__).parent / "fixtures" / "addresses.csv"
CASES = list(csv.DictReader(FIXTURE.open(encoding="utf-8")))

pytestmark = pytest.mark.usefixtures("real_divisions")


def test_the_fixture_is_large_and_varied() -> None:
    assert len(CASES) >= 200
    statuses = {c["status"] for c in CASES}
    assert statuses == {"placed", "ambiguous", "unplaced"}
    assert all(c["why"] for c in CASES)


@pytest.mark.parametrize("case", CASES,
                         ids=[f"{i}-{c['address'][:12]}" for i, c in enumerate(CASES)])
def test_address(case: dict[str, str], db: None) -> None:
    result = normalize_address(case["address"], address_index())
    assert (result.status, result.code or "") == (case["status"], case["code"]), case["why"]
    if result.status == "placed":
        assert 0 < result.confidence <= 1
        assert result.name and result.level
    else:
        assert result.code is None and result.confidence == 0
        assert result.reason


def test_ambiguous_lists_every_candidate(db: None) -> None:
    result = address_normalize("朝阳区")
    assert result.status == "ambiguous"
    assert set(result.candidates) == {"110105", "220104"}
    assert result.reason == "ambiguous"


def test_confidence_falls_as_the_address_says_less(db: None) -> None:
    full = address_normalize("湖北省武汉市洪山区").confidence
    short = address_normalize("湖北武汉洪山区").confidence
    missing = address_normalize("湖北洪山区").confidence
    alone = address_normalize("洪山").confidence
    assert full == 1.0
    assert full > short
    assert full > missing > alone > 0


def test_matched_parts_and_rest(db: None) -> None:
    result = address_normalize("湖北省武汉市洪山区珞喻路1037号")
    assert [(m.text, m.code) for m in result.matched] == [
        ("湖北省", "420000"), ("武汉市", "420100"), ("洪山区", "420111")]
    assert result.rest == "珞喻路1037号"


def test_conflict_names_the_part_that_contradicts(db: None) -> None:
    result = address_normalize("湖北省长沙市")
    assert (result.status, result.reason) == ("unplaced", "conflict")
    assert result.matched[-1].text == "长沙市"


def test_the_index_is_rebuilt_when_the_table_changes(db: None) -> None:
    from shouwang.geo.services import townships_load

    before = address_index()
    assert address_index() is before  # cached while nothing changes
    assert address_normalize("武汉市洪山区珞南街道").code == "420111"
    townships_load(actor=None, data="code,name,parent_code\n420111001,珞南街道,420111\n")
    after = address_index()
    assert after is not before
    result = address_normalize("武汉市洪山区珞南街道12号")
    assert (result.status, result.code, result.level) == ("placed", "420111001", "township")
    assert result.rest == "12号"


def _tiny_index() -> AddressIndex:
    rows = [
        ("000000", "中华人民共和国", "nation", None),
        ("110000", "北京市", "province", "000000"),
        ("110105", "朝阳区", "county", "110000"),
        ("220000", "吉林省", "province", "000000"),
        ("220100", "长春市", "prefecture", "220000"),
        ("220104", "朝阳区", "county", "220100"),
        ("440000", "广东省", "province", "000000"),
        ("440100", "广州市", "prefecture", "440000"),
        ("440106", "天河区", "county", "440100"),
    ]
    return AddressIndex(IndexEntry(*r) for r in rows)


def test_pure_function_over_a_hand_made_index() -> None:
    index = _tiny_index()
    assert normalize_address("朝阳区", index).status == "ambiguous"
    assert normalize_address("长春朝阳区", index).code == "220104"
    assert normalize_address("廣州市天河區", index).code == "440106"
    assert normalize_address("", index).reason == "empty_input"
    assert normalize_address("巴黎", index).reason == "no_division"
