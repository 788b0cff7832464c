"""services/household_import.py: the bulk import of the household register — all or nothing,
idempotent, checked across the file and the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import Household, Member
from shouwang.livelihood.services.household_import import households_import
from tests.livelihood.factories import make_household, resident_id

pytestmark = pytest.mark.django_db


def register(n: int = 3, *, code: str = "420111001", start: int = 700) -> list[dict[str, Any]]:
    """n households of three members (head, spouse, child), household fields on the head's row."""
    rows: list[dict[str, Any]] = []
    for h in range(n):
        number = f"IMP{code}{h:05d}"
        for i, rel in enumerate(("head", "spouse", "child")):
            row: dict[str, Any] = {
                "household_number": number, "name": f"导入{h}-{i}",
                "id_number": resident_id(start * 1000 + h * 10 + i,
                                         birth="19700101" if i < 2 else "20100101"),
                "relationship": rel}
            if rel == "head":
                row.update(division_code=code, poverty_status="lifted_out",
                           lifted_out_year="2019", address_detail=f"{h} 号",
                           water_secure="否")
            if rel == "child":
                row.update(schooling="junior", work="student")
            rows.append(row)
    return rows


def test_imports_households_and_members(cadres: dict[str, Any]) -> None:
    rows = register(4)
    rows[1].update(work="migrant", migrant_destination="广东省深圳市")
    result = households_import(actor=cadres["hongshan"], rows=rows, source="t.csv")
    assert (result.created, result.unchanged, result.members) == (4, 0, 12)
    household = Household.objects.get(household_number="IMP42011100100000")
    assert household.division_code == "420111001"
    assert household.lifted_out_year == 2019 and household.address_detail == "0 号"
    assert household.water_secure is False and household.food_clothing_secure is True
    members = list(Member.objects.filter(household=household).order_by("id"))
    assert [m.relationship for m in members] == ["head", "spouse", "child"]
    assert members[1].migrant_destination == "广东省深圳市"
    # Stored as the services store: decrypts, found by its keyed hash, sex and birth from the ID.
    from shouwang.core.fields import lookup_q

    found = Member.objects.get(lookup_q(Member, "id_number", rows[0]["id_number"]))
    assert found.name == "导入0-0" and found.birth_date is not None and found.sex
    assert Member.objects.filter(lookup_q(Member, "name", "导入0-1")).count() == 1
    audits = AuditEvent.objects.filter(object_type="livelihood.household", action="create")
    assert audits.count() == 4
    assert audits.filter(object_id=str(household.pk), division_code="420111001").exists()


def test_same_file_twice_stores_once(cadres: dict[str, Any]) -> None:
    rows = register(3)
    households_import(actor=cadres["hongshan"], rows=rows)
    again = households_import(actor=cadres["hongshan"], rows=rows)
    assert (again.created, again.unchanged, again.members) == (0, 3, 0)
    assert Household.objects.count() == 3 and Member.objects.count() == 9


def test_a_changed_household_is_refused_with_the_fields(cadres: dict[str, Any]) -> None:
    rows = register(2)
    households_import(actor=cadres["hongshan"], rows=rows)
    rows[0]["address_detail"] = "改了"
    rows[4]["name"] = "改名"
    with pytest.raises(InvalidInput) as err:
        households_import(actor=cadres["hongshan"], rows=rows)
    messages = " ".join(str(m) for m in err.value.fields["row 1.household_number"])
    assert "address_detail" in messages
    assert "members" in " ".join(str(m) for m in err.value.fields["row 4.household_number"])


