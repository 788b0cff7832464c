"""The import wizard and the export pages with Django's client: every step posts and re-renders,
so they work without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from shouwang.core import jobs
from shouwang.core.models import Job, JobStatus
from shouwang.surveillance.models import CaseReport, ImportBatch
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer
from tests.surveillance.test_import_api import HEADERS, csv_bytes, line_list_rows

INDEX = "/surveillance/imports/"


@pytest.fixture
def client(divisions: None, var_dir: Any) -> Client:
    c = Client()
    c.force_login(officer("420106"))
    return c


def _upload(client: Client, content: bytes, name: str = "一览表.csv") -> Any:
    return client.post(INDEX, {"file": SimpleUploadedFile(name, content)})


def _mapping_form(html: str) -> dict[str, str]:
    """The selected option of every column select, as the browser would post it."""
    form: dict[str, str] = {}
    for match in re.finditer(r'<select name="(col-\d+)".*?</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', match.group(0))
        form[match.group(1)] = chosen.group(1) if chosen else ""
    return form


@pytest.mark.django_db
def test_the_first_step_has_templates_column_docs_and_an_empty_history(client):
    r = client.get(INDEX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "/api/v1/surveillance/imports/template?format=xlsx" in html
    assert "/api/v1/surveillance/imports/template?format=csv" in html
    assert "现住址区划代码" in html and "Residence division code" in html
    assert 'data-testid="import-batches-empty"' in html
    assert 'data-testid="nav-imports"' in html


@pytest.mark.django_db
def test_a_laboratory_has_no_wizard(divisions, var_dir):
    c = Client()
    c.force_login(officer("420106", role="laboratory", username="lab-wizard"))
    assert c.get(INDEX).status_code == 403
    assert 'data-testid="nav-imports"' not in c.get("/").content.decode()


@pytest.mark.django_db
def test_a_bad_file_re_renders_the_upload_with_its_error(client):
    r = _upload(client, b"", "empty.csv")
    assert r.status_code == 422
    assert 'id="file-error"' in r.content.decode()
    r = client.post(INDEX, {})
    assert r.status_code == 422
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db
def test_upload_map_preview_start_progress_result(client):
    r = _upload(client, csv_bytes(line_list_rows()))
    assert r.status_code == 302
    detail = r["Location"]
    batch = ImportBatch.objects.get()
    assert detail == f"/surveillance/imports/{batch.pk}/"

    html = client.get(detail).content.decode()
    form = _mapping_form(html)
    assert len(form) == len(HEADERS) and "" not in form.values()
    assert html.count('data-testid="preview-row"') == 5
    assert html.count('data-testid="cell-error"') == 1  # the unknown division of line 6
    assert "与第 2 行重复" in html
    assert 'data-testid="missing-required"' not in html

    # Ignoring the disease column: the page says a required field is missing; start refuses.
    disease = f"col-{HEADERS.index('病种代码')}"
    r = client.post(detail, {**form, disease: "", "action": "preview"})
    assert r.status_code == 200
    assert 'data-testid="missing-required"' in r.content.decode()
    r = client.post(detail, {**form, disease: "", "action": "start"})
    assert r.status_code == 422 and 'data-testid="mapping-error"' in r.content.decode()
    assert Job.objects.count() == 0

    # Start: the page shows the progress bar and polls the batch until the job has run.
    r = client.post(detail, {**form, "action": "start"})
    assert r.status_code == 302 and r["Location"] == detail
    html = client.get(detail).content.decode()
    assert 'data-testid="import-progress"' in html
    assert f'data-status-url="/api/v1/surveillance/imports/{batch.pk}"' in html
    assert 'http-equiv="refresh"' in html  # without JavaScript the page refreshes itself
    assert "surveillance/import.js" in html
    # Posting the same start again (a double click) is the same job.
    client.post(detail, {**form, "action": "start"})
    assert Job.objects.count() == 1

    assert jobs.job_run(job_id=Job.objects.get().pk) == JobStatus.SUCCEEDED
    html = client.get(detail).content.decode()
    assert 'data-testid="import-result"' in html
    assert re.search(r'data-testid="result-imported">3<', html)
    assert re.search(r'data-testid="result-errors">2<', html)  # bad division, repeated row
    assert f'href="/api/v1/surveillance/imports/{batch.pk}/errors"' in html
    assert 'href="/surveillance/cases/"' in html
    assert CaseReport.objects.count() == 3

    # The history lists the batch.
    assert "一览表.csv" in client.get(INDEX).content.decode()


@pytest.mark.django_db
def test_a_dry_run_then_the_import(client):
    _upload(client, csv_bytes(line_list_rows()))
    batch = ImportBatch.objects.get()
    detail = f"/surveillance/imports/{batch.pk}/"
    form = _mapping_form(client.get(detail).content.decode())
    assert client.post(detail, {**form, "action": "dry_run"}).status_code == 302
    jobs.job_run(job_id=Job.objects.get().pk)
    html = client.get(detail).content.decode()
    assert 'data-testid="dry-run-result"' in html and 'data-testid="mapping-form"' in html
    assert CaseReport.objects.count() == 0


@pytest.mark.django_db
def test_another_countys_batch_is_404(client):
    _upload(client, csv_bytes(line_list_rows()))
    batch = ImportBatch.objects.get()
    sibling = Client()
    sibling.force_login(officer("420111"))
    assert sibling.get(f"/surveillance/imports/{batch.pk}/").status_code == 404
    assert "一览表.csv" not in sibling.get(INDEX).content.decode()


# --- the export pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_page_queues_the_job_and_follows_it_to_the_download(client):
    from shouwang.surveillance.services.cases import case_report_submit

    case_report_submit(actor=officer("420106"), data=case_data())
    r = client.get("/surveillance/exports/cases/", {"classification": "confirmed",
                                                   "id_number": ZHANG_WEI})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="export-count"' in html and "将导出 1 条病例报告" in html
    assert ZHANG_WEI not in html.split('data-testid="export-filters"')[1]
    key = re.search(r'name="key" value="([^"]+)"', html)
    assert key is not None
    body = {"key": key.group(1), "classification": "confirmed", "format": "xlsx",
            "personal": "masked"}
    r = client.post("/surveillance/exports/cases/", body)
    assert r.status_code == 302
    job = Job.objects.get(kind="case_export")
    assert r["Location"] == f"/surveillance/exports/{job.pk}/"
    # The same form posted twice (a double click) is the same export.
    client.post("/surveillance/exports/cases/", body)
    assert Job.objects.filter(kind="case_export").count() == 1
    assert job.params["format"] == "xlsx" and job.params["classification"] == "confirmed"

    html = client.get(r["Location"]).content.decode()
    assert 'data-testid="export-progress"' in html
    jobs.job_run(job_id=job.pk)
    html = client.get(r["Location"]).content.decode()
    assert f'href="/api/v1/jobs/{job.pk}/download"' in html

    # The job is its owner's: the parent city's officer gets 404.
    city = Client()
    city.force_login(officer("420100", role="city_officer"))
    assert city.get(r["Location"]).status_code == 404


@pytest.mark.django_db
def test_export_page_shows_field_errors(client):
    r = client.get("/surveillance/exports/cases/", {"onset_from": "2026-13-45"})
    assert r.status_code == 422
    assert "请输入有效日期" in r.content.decode()


@pytest.mark.django_db
def test_the_wizard_in_english(client):
    with translation.override("en"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        html = client.get(INDEX).content.decode()
    assert "Bulk import of case reports" in html
    assert "Residence division code" in html and "Column in Chinese" in html


@pytest.mark.django_db
def test_a_failed_import_is_resumed_from_the_page(client):
    from unittest import mock

    _upload(client, csv_bytes(line_list_rows()))
    batch = ImportBatch.objects.get()
    detail = f"/surveillance/imports/{batch.pk}/"
    form = _mapping_form(client.get(detail).content.decode())
    client.post(detail, {**form, "action": "start"})
    with mock.patch("shouwang.surveillance.services.import_batch.run_batch",
                    side_effect=RuntimeError("disk full")):
        assert jobs.job_run(job_id=Job.objects.get().pk) == JobStatus.FAILED
    html = client.get(detail).content.decode()
    assert 'data-testid="import-failed"' in html and "disk full" in html
    assert 'data-testid="resume-submit"' in html
    r = client.post(detail, {"action": "resume"})
    assert r.status_code == 302
    resumed = Job.objects.order_by("-pk").first()
    assert resumed is not None and Job.objects.count() == 2
    assert jobs.job_run(job_id=resumed.pk) == JobStatus.SUCCEEDED
    assert 'data-testid="import-result"' in client.get(detail).content.decode()
    assert CaseReport.objects.count() == 3
