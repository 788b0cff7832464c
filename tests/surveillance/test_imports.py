"""Bulk import of case line lists: upload, mapping, preview, run, idempotency, dedup, errors."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core import crypto
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.surveillance.models import (
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    DailyCount,
    DuplicateCandidate,
    HistoryKind,
    ImportBatch,
    ImportStatus,
)
from shouwang.surveillance.selectors.imports import import_batch_get, import_batch_list
from shouwang.surveillance.services.cases import case_report_submit
from shouwang.surveillance.services.counts import daily_counts_rebuild
from shouwang.surveillance.services.import_io import IMPORT_COLUMNS, match_header
from shouwang.surveillance.services.imports import (
    import_errors_file,
    import_preview,
    import_run,
    import_start,
    import_template,
    import_upload,
)
from tests.surveillance.cases_data import case_data, officer, resident_id

HEADERS_ZH = ["病种代码", "病例分类", "姓名", "身份证号", "联系电话", "现住址区划代码",
              "发病日期", "诊断时间", "报告时间", "报告单位", "报告单位区划代码"]


@pytest.fixture(autouse=True)
def _imports_dir(tmp_path: Path) -> Any:
    with override_settings(SHOUWANG_IMPORTS_DIR=str(tmp_path / "imports")):
        yield


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def _day(days_ago: float) -> str:
    return (timezone.localtime() - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")


def row(name: str = "张伟", idn: str | None = None, *, disease: str = "covid19",
        cls: str = "confirmed", division: str = "420106", days_ago: float = 2,
        phone: str = "13800138000") -> list[str]:
    idn = resident_id("420106", "19850312", "135") if idn is None else idn
    onset = (timezone.localdate() - timedelta(days=int(days_ago) + 2)).isoformat()
    return [disease, cls, name, idn, phone, division, onset, _day(days_ago),
            _day(days_ago - 0.1), "武汉市第一医院", "420106"]


def make_csv(rows: list[list[str]], *, headers: list[str] = HEADERS_ZH,
             encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def person(i: int) -> str:
    return resident_id("420106", f"19{60 + i % 40:02d}0{1 + i % 9}1{i % 9}", f"{(i % 499):03d}")


def upload_and_run(actor: Any, content: bytes, name: str = "list.csv",
                   dry_run: bool = False) -> ImportBatch:
    batch = import_upload(actor=actor, file_name=name, content=content)
    return import_run(batch=batch, dry_run=dry_run)


# --- headers, formats, template ------------------------------------------------------------------


def test_header_matching_is_tolerant() -> None:
    assert match_header("身份证号") == "id_number"
    assert match_header("证件号码") == "id_number"
    assert match_header(" ＩＤ　Ｎｕｍｂｅｒ ") == "id_number"
    assert match_header("病种代码 (Disease code)") == "disease"
    assert match_header("Diagnosed_At") == "diagnosed_at"
    assert match_header("*姓名") == "name"
    assert match_header("备注") is None


@pytest.mark.django_db
def test_template_csv_reimports_as_nothing(wuchang: Any) -> None:
    content = import_template("csv")
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert "病种代码" in text and "Disease code" in text and "covid19" in text
    # The template's own header rows and example row are not data.
    with pytest.raises(InvalidInput) as exc:
        import_upload(actor=wuchang, file_name="template.csv", content=content)
    assert "file" in exc.value.fields


@pytest.mark.django_db
def test_template_xlsx_has_instructions_and_reads_back(wuchang: Any) -> None:
    from openpyxl import load_workbook

    content = import_template("xlsx")
    book = load_workbook(io.BytesIO(content))
    assert len(book.worksheets) == 2
    headers = [c.value for c in book.worksheets[0][1]]
    assert headers == [c.header_zh for c in IMPORT_COLUMNS]
    texts = " ".join(str(c.value) for r in book.worksheets[1].iter_rows() for c in r if c.value)
    assert "confirmed" in texts and "covid19" in texts
    # Filled in by a user: a data row after the example is imported.
    sheet = book.worksheets[0]
    values = dict(zip([c.field for c in IMPORT_COLUMNS], [None] * len(IMPORT_COLUMNS),
                      strict=True))
    values.update(disease="covid19", classification="confirmed", name="李娜",
                  id_number=resident_id("420106", "19900101", "246"),
                  division_code="420106", diagnosed_at=_day(1), reporting_facility="武昌医院",
                  reporting_division_code="420106")
    sheet.append([values[c.field] for c in IMPORT_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    batch = upload_and_run(wuchang, out.getvalue(), "filled.xlsx")
    assert (batch.total_rows, batch.imported_rows, batch.error_rows) == (1, 1, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("content", [b"", b"   \n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk",
                                     b"PK\x03\x04notazip", "病种\n".encode("utf-16")])
def test_unreadable_files_are_refused(wuchang: Any, content: bytes) -> None:
    with pytest.raises(InvalidInput) as exc:
        import_upload(actor=wuchang, file_name="x.csv", content=content)
    assert exc.value.fields["file"]
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_upload_needs_the_write_capability(divisions: None) -> None:
    viewer = officer("420106", role=Role.AUDITOR)
    assert not viewer.has_capability("surveillance.write")
    with pytest.raises(PermissionDenied):
        import_upload(actor=viewer, file_name="x.csv", content=make_csv([row()]))


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_encodings_are_detected(wuchang: Any, encoding: str) -> None:
    batch = import_upload(actor=wuchang, file_name="gbk.csv",
                          content=make_csv([row("王芳")], encoding=encoding))
    assert batch.encoding == {"utf-8-sig": "utf-8-sig", "utf-8": "utf-8",
                              "gbk": "gb18030"}[encoding]
    assert batch.mapping["身份证号"] == "id_number"
    assert batch.total_rows == 1
    assert Path(batch.stored_path).name == f"{batch.file_sha256}.csv"
    done = import_run(batch=batch)
    case = CaseReport.objects.get()
    assert case.name == "王芳" and done.imported_rows == 1
    assert AuditEvent.objects.filter(object_type="surveillance.importbatch").exists()


# --- preview and mapping -------------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_validates_without_writing(wuchang: Any) -> None:
    future = row("赵六", person(3))
    future[7] = _day(-3)  # diagnosed in three days
    rows = [row(), row("钱七", "42010619850312135X"), future, row(division="430102")]
    batch = import_upload(actor=wuchang, file_name="a.csv", content=make_csv(rows))
    preview = import_preview(actor=wuchang, batch=batch)
    assert preview.headers == HEADERS_ZH and preview.missing_required == []
    assert [r.line for r in preview.rows] == [2, 3, 4, 5]
    assert preview.rows[0].errors == {}
    assert "id_number" in preview.rows[1].errors
    assert "diagnosed_at" in preview.rows[2].errors
    assert "division_code" in preview.rows[3].errors
    assert not CaseReport.objects.exists()

    with pytest.raises(InvalidInput) as exc:
        import_preview(actor=wuchang, batch=batch, mapping={"姓名": "nonsense"})
    assert "mapping" in exc.value.fields
    partial = import_preview(actor=wuchang, batch=batch, mapping={"姓名": "name"})
    assert "disease" in partial.missing_required


@pytest.mark.django_db
def test_start_checks_mapping_and_queues_one_job(wuchang: Any) -> None:
    batch = import_upload(actor=wuchang, file_name="a.csv", content=make_csv([row()]))
    with pytest.raises(InvalidInput) as exc:
        import_start(actor=wuchang, batch=batch, mapping={"姓名": "name"})
    assert "mapping" in exc.value.fields
    with pytest.raises(InvalidInput):
        import_start(actor=wuchang, batch=batch,
                     mapping={**batch.mapping, "联系电话": "name"})
    job = import_start(actor=wuchang, batch=batch, mapping=batch.mapping)
    again = import_start(actor=wuchang, batch=batch, mapping=batch.mapping)
    assert job.pk == again.pk and job.kind == "case_import"
    from shouwang.core.jobs import job_run

    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert job.result["imported_rows"] == 1
    assert CaseReport.objects.count() == 1


@pytest.mark.django_db
def test_batches_are_scoped(wuchang: Any) -> None:
    batch = import_upload(actor=wuchang, file_name="a.csv", content=make_csv([row()]))
    sibling = officer("420111")
    city = officer("420100", role=Role.CITY_OFFICER) if hasattr(Role, "CITY_OFFICER") \
        else officer("420100")
    with pytest.raises(Http404):
        import_batch_get(user=sibling, batch_id=batch.pk)
    assert not import_batch_list(user=sibling).exists()
    assert import_batch_get(user=city, batch_id=batch.pk) == batch
    with pytest.raises(Http404):
        import_preview(actor=sibling, batch=batch)


# --- the import ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_stores_cases_like_the_form(wuchang: Any) -> None:
    rows = [row("张伟", person(1)), row("李娜", person(2), cls="suspected")]
    daily_counts_rebuild()
    batch = upload_and_run(wuchang, make_csv(rows))
    assert batch.status == ImportStatus.DONE and batch.finished_at is not None
    assert (batch.imported_rows, batch.error_rows, batch.duplicate_rows) == (2, 0, 0)
    case = CaseReport.objects.get(name_hash=crypto.keyed_hash("张伟", "text"))
    assert case.id_number == person(1)
    assert case.id_number_hash == crypto.keyed_hash(person(1), "id_number")
    assert case.phone == "13800138000" and case.source_key.startswith("imp1:")
    assert case.report_deadline_at == case.diagnosed_at + timedelta(hours=24)
    history = CaseReportHistory.objects.get(case=case)
    assert history.kind == HistoryKind.CREATE and history.version == 1
    # The CREATE row names where the report came from; the values are the report's own.
    assert history.changes == {"import_batch": [None, batch.pk], "import_line": [None, 2]}
    # The daily counts include the new cases.
    assert sum(DailyCount.objects.filter(basis="diagnosis").values_list("count", flat=True)) == 2
    # One audit event for the import, without personal data.
    events = AuditEvent.objects.filter(object_id=f"import:{batch.pk}")
    assert events.count() == 1 and "张伟" not in str(events.get().changes)
    assert import_errors_file(batch) is None


@pytest.mark.django_db
def test_same_file_twice_adds_nothing(wuchang: Any) -> None:
    content = make_csv([row("张伟", person(1)), row("李娜", person(2))])
    first = upload_and_run(wuchang, content)
    again = upload_and_run(wuchang, content)
    assert again.pk != first.pk
    assert (again.imported_rows, again.existing_rows, again.error_rows) == (0, 2, 0)
    assert CaseReport.objects.count() == 2
    # Overlapping file: one old row, one new.
    third = upload_and_run(wuchang, make_csv([row("李娜", person(2)), row("周八", person(8))]))
    assert (third.imported_rows, third.existing_rows) == (1, 1)
    assert CaseReport.objects.count() == 3


@pytest.mark.django_db
def test_errors_are_listed_and_valid_rows_imported(wuchang: Any) -> None:
    bad_age = row("老人", resident_id("420106", "18800101", "111"))
    onset_after = row("孙九", person(9))
    onset_after[6] = timezone.localdate().isoformat()
    onset_after[7] = _day(3)
    unknown = row("吴十", person(10), division="999999")
    rows = [row("张伟", person(1)), bad_age, onset_after, unknown, row("张伟", person(1))]
    batch = upload_and_run(wuchang, make_csv(rows))
    assert (batch.imported_rows, batch.error_rows) == (1, 4)
    path = import_errors_file(batch)
    assert path is not None
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert lines[0][1:-2] == HEADERS_ZH
    assert [r[0] for r in lines[1:]] == ["3", "4", "5", "6"]
    by_line = {r[0]: r for r in lines[1:]}
    assert "发病日期" in by_line["4"][-2] and "onset" in by_line["4"][-1].lower()
    assert "999999" in by_line["5"][-2]
    assert "第 2 行" in by_line["6"][-2] and "line 2" in by_line["6"][-1]
    assert by_line["3"][4] == resident_id("420106", "18800101", "111")


@pytest.mark.django_db
def test_dry_run_counts_everything_and_writes_nothing(wuchang: Any) -> None:
    rows = [row("张伟", person(1)), row("张伟", person(1), cls="suspected", days_ago=1),
            row("坏", "123")]
    batch = upload_and_run(wuchang, make_csv(rows), dry_run=True)
    assert batch.dry_run and batch.status == ImportStatus.PREVIEWED
    assert (batch.imported_rows, batch.duplicate_rows, batch.error_rows) == (1, 1, 1)
    assert import_errors_file(batch) is not None
    assert not CaseReport.objects.exists()
    real = import_run(batch=batch)
    assert real.status == ImportStatus.DONE and not real.dry_run
    assert (real.imported_rows, real.duplicate_rows, real.error_rows) == (1, 1, 1)
    assert CaseReport.objects.count() == 2


@pytest.mark.django_db
def test_same_person_is_merged_like_single_reports(wuchang: Any) -> None:
    idn = person(4)
    stored, _created = case_report_submit(
        actor=wuchang, data=case_data(id_number=idn, name="郑十一", classification="suspected",
                                      diagnosed_at=timezone.now() - timedelta(days=5),
                                      reported_at=timezone.now() - timedelta(days=5),
                                      onset_date=None))
    rows = [row("郑十一", idn, cls="confirmed", days_ago=2),      # upgrades the stored case
            row("郑十一", idn, cls="clinical", days_ago=1),       # merged too, no downgrade
            row("冯十二", person(5), days_ago=3),
            row("冯十二", person(5), days_ago=2, cls="suspected")]  # repeat within the file
    batch = upload_and_run(wuchang, make_csv(rows))
    assert (batch.imported_rows, batch.duplicate_rows) == (1, 3)
    stored.refresh_from_db()
    assert stored.classification == "confirmed" and stored.status == CaseStatus.ACTIVE
    kinds = list(stored.history.order_by("version").values_list("kind", "version"))
    assert kinds == [("create", 1), ("merge", 2), ("reclassify", 3), ("merge", 4)]
    assert stored.version == 4
    merged = CaseReport.objects.filter(merged_into=stored)
    assert merged.count() == 2 and set(merged.values_list("status", flat=True)) == {"merged"}
    feng = CaseReport.objects.get(name_hash=crypto.keyed_hash("冯十二", "text"),
                                  status=CaseStatus.ACTIVE)
    assert CaseReport.objects.filter(merged_into=feng).count() == 1
    assert list(feng.history.values_list("kind", flat=True)) == ["create", "merge"]
    # Counts: two active cases.
    assert sum(DailyCount.objects.filter(basis="diagnosis").values_list("count", flat=True)) == 2


@pytest.mark.django_db
def test_rows_without_id_get_candidates_never_merged(wuchang: Any) -> None:
    stored, _created = case_report_submit(
        actor=wuchang, data=case_data(id_type="none", id_number="", name="陈十三",
                                      birth_date="1990-05-05", phone="13900139000"))
    nid = row("陈十三", "", phone="139 0013 9000")
    nid[3] = ""
    headers = [*HEADERS_ZH, "证件类型"]
    rows = [[*nid, "none"], [*nid[:2], "陈十三", "", "13900139000", *nid[5:], "none"]]
    rows[1][7], rows[1][8] = _day(1.5), _day(1.4)
    batch = upload_and_run(wuchang, make_csv(rows, headers=headers))
    assert batch.imported_rows == 2 and batch.duplicate_rows == 0
    assert batch.candidate_rows == 2
    new_ids = set(CaseReport.objects.exclude(pk=stored.pk).values_list("pk", flat=True))
    pairs = set(DuplicateCandidate.objects.values_list("case_id", "other_id"))
    # Each new row is proposed against the stored case, the later row against the earlier one,
    # never both ways.
    assert all(a in new_ids for a, _b in pairs)
    assert not any((b, a) in pairs for a, b in pairs)
    assert CaseReport.objects.filter(status=CaseStatus.ACTIVE).count() == 3


@pytest.mark.django_db
def test_imported_columns_are_what_the_service_stores(wuchang: Any) -> None:
    from django.db import connection

    from shouwang.core.fields import EncryptedTextField

    idn = person(11)
    line = row("欧阳十四", idn, disease="covid19", days_ago=3)
    upload_and_run(wuchang, make_csv([line]))
    imported = CaseReport.objects.get()
    data = {h: v for h, v in zip(["disease", "classification", "name", "id_number", "phone",
                                  "division_code", "onset_date", "diagnosed_at", "reported_at",
                                  "reporting_facility", "reporting_division_code"],
                                 line, strict=True)}
    data["disease"] = "influenza"  # another disease: not a duplicate of the imported case
    submitted, created = case_report_submit(actor=wuchang, data=data)
    assert created
    columns = [f.column for f in CaseReport._meta.concrete_fields
               if f.name not in {"id", "source_key", "disease", "created_at", "updated_at",
                                 "report_deadline_at"}]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM surveillance_casereport "
                       "WHERE id IN (%s, %s) ORDER BY id", [imported.pk, submitted.pk])
        a, b = cursor.fetchall()
    encrypted = {f.column: f for f in CaseReport._meta.concrete_fields
                 if isinstance(f, EncryptedTextField)}
    for name, x, y in zip(columns, a, b, strict=True):
        if name in encrypted and x:
            # Envelopes differ by their random nonce; same key id, same plaintext.
            assert x.split(":")[:2] == y.split(":")[:2], name
            assert crypto.decrypt(x, encrypted[name].context) == \
                crypto.decrypt(y, encrypted[name].context), name
        else:
            assert x == y, name


@pytest.mark.django_db
def test_a_failed_job_can_be_started_again(wuchang: Any) -> None:
    from shouwang.core.jobs import job_run

    batch = import_upload(actor=wuchang, file_name="a.csv", content=make_csv([row()]))
    stored = Path(batch.stored_path)
    content = stored.read_bytes()
    job = import_start(actor=wuchang, batch=batch, mapping=batch.mapping)
    stored.unlink()  # the file vanished before the worker ran
    assert job_run(job_id=job.pk) == "failed"
    stored.write_bytes(content)
    retry = import_start(actor=wuchang, batch=batch, mapping=batch.mapping)
    assert retry.pk != job.pk
    assert job_run(job_id=retry.pk) == "succeeded"
    assert CaseReport.objects.count() == 1


@pytest.mark.django_db
def test_cli_imports_and_fails_when_nothing_is_stored(wuchang: Any, tmp_path: Path) -> None:
    from django.core.management import CommandError, call_command

    good = tmp_path / "good.csv"
    good.write_bytes(make_csv([row("张伟", person(1)), row("坏", "123")], encoding="gbk"))
    out = io.StringIO()
    call_command("surveillance-import", str(good), "--user", wuchang.username, stdout=out)
    text = out.getvalue()
    assert "1 imported" in text and "1 errors" in text and "errors file:" in text
    assert CaseReport.objects.count() == 1

    bad = tmp_path / "bad.csv"
    bad.write_bytes(make_csv([row("坏", "123")]))
    with pytest.raises(CommandError, match="no row"):
        call_command("surveillance-import", str(bad), "--user", wuchang.username,
                     stdout=io.StringIO())
    with pytest.raises(CommandError, match="mapping"):
        call_command("surveillance-import", str(good), "--user", wuchang.username,
                     "--mapping", '{"姓名": "nonsense"}', stdout=io.StringIO())
    # A dry run stores nothing.
    third = tmp_path / "third.csv"
    third.write_bytes(make_csv([row("周八", person(8))]))
    dry = io.StringIO()
    call_command("surveillance-import", str(third), "--user", wuchang.username, "--dry-run",
                 stdout=dry)
    assert "dry run" in dry.getvalue() and "1 to import" in dry.getvalue()
    assert CaseReport.objects.count() == 1


@pytest.mark.django_db
def test_a_national_officer_imports_anywhere_a_county_only_at_home(wuchang: Any) -> None:
    from shouwang.geo.models import NATION_CODE

    nation = officer(NATION_CODE, role=Role.NATIONAL_OFFICER)
    rows = [row("张伟", person(1)), row("李娜", person(2), division="430102")]
    assert upload_and_run(nation, make_csv(rows)).imported_rows == 2
    county = upload_and_run(wuchang, make_csv([row("周八", person(8), division="430102")]))
    assert (county.imported_rows, county.error_rows) == (0, 1)
