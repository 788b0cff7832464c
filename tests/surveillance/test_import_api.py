"""/api/v1/surveillance/imports: template, upload (GBK CSV, XLSX), preview with a mapping, start
(idempotent), status with progress, errors file, my area's batches."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from shouwang.core import jobs
from shouwang.core.models import AuditAction, AuditEvent, JobStatus
from shouwang.surveillance.models import CaseReport, ImportBatch
from shouwang.surveillance.services.import_io import IMPORT_COLUMNS
from tests.accounts.helpers import bearer
from tests.surveillance.cases_data import officer, resident_id

URL = "/api/v1/surveillance/imports"
HEADERS = [c.header_zh for c in IMPORT_COLUMNS if c.field in {
    "disease", "classification", "name", "id_number", "phone", "division_code", "onset_date",
    "diagnosed_at", "reporting_facility", "reporting_division_code"}]


def line_list_rows(division: str = "420106") -> list[dict[str, str]]:
    """Five rows: three good people, the first one again (a duplicate inside the file), and one
    with an unknown residence division (an error)."""
    diagnosed = timezone.localtime(timezone.now() - timedelta(days=1))
    base = {"病种代码": "covid19", "病例分类": "confirmed", "联系电话": "13800138000",
            "现住址区划代码": division,
            "发病日期": (diagnosed - timedelta(days=2)).strftime("%Y-%m-%d"),
            "诊断时间": diagnosed.strftime("%Y-%m-%d %H:%M"), "报告单位": "武汉市第一医院",
            "报告单位区划代码": division}
    people = [("张伟", resident_id(division, "19850312", "135")),
              ("李娜", resident_id(division, "19900101", "246")),
              ("王强", resident_id(division, "19700505", "111"))]
    rows = [{**base, "姓名": n, "证件号码": i} for n, i in people]
    rows.append(dict(rows[0]))
    rows.append({**base, "姓名": "赵敏", "证件号码": resident_id(division, "19950707", "222"),
                 "现住址区划代码": "999999"})
    return rows


def csv_bytes(rows: list[dict[str, str]], encoding: str = "gbk") -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict[str, str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row[h] for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def wuchang(divisions: None, var_dir: Any) -> Any:
    return officer("420106")


def upload(user: Any, content: bytes, name: str = "一览表.csv") -> Any:
    return Client().post(f"{URL}/upload", {"file": SimpleUploadedFile(name, content)},
                         **bearer(user))


def post(user: Any, url: str, payload: dict[str, Any]) -> Any:
    return Client().post(url, data=payload, content_type="application/json", **bearer(user))


def get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, **bearer(user))


# --- template -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_templates_in_csv_and_xlsx(wuchang):
    r = get(wuchang, f"{URL}/template", format="csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert "attachment" in r["Content-Disposition"]
    assert "病种代码" in r.content.decode("utf-8-sig")
    r = get(wuchang, f"{URL}/template", format="xlsx")
    assert r.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert any("病种代码" in str(c.value) for c in next(sheet.iter_rows(max_row=1)))
    r = get(wuchang, f"{URL}/template", format="pdf")
    assert r.status_code == 422 and set(r.json()["fields"]) == {"format"}


# --- upload and preview -------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_a_gbk_csv_gives_batch_mapping_and_preview(wuchang):
    r = upload(wuchang, csv_bytes(line_list_rows()))
    assert r.status_code == 201, r.content
    out = r.json()
    batch, preview = out["batch"], out["preview"]
    assert batch["status"] == "previewed" and batch["owner"] == wuchang.username
    assert batch["encoding"].lower() in {"gbk", "gb18030"}
    assert batch["total_rows"] == 5 and batch["job"] is None
    assert preview["headers"] == HEADERS
    assert preview["mapping"]["现住址区划代码"] == "division_code"
    assert preview["missing_required"] == []
    assert [row["line"] for row in preview["rows"]] == [2, 3, 4, 5, 6]
    assert preview["rows"][0]["values"]["name"] == "张伟" and not preview["rows"][0]["errors"]
    assert "division_code" in preview["rows"][4]["errors"]
    repeat = preview["rows"][3]
    assert repeat["duplicate_of"] == 2 and repeat["duplicate_kind"] == "file"
    assert any(c["field"] == "disease" and c["required"] for c in preview["columns"])
    assert CaseReport.objects.count() == 0  # a preview writes nothing


@pytest.mark.django_db
def test_upload_an_xlsx(wuchang):
    r = upload(wuchang, xlsx_bytes(line_list_rows()), name="一览表.xlsx")
    assert r.status_code == 201, r.content
    assert r.json()["batch"]["total_rows"] == 5
    assert r.json()["preview"]["rows"][1]["values"]["name"] == "李娜"


@pytest.mark.django_db
def test_unreadable_files_are_field_errors(wuchang):
    for content, name in [(b"", "empty.csv"), (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "x.xlsx")]:
        r = upload(wuchang, content, name)
        assert r.status_code == 422, (name, r.content)
        assert set(r.json()["fields"]) == {"file"}
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_upload_needs_the_right_to_write_cases(wuchang):
    lab = officer("420106", role="laboratory", username="lab-import")
    assert upload(lab, csv_bytes(line_list_rows())).status_code == 403
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_mapping_errors_on_preview_and_start(wuchang):
    batch_id = upload(wuchang, csv_bytes(line_list_rows())).json()["batch"]["id"]
    r = post(wuchang, f"{URL}/{batch_id}/preview", {"mapping": {"姓名": "favourite_colour"}})
    assert r.status_code == 422 and "mapping" in r.json()["fields"]
    # Without the disease column the preview says what is missing; starting refuses.
    mapping = upload(wuchang, csv_bytes(line_list_rows())).json()["preview"]["mapping"]
    mapping["病种代码"] = None
    r = post(wuchang, f"{URL}/{batch_id}/preview", {"mapping": mapping, "limit": 2})
    assert r.status_code == 200
    assert r.json()["missing_required"] == ["disease"] and len(r.json()["rows"]) == 2
    r = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": mapping})
    assert r.status_code == 422 and "mapping" in r.json()["fields"]
    assert ImportBatch.objects.get(pk=batch_id).job is None


# --- start, status, errors ----------------------------------------------------------------------


@pytest.mark.django_db
def test_start_is_idempotent_and_the_status_shows_progress_and_counts(wuchang):
    out = upload(wuchang, csv_bytes(line_list_rows())).json()
    batch_id, mapping = out["batch"]["id"], out["preview"]["mapping"]
    first = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": mapping})
    assert first.status_code == 200, first.content
    job = first.json()["job"]
    assert job["status"] == "queued" and job["dry_run"] is False
    again = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": mapping})
    assert again.status_code == 200 and again.json()["job"]["id"] == job["id"]

    assert jobs.job_run(job_id=job["id"]) == JobStatus.SUCCEEDED
    status = get(wuchang, f"{URL}/{batch_id}").json()
    assert status["status"] == "done" and status["percent"] == 100
    assert status["job"]["status"] == "succeeded"
    # The unknown division and the repeat of line 2 inside the file are both row errors.
    assert status["imported_rows"] == 3 and status["error_rows"] == 2
    assert CaseReport.objects.filter(division_code="420106").count() == 3
    # Starting the finished import again adds nothing.
    r = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": mapping})
    assert r.status_code in {200, 422}
    assert CaseReport.objects.count() == 3

    # The errors file: the bad row with its message; downloading it is audited.
    assert status["errors_url"] == f"{URL}/{batch_id}/errors"
    r = get(wuchang, status["errors_url"])
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    assert "赵敏" in text and "999999" in text and "李娜" not in text
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT,
                                     object_type="surveillance.importbatch",
                                     object_id=str(batch_id)).count() == 1


@pytest.mark.django_db
def test_a_dry_run_counts_everything_and_stores_nothing(wuchang):
    out = upload(wuchang, csv_bytes(line_list_rows())).json()
    batch_id, mapping = out["batch"]["id"], out["preview"]["mapping"]
    r = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": mapping, "dry_run": True})
    assert r.status_code == 200 and r.json()["job"]["dry_run"] is True
    jobs.job_run(job_id=r.json()["job"]["id"])
    status = get(wuchang, f"{URL}/{batch_id}").json()
    assert status["error_rows"] == 2 and status["dry_run"] is True
    assert CaseReport.objects.count() == 0
    # The real import afterwards is another job.
    real = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": mapping}).json()["job"]
    assert real["id"] != r.json()["job"]["id"]


@pytest.mark.django_db
def test_no_errors_file_answers_404(wuchang):
    rows = line_list_rows()[:3]
    out = upload(wuchang, csv_bytes(rows)).json()
    batch_id = out["batch"]["id"]
    job = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": out["preview"]["mapping"]})
    jobs.job_run(job_id=job.json()["job"]["id"])
    assert get(wuchang, f"{URL}/{batch_id}").json()["errors_url"] is None
    assert get(wuchang, f"{URL}/{batch_id}/errors").status_code == 404


@pytest.mark.django_db
def test_the_list_shows_my_areas_batches_only(wuchang):
    upload(wuchang, csv_bytes(line_list_rows()))
    hongshan = officer("420111")
    upload(hongshan, csv_bytes(line_list_rows("420111")), name="洪山.csv")
    mine = get(wuchang, URL).json()
    assert [b["file_name"] for b in mine] == ["一览表.csv"]
    city = officer("420100", role="city_officer")
    assert sorted(b["file_name"] for b in get(city, URL).json()) == ["一览表.csv", "洪山.csv"]
    other = get(hongshan, URL).json()[0]["id"]
    assert get(wuchang, f"{URL}/{other}").status_code == 404


@pytest.mark.django_db
def test_the_same_file_imported_twice_adds_nothing(wuchang):
    content = csv_bytes(line_list_rows())
    for expected_new in (3, 0):
        out = upload(wuchang, content).json()
        batch_id = out["batch"]["id"]
        job = post(wuchang, f"{URL}/{batch_id}/start", {"mapping": out["preview"]["mapping"]})
        jobs.job_run(job_id=job.json()["job"]["id"])
        status = get(wuchang, f"{URL}/{batch_id}").json()
        assert status["imported_rows"] == expected_new
    assert status["existing_rows"] == 3
    assert CaseReport.objects.count() == 3