def _nothing_written(call: Any) -> InvalidInput:
    before = (Household.objects.count(), Member.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as err:
        call()
    assert (Household.objects.count(), Member.objects.count(),
            AuditEvent.objects.count()) == before
    return err.value


def test_missing_head_writes_nothing(cadres: dict[str, Any]) -> None:
    rows = register(3)
    rows[3]["relationship"] = "other"  # the second household's head row
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "没有户主" in str(err.fields["row 4.relationship"][0])


def test_two_heads_writes_nothing(cadres: dict[str, Any]) -> None:
    rows = register(1)
    rows[2]["relationship"] = "head"
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "第 1 行" in str(err.fields["row 3.relationship"][0])


def test_person_in_two_households_of_the_file(cadres: dict[str, Any]) -> None:
    rows = register(2)
    rows[4]["id_number"] = rows[1]["id_number"]
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "IMP42011100100000" in str(err.fields["row 5.id_number"][0])


def test_person_active_in_a_stored_household(cadres: dict[str, Any]) -> None:
    rows = register(2)
    stored = make_household("420111001", members=[
        {"name": "已登记", "id_number": rows[5]["id_number"], "relationship": "head"}])
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert stored.household_number in str(err.fields["row 6.id_number"][0])


def test_bad_id_number_writes_nothing(cadres: dict[str, Any]) -> None:
    rows = register(3)
    rows[7]["id_number"] = rows[7]["id_number"][:-1] + ("0" if rows[7]["id_number"][-1] != "0"
                                                        else "1")
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert list(err.fields) == ["row 8.id_number"]


def test_division_outside_jurisdiction_is_a_row_error(cadres: dict[str, Any]) -> None:
    rows = register(2)
    rows[3]["division_code"] = "420106"  # 武昌区, not the 洪山区 cadre's
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "管辖范围" in str(err.fields["row 4.division_code"][0])
    rows[3]["division_code"] = "999999"
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "未知" in str(err.fields["row 4.division_code"][0])


def test_township_cadre_cannot_import_into_the_county(cadres: dict[str, Any]) -> None:
    rows = register(1, code="420111")
    err = _nothing_written(lambda: households_import(actor=cadres["luonan"], rows=rows))
    assert "row 1.division_code" in err.fields
    assert households_import(actor=cadres["hongshan"], rows=rows).created == 1


def test_stored_number_outside_jurisdiction_does_not_leak(cadres: dict[str, Any]) -> None:
    make_household("420106", household_number="IMP42011100100000")
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"],
                                                     rows=register(1)))
    assert str(err.fields["row 1.household_number"][0]) == "该户编号已被使用。"


def test_household_fields_disagreeing_across_rows(cadres: dict[str, Any]) -> None:
    rows = register(1)
    rows[2]["division_code"] = "420111"
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "row 3.division_code" in err.fields


def test_bad_guarantee_and_lifted_year(cadres: dict[str, Any]) -> None:
    rows = register(2)
    rows[0]["housing_secure"] = "也许"
    rows[3]["lifted_out_year"] = ""
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert set(err.fields) == {"row 1.housing_secure", "row 4.lifted_out_year"}


def test_dry_run_writes_nothing(cadres: dict[str, Any]) -> None:
    result = households_import(actor=cadres["hongshan"], rows=register(2), dry_run=True)
    assert (result.created, result.members, result.dry_run) == (2, 6, True)
    assert Household.objects.count() == 0


def test_needs_livelihood_write(cadres: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        households_import(actor=cadres["officer"], rows=register(1))


def test_progress_reaches_the_total(cadres: dict[str, Any]) -> None:
    seen: list[tuple[int, int]] = []
    households_import(actor=cadres["hongshan"], rows=register(3),
                      progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (12, 12)


def test_a_member_who_left_may_be_imported_elsewhere(cadres: dict[str, Any]) -> None:
    from shouwang.livelihood.services.households import member_leave

    rows = register(1)
    stored = make_household("420111001", members=[
        {"name": "搬走", "id_number": rows[1]["id_number"], "relationship": "head"}])
    member_leave(actor=cadres["hongshan"], member_id=stored.members.get().pk)
    assert households_import(actor=cadres["hongshan"], rows=rows).created == 1


def test_a_race_the_checks_missed_writes_nothing(cadres: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Another cadre registered the same number between the checks and the write: the unique
    index refuses it, the error is the file's, and the batch before it is rolled back too."""
    from shouwang.livelihood.services import household_import

    rows = register(3)
    make_household("420111001", household_number="IMP42011100100002")
    monkeypatch.setattr(household_import, "_stored", lambda houses: {})
    monkeypatch.setattr(household_import, "BATCH", 2)  # the first batch is written first
    err = _nothing_written(lambda: households_import(actor=cadres["hongshan"], rows=rows))
    assert "file" in err.fields
    assert not Household.objects.filter(household_number__startswith="IMP").exclude(
        household_number="IMP42011100100002").exists()
