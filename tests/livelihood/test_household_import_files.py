"""Reading register files (services/household_import_io.py) and `shouwang livelihood import`."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shouwang.core.errors import InvalidInput
from shouwang.livelihood.models import Household, Member
from shouwang.livelihood.services.household_import import households_import
from shouwang.livelihood.services.household_import_io import read_register, register_template
from tests.livelihood.factories import resident_id

pytestmark = pytest.mark.django_db

ZH = ["户编号", "所在区划代码", "户类型", "脱贫年度", "姓名", "身份证号", "与户主关系", "务工就业",
      "务工地", "饮水安全有保障"]
EN = ["Household number", "Division code", "Household type", "Year lifted out", "Name",
      "ID number", "Relationship", "Work", "Migrant destination", "Safe drinking water secure"]


def table(header: list[str], serial: int = 500) -> list[list[str]]:
    return [header,
            ["H001", "420111001", "脱贫户", "2019", "王芳", resident_id(serial), "户主", "务农",
             "", "否"],
            ["H001", "", "", "", "李强", resident_id(serial + 1), "配偶", "外出务工", "深圳", ""],
            ["H002", "420111001", "一般农户", "", "赵六", resident_id(serial + 2), "户主", "", "",
             ""]]


def as_csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_reads_csv_in_each_encoding_with_chinese_labels(cadres: Any, encoding: str) -> None:
    register = read_register(as_csv(table(ZH), encoding))
    assert [r["_row"] for r in register.rows] == [2, 3, 4]
    head = register.rows[0]
    assert (head["relationship"], head["poverty_status"], head["name"]) == (
        "head", "lifted_out", "王芳")
    assert register.rows[1]["work"] == "migrant"
    result = households_import(actor=cadres["hongshan"], rows=register.rows)
    assert (result.created, result.members) == (2, 3)
    assert Household.objects.get(household_number="H001").water_secure is False


def test_reads_english_headers_and_codes(cadres: Any) -> None:
    rows = table(EN)
    rows[1][6], rows[2][6] = "head", "Spouse"
    register = read_register(as_csv(rows))
    assert [r["relationship"] for r in register.rows] == ["head", "spouse", "head"]


def test_reads_xlsx(cadres: Any) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in table(ZH):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    register = read_register(out.getvalue())
    assert register.file_format == "xlsx" and len(register.rows) == 3
    assert register.rows[0]["id_number"] == resident_id(500)


def test_template_reads_back_as_no_rows_and_has_every_header(cadres: Any) -> None:
    content = register_template()
    text = content.decode("utf-8-sig")
    assert "户编号" in text and "Household number" in text and "饮水安全有保障" in text
    register = read_register(content)
    assert register.rows == [] and register.ignored == []


def test_file_without_the_required_columns(cadres: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        read_register(as_csv([["甲", "乙"], ["1", "2"]]))
    assert "户编号" in str(err.value.fields["file"][0])


def run(*args: str) -> Any:
    out = StringIO()
    call_command("livelihood", *args, stdout=out)
    return json.loads(out.getvalue())


def test_cli_dry_run_then_import_then_again(cadres: Any, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(as_csv(table(ZH), "gb18030"))
    dry = run("import", str(path), "--user", "lh-hongshan", "--dry-run")
    assert (dry["ok"], dry["created"], dry["dry_run"]) == (True, 2, True)
    assert Household.objects.count() == 0
    done = run("import", str(path), "--user", "lh-hongshan")
    assert (done["created"], done["members"]) == (2, 3)
    again = run("import", str(path), "--user", "lh-hongshan")
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert Member.objects.count() == 3


def test_cli_errors_by_row(cadres: Any, tmp_path: Path) -> None:
    rows = table(ZH)
    rows[3][6] = "配偶"  # H002 has no head
    path = tmp_path / "bad.csv"
    path.write_bytes(as_csv(rows))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("livelihood", "import", str(path), "--user", "lh-hongshan", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] is False and "row 4.relationship" in report["errors"]
    assert Household.objects.count() == 0
