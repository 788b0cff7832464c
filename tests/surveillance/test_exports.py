"""The line-list export (services/exports.py, api/exports.py): scoped, audited, masked by
default, safe to open in a spreadsheet, CSV and XLSX, Chinese or English headers."""

from __future__ import annotations

import csv
import io
from typing import Any
from unittest import mock

import openpyxl
import pytest
from django.test import Client

from shouwang.core import jobs
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent, Job, JobStatus
from shouwang.surveillance.services import exports
from shouwang.surveillance.services.cases import case_report_submit
from tests.accounts.helpers import bearer
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer, resident_id

URL = "/api/v1/surveillance/exports/cases"
HOSTILE = "=HYPERLINK(\"http://evil.example/\",\"点我\")"


@pytest.fixture
def outbreak(divisions: None) -> dict[str, Any]:
    """Two cases in 武昌区 (one with a hostile facility name), one in its sibling 洪山区."""
    wuchang, hongshan = officer("420106"), officer("420111")
    a, _ = case_report_submit(actor=wuchang, data=case_data())
    b, _ = case_report_submit(actor=wuchang, data=case_data(
        name="李娜", id_number=resident_id("420106", "19900101", "246"), phone="",
        classification="suspected", reporting_facility=HOSTILE))
    c, _ = case_report_submit(actor=hongshan, data=case_data(
        name="王强", id_number=resident_id("420111", "19700505", "111"),
        division_code="420111", reporting_division_code="420111"))
    return {"wuchang": wuchang, "hongshan": hongshan, "cases": (a, b, c)}


def run_export(user: Any, key: str = "k", **params: Any) -> Job:
    with mock.patch("shouwang.core.tasks.run_job.delay"):
        job = jobs.job_enqueue(actor=user, kind=exports.CASE_EXPORT, key=key, params=params)
    assert jobs.job_run(job_id=job.pk) == JobStatus.SUCCEEDED, Job.objects.get(pk=job.pk).error
    job.refresh_from_db()
    return job


def read_csv(job: Job) -> list[dict[str, str]]:
    path = jobs.job_file(job)
    assert path is not None
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.django_db
def test_an_officer_exports_only_the_own_county(outbreak, var_dir):
    rows = read_csv(run_export(outbreak["hongshan"]))
    assert [r["现住址区划"] for r in rows] == ["420111"]
    assert rows[0]["现住址区划名称"] == "洪山区"
    rows = read_csv(run_export(outbreak["wuchang"]))
    assert sorted(r["现住址区划"] for r in rows) == ["420106", "420106"]
    # The parent city sees both counties; a filter by division narrows inside it.
    city = officer("420100", role="city_officer")
    assert len(read_csv(run_export(city))) == 3
    assert len(read_csv(run_export(city, key="k2", division_code="420111"))) == 1
    # A division filter outside the jurisdiction narrows to nothing, it never widens.
    assert read_csv(run_export(outbreak["hongshan"], key="k3", division_code="420106")) == []


@pytest.mark.django_db
def test_filters_are_the_line_lists(outbreak, var_dir):
    rows = read_csv(run_export(outbreak["wuchang"], classification="suspected"))
    assert [r["姓名"] for r in rows] == ["李*"]
    rows = read_csv(run_export(outbreak["wuchang"], key="id", id_number=ZHANG_WEI))
    assert [r["姓名"] for r in rows] == ["张*"]
    rows = read_csv(run_export(outbreak["wuchang"], key="phone", phone="+86 138-0013-8000"))
    assert [r["姓名"] for r in rows] == ["张*"]
    assert read_csv(run_export(outbreak["wuchang"], key="st", status="revoked")) == []


@pytest.mark.django_db
def test_personal_fields_are_masked_unless_asked_for_in_full(outbreak, var_dir):
    row = next(r for r in read_csv(run_export(outbreak["wuchang"])) if r["姓名"] == "张*")
    assert row["证件号码"] == ZHANG_WEI[:6] + "********" + ZHANG_WEI[-4:]
    assert row["联系电话"] == "138****8000"
    assert row["详细住址"] == "***"
    assert row["出生日期"] == ""
    assert row["病例分类"] == "确诊病例" and row["性别"] == "男"
    full = read_csv(run_export(outbreak["wuchang"], key="full", personal="full"))
    row = next(r for r in full if r["姓名"] == "张伟")
    assert row["证件号码"] == ZHANG_WEI and row["联系电话"] == "13800138000"
    assert row["详细住址"].startswith("武昌区中南路") and row["出生日期"] == "1985-03-12"


@pytest.mark.django_db
def test_one_audit_event_per_export_with_filters_and_rows_and_no_clear_person(outbreak,
                                                                              var_dir):
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()
    job = run_export(outbreak["wuchang"], id_number=ZHANG_WEI, disease="covid19")
    events = AuditEvent.objects.filter(action=AuditAction.EXPORT)
    assert events.count() == before + 1
    event = events.first()
    assert event is not None and event.object_id == str(job.pk)
    assert event.changes["rows"] == 1
    assert event.changes["params"]["disease"] == "covid19"
    assert event.changes["params"]["personal"] == "masked"
    # The person searched for is on the job and in the log only as a keyed hash.
    text = str(event.changes) + str(job.params)
    assert ZHANG_WEI not in text and "id_number_hash" in text


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_formulas(outbreak, var_dir):
    rows = read_csv(run_export(outbreak["wuchang"]))
    facility = next(r["报告单位"] for r in rows if r["姓名"] == "李*")
    assert facility == "'" + HOSTILE


