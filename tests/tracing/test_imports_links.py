"""Import of infector → infectee edges (services/imports.py and `shouwang tracing import-links`):
every bad row named by line and column, nothing stored on any error, the same file twice
stores nothing new."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import LinkStatus, TransmissionLink
from shouwang.tracing.services.imports import LinkImportError, links_import
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
UNKNOWN = "未找到该病例（或不在您的管辖范围内）。"


def csv_bytes(rows: list[tuple[Any, Any]], header: tuple[str, str] = ("infector", "id"),
              encoding: str = "utf-8") -> bytes:
    lines = [",".join(header)] + [f"{'' if a is None else a},{'' if b is None else b}"
                                  for a, b in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def run(actor: Any, content: bytes, **over: Any) -> Any:
    args: dict[str, Any] = {"infector_column": "infector", "infectee_column": "id"}
    args.update(over)
    return links_import(actor=actor, content=content, **args)


def refused(actor: Any, content: bytes, **over: Any) -> list[tuple[int, str, str]]:
    before = TransmissionLink.objects.count()
    with pytest.raises(LinkImportError) as err:
        run(actor, content, **over)
    assert TransmissionLink.objects.count() == before  # all or nothing
    return [(r.line, r.column, r.message) for r in err.value.rows]


@pytest.fixture
def chain(officers: dict[str, Any]) -> list[CaseReport]:
    """Four cases of 武汉市, ill two days apart: a (武昌区) → b → c (洪山区), d."""
    return [make_case("420106", onset=DAY),
            make_case("420106", onset=DAY + timedelta(days=2)),
            make_case("420111", onset=DAY + timedelta(days=4)),
            make_case("420106", onset=DAY + timedelta(days=6))]


def test_confirms_the_links_and_the_same_file_twice_stores_nothing_new(
        officers: dict[str, Any], chain: list[CaseReport]) -> None:
    a, b, c, d = chain
    content = csv_bytes([(None, a.pk), (a.pk, b.pk), (b.pk, c.pk), (b.pk, c.pk), (None, d.pk)])
    steps: list[tuple[int, int]] = []
    result = run(officers["wuhan"], content, progress=lambda i, n: steps.append((i, n)))
    assert (result.rows, result.links, result.created, result.existing, result.no_infector) == \
        (5, 2, 2, 0, 2)
    assert steps[0] == (0, 5) and steps[-1] == (5, 5)
    links = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED)
    assert set(links.values_list("infector_id", "infectee_id")) == {(a.pk, b.pk), (b.pk, c.pk)}
    assert links.get(infectee=c).infectee_division_code == "420111"
    assert AuditEvent.objects.filter(object_type="tracing.linkimport").count() == 1

    again = run(officers["wuhan"], content)
    assert (again.created, again.existing) == (0, 2)
    assert links.count() == 2


def test_gbk_headers_and_source_keys(officers: dict[str, Any]) -> None:
    a = make_case("420106", onset=DAY, source_key="LL-001")
    b = make_case("420106", onset=DAY + timedelta(days=3), source_key="LL-002")
    content = csv_bytes([("LL-001", "LL-002")], header=("传染者编号", "病例编号"),
                        encoding="gbk")
    result = links_import(actor=officers["wuchang"], content=content,
                          infector_column="传染者编号", infectee_column="病例编号",
                          id_kind="source_key")
    assert result.created == 1
    assert TransmissionLink.objects.filter(infector=a, infectee=b).exists()


def test_bad_columns_file_and_id_kind_are_field_errors(officers: dict[str, Any],
                                                       chain: list[CaseReport]) -> None:
    content = csv_bytes([(chain[0].pk, chain[1].pk)])
    with pytest.raises(InvalidInput) as err:
        run(officers["wuchang"], content, infector_column="source")
    assert "infector_column" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        run(officers["wuchang"], content, infectee_column="")
    assert "infectee_column" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        run(officers["wuchang"], content, id_kind="name")
    assert "id_kind" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        run(officers["wuchang"], b"")
    assert "file" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        run(officers["wuchang"], b"infector,id\n")
    assert "file" in err.value.fields
    # Header matching forgives case and spacing, as the case importer's does.
    assert run(officers["wuchang"], content, infector_column=" Infector ").created == 1


def test_every_bad_row_is_named_by_line_and_column(officers: dict[str, Any],
                                                  chain: list[CaseReport]) -> None:
    a, b, c, d = chain
    errors = refused(officers["wuchang"], csv_bytes([
        (a.pk, b.pk),            # line 2: fine
        ("x7", b.pk),            # line 3: not a number
        (a.pk, 999999),          # line 4: no such case
        (a.pk, c.pk),            # line 5: 洪山区, outside 武昌区: the same "unknown"
        (d.pk, d.pk),            # line 6: self
        (d.pk, b.pk),            # line 7: b already has a (line 2)
        (a.pk, None),            # line 8: no infectee
    ]))
    assert errors == [
        (3, "infector", "病例编号应为正整数。"),
        (4, "id", UNKNOWN),
        (5, "id", UNKNOWN),
        (6, "infector", "传染者与被传染者是同一病例。"),
        (7, "infector", "该被传染者在第 2 行已有另一传染者：一个病例只能有一个确认的传染者。"),
        (8, "id", "此项为必填项。"),
    ]


def test_revoked_and_merged_reports(officers: dict[str, Any], chain: list[CaseReport]) -> None:
    from shouwang.surveillance.services.cases import case_report_revoke

    _a, b, _c, d = chain
    first = make_case("420106", onset=DAY - timedelta(days=2), seq=7)
    # The same person and disease reported again is stored merged into the first report: the
    # merged report's id names the first.
    make_case("420106", onset=DAY - timedelta(days=2), seq=7, reporting_facility="第二医院")
    twin = CaseReport.objects.get(merged_into=first)
    assert run(officers["wuchang"], csv_bytes([(twin.pk, b.pk)])).created == 1
    assert TransmissionLink.objects.filter(infector=first, infectee=b).exists()
    # A revoked report is unknown.
    case_report_revoke(actor=officers["wuchang"], case=d, version=d.version, reason="重复录入")
    assert refused(officers["wuchang"], csv_bytes([(b.pk, d.pk)])) == [(2, "id", UNKNOWN)]


def test_the_graph_is_checked_with_the_stored_links(officers: dict[str, Any],
                                                    chain: list[CaseReport]) -> None:
    a, b, _c, d = chain
    run(officers["wuchang"], csv_bytes([(a.pk, b.pk), (b.pk, d.pk)]))
    # d → a closes a cycle a → b → d → a; the error is on the line of the pair.
    errors = refused(officers["wuchang"], csv_bytes([(None, b.pk), (d.pk, a.pk)]))
    assert {e[:2] for e in errors} == {(3, "infector")}, errors
    assert any("循环" in e[2] and f"#{a.pk}" in e[2] for e in errors)
    # d is ill six days after a: d cannot have infected a.
    late = make_case("420106", onset=DAY + timedelta(days=20))
    errors = refused(officers["wuchang"], csv_bytes([(late.pk, a.pk)]))
    assert errors[0][:2] == (2, "infector") and f"#{a.pk}" in errors[0][2]
    # b has a confirmed infector already: another one is refused (replacing needs a reason).
    errors = refused(officers["wuchang"], csv_bytes([(d.pk, late.pk), (late.pk, b.pk)]))
    assert [e[0] for e in errors] == [3], errors


def test_needs_tracing_write(officers: dict[str, Any], chain: list[CaseReport]) -> None:
    with pytest.raises(PermissionDenied):
        run(officers["grid"], csv_bytes([(chain[0].pk, chain[1].pk)]))


def test_the_command_imports_with_a_progress_bar_and_lists_errors(
        officers: dict[str, Any], chain: list[CaseReport], tmp_path: Path) -> None:
    a, b, c, _d = chain
    good = tmp_path / "links.csv"
    good.write_bytes(csv_bytes([(a.pk, b.pk), (b.pk, c.pk)]))
    out = io.StringIO()
    call_command("tracing", "import-links", str(good), "--infector-column", "infector",
                 "--infectee-column", "id", "--user", "wuhan", stdout=out)
    text = out.getvalue()
    assert "links" in text and "2 confirmed now" in text
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([(a.pk, 999999)]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 errors; nothing was imported"):
        call_command("tracing", "import-links", str(bad), "--infector-column", "infector",
                     "--infectee-column", "id", "--user", "wuhan", stdout=out)
    assert "第 2 行，列“id”" in out.getvalue()
    with pytest.raises(CommandError, match="no active user"):
        call_command("tracing", "import-links", str(good), "--infector-column", "infector",
                     "--infectee-column", "id", "--user", "nobody")
    with pytest.raises(CommandError, match="infector_column"):
        call_command("tracing", "import-links", str(good), "--infector-column", "nope",
                     "--infectee-column", "id", "--user", "wuhan")


def test_an_xlsx_file(officers: dict[str, Any], chain: list[CaseReport]) -> None:
    from openpyxl import Workbook

    a, b, _c, _d = chain
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["病例编号", "传染者编号", "备注"])
    sheet.append([b.pk, a.pk, "家庭聚集"])
    sheet.append([a.pk, None, "首例"])
    out = io.BytesIO()
    book.save(out)
    result = links_import(actor=officers["wuchang"], content=out.getvalue(),
                          infector_column="传染者编号", infectee_column="病例编号")
    assert (result.rows, result.created, result.no_infector) == (2, 1, 1)
    assert TransmissionLink.objects.filter(infector=a, infectee=b).exists()


def _line_list(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    """A published-style line list: the case's own id, its infector's id, then case columns."""
    from shouwang.core.validators import resident_id_check_char

    lines = ["id,infector,disease,classification,name,id_number,division_code,onset_date,"
             "diagnosed_at,reporting_facility,reporting_division_code"]
    for i, (case_id, infector, county, name, onset) in enumerate(rows):
        body = f"{county}19850312{i + 300:03d}"
        lines.append(f"{case_id},{infector},covid19,confirmed,{name},"
                     f"{body + resident_id_check_char(body)},{county},{onset},{onset} 10:00,"
                     f"武汉市第一医院,{county}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_line_list_links_by_its_own_ids_after_its_cases_were_imported(
        officers: dict[str, Any]) -> None:
    from shouwang.surveillance.services.imports import import_run, import_upload

    content = _line_list([
        ("C1", "", "420106", "张一", "2026-03-01"),
        ("C2", "C1", "420106", "李二", "2026-03-04"),
        ("C3", "C2", "420111", "王三", "2026-03-07"),
        ("C4", "", "420111", "赵四", "2026-03-08"),
    ])
    city = officers["wuhan"]
    args = {"infector_column": "infector", "infectee_column": "id", "id_kind": "line_list"}
    # The cases must be imported first.
    with pytest.raises(InvalidInput) as err:
        links_import(actor=city, content=content, **args)
    assert "id_kind" in err.value.fields
    batch = import_run(batch=import_upload(actor=city, file_name="ll.csv", content=content))
    assert batch.imported_rows == 4
    result = links_import(actor=city, content=content, **args)
    assert (result.links, result.created, result.no_infector) == (2, 2, 2)
    links = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED).select_related(
        "infector", "infectee")
    assert {(lk.infector.name, lk.infectee.name) for lk in links} == {("张一", "李二"),
                                                                      ("李二", "王三")}
    assert links_import(actor=city, content=content, **args).created == 0
    # The city's batch is not 武昌区's: for it, these cases were never imported.
    with pytest.raises(InvalidInput) as err:
        links_import(actor=officers["wuchang"], content=content, **args)
    assert "id_kind" in err.value.fields


def test_a_line_list_with_a_repeated_id_is_refused(officers: dict[str, Any]) -> None:
    from shouwang.surveillance.services.imports import import_run, import_upload

    content = _line_list([("C1", "", "420106", "张一", "2026-03-01"),
                          ("C1", "C1", "420106", "李二", "2026-03-04"),
                          ("C3", "C9", "420106", "王三", "2026-03-06"),
                          ("C4", "C1", "420111", "赵四", "2026-03-06")])
    import_run(batch=import_upload(actor=officers["wuchang"], file_name="ll.csv",
                                   content=content))
    errors = refused(officers["wuchang"], content, infector_column="infector",
                     infectee_column="id", id_kind="line_list")
    assert errors[0][:2] == (3, "id") and "第 2 行重复" in errors[0][2]
    # An id no row has, and a row the case import refused (洪山区 is not 武昌区's): unknown.
    assert (4, "infector", UNKNOWN) in errors and (5, "id", UNKNOWN) in errors