@pytest.mark.django_db
def test_xlsx_opens_with_openpyxl_and_holds_strings_not_formulas(outbreak, var_dir):
    job = run_export(outbreak["wuchang"], format="xlsx")
    assert job.result["content_type"].endswith("spreadsheetml.sheet")
    path = jobs.job_file(job)
    assert path is not None and path.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(path).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = values[0]
    assert header[:3] == ("报告编号", "病种", "病例分类") or header[:3] == [
        "报告编号", "病种", "病例分类"]
    assert len(values) == 3
    facility = header.index("报告单位")
    cells = [c for c in sheet.iter_rows(min_row=2) if c[facility].value.startswith("'=")]
    assert len(cells) == 1 and cells[0][facility].data_type == "s"
    onset = header.index("发病日期")
    assert values[1][onset] is not None and values[1][onset].year > 2000


@pytest.mark.django_db
def test_english_headers_and_labels(outbreak, var_dir):
    rows = read_csv(run_export(outbreak["hongshan"], language="en"))
    assert rows[0]["Classification"] == "Confirmed case"
    assert rows[0]["Disease"] == "COVID-19"
    assert rows[0]["Current address division"] == "420111"


@pytest.mark.django_db
def test_bad_parameters_are_field_errors(outbreak):
    with pytest.raises(InvalidInput) as exc:
        exports.validate_case_export(outbreak["wuchang"], {
            "format": "pdf", "onset_from": "2026-13-01", "reported_from": "2026-03-02",
            "reported_to": "2026-03-01", "classification": "probable", "imported": "maybe",
            "disease": "nope", "division_code": "42x", "colour": "red"})
    assert set(exc.value.fields) == {"format", "onset_from", "reported_to", "classification",
                                     "imported", "disease", "division_code", "colour"}


@pytest.mark.django_db
def test_full_personal_data_needs_the_capability_to_open_a_case(outbreak):
    user = mock.Mock(preferred_language="", has_capability=lambda cap: False)
    with pytest.raises(InvalidInput) as exc:
        exports.validate_case_export(user, {"personal": "full"})
    assert "personal" in exc.value.fields
    assert exports.validate_case_export(user, {})["personal"] == "masked"


# --- API ----------------------------------------------------------------------------------------


def post(user: Any, payload: dict[str, Any], **headers: Any) -> Any:
    with mock.patch("shouwang.core.tasks.run_job.delay"):
        return Client().post(URL, data=payload, content_type="application/json",
                             **bearer(user), **headers)


@pytest.mark.django_db
def test_api_enqueues_then_the_jobs_api_downloads(outbreak, var_dir):
    r = post(outbreak["hongshan"], {"format": "csv", "classification": "confirmed",
                                    "key": "mine-1"})
    assert r.status_code == 202, r.content
    job_id = r.json()["id"]
    assert r.json()["kind"] == "case_export" and r.json()["status"] == "queued"
    again = post(outbreak["hongshan"], {"format": "csv", "classification": "confirmed",
                                        "key": "mine-1"})
    assert again.json()["id"] == job_id
    jobs.job_run(job_id=job_id)
    detail = Client().get(f"/api/v1/jobs/{job_id}", **bearer(outbreak["hongshan"])).json()
    assert detail["status"] == "succeeded" and detail["result"]["rows"] == 1
    download = Client().get(detail["download_url"], **bearer(outbreak["hongshan"]))
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "420111" in text and "420106" not in text.split("\n", 1)[1].split(",")[11]
    # Somebody else (even the parent city) cannot fetch this officer's file.
    city = officer("420100", role="city_officer")
    assert Client().get(detail["download_url"], **bearer(city)).status_code == 404


@pytest.mark.django_db
def test_api_headers_follow_the_request_language(outbreak, var_dir):
    r = post(outbreak["hongshan"], {}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 202
    job = Job.objects.get(pk=r.json()["id"])
    assert job.params["language"] == "en"
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    path = jobs.job_file(job)
    assert path is not None
    header = next(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert header[:3] == ["Report number", "Disease", "Classification"]


@pytest.mark.django_db
def test_api_errors_and_capability(outbreak):
    r = post(outbreak["wuchang"], {"format": "pdf", "onset_from": "yesterday"})
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"onset_from"}  # the schema answers first
    r = post(outbreak["wuchang"], {"format": "pdf"})
    assert r.status_code == 422 and set(r.json()["fields"]) == {"format"}
    lab = officer("420106", role="laboratory", username="lab-export")
    r = post(lab, {})
    assert r.status_code == 403
    assert not Job.objects.filter(owner=lab).exists()


@pytest.mark.django_db
def test_xlsx_drops_characters_a_spreadsheet_cannot_hold(outbreak, var_dir):
    case_report_submit(actor=outbreak["hongshan"], data=case_data(
        name="周杰", id_number=resident_id("420111", "19800808", "333"), division_code="420111",
        reporting_division_code="420111", reporting_facility="洪山\x07医院\x1b"))
    job = run_export(outbreak["hongshan"], format="xlsx")
    path = jobs.job_file(job)
    assert path is not None
    values = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    facility = values[0].index("报告单位")
    assert "洪山医院" in [row[facility] for row in values[1:]]
