"""The import wizard in a real browser: upload a GBK CSV, fix the mapping, read the preview, start,
watch the progress bar follow the job, read the result and download the errors file.

The job is left queued by the page (the broker call is stubbed) and run by the test itself, so
the page's polling is what brings the result on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from shouwang.core import jobs
from shouwang.core.models import Job
from tests.dashboard.test_browser import (  # noqa: F401  # fixtures are used by name
    ARTIFACTS,
    CHROMIUM,
    _audit_triggers_restored,
    assert_no_problems,
    browser,
    live_db,
    log_in,
    page,
)
from tests.surveillance.cases_data import officer
from tests.surveillance.test_import_api import HEADERS, csv_bytes, line_list_rows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
]


def test_the_wizard_from_upload_to_result(
    page: Any,  # noqa: F811  # the imported fixture, used by name
    live_server: Any,
    live_db: None,  # noqa: F811
    settings: Any,
    tmp_path: Path,
) -> None:
    from tests.factories import ensure_sample_divisions

    settings.VAR_DIR = tmp_path
    ensure_sample_divisions()
    user = officer("420106")
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    log_in(page, base, user.username)

    # Step 1: the navigation leads to the wizard; the template and its columns are there.
    page.click("[data-testid=nav-imports]")
    page.wait_for_url(base + "/surveillance/imports/")
    assert page.locator("[data-testid=template-xlsx]").count() == 1
    page.click("[data-testid=column-docs] summary")
    assert page.locator("[data-testid=column-docs] tbody tr").count() > 10
    page.screenshot(path=str(ARTIFACTS / "import-1-upload.png"), full_page=True)
    page.set_input_files("input[name=file]", files=[{
        "name": "武昌区一览表.csv", "mimeType": "text/csv",
        "buffer": csv_bytes(line_list_rows(), encoding="gbk")}])
    page.click("[data-testid=upload-submit]")

    # Steps 2 and 3: the suggested mapping and the preview with the flagged cell.
    page.wait_for_selector("[data-testid=mapping-form]")
    assert page.locator("[data-testid=preview-row]").count() == 5
    assert page.locator("[data-testid=cell-error]").count() == 1
    assert "与第 2 行重复" in page.locator("[data-testid=import-preview]").inner_text()
    disease = f"[data-testid=map-{HEADERS.index('病种代码')}]"
    page.select_option(disease, "")
    page.click("[data-testid=preview-submit]")
    page.wait_for_selector("[data-testid=missing-required]")
    page.screenshot(path=str(ARTIFACTS / "import-2-missing-column.png"), full_page=True)
    page.select_option(disease, "disease")
    page.click("[data-testid=preview-submit]")
    page.wait_for_selector("[data-testid=mapping-form]")
    assert page.locator("[data-testid=missing-required]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "import-3-preview.png"), full_page=True)

    # Step 4: start. The broker is stubbed, so the job waits and the page shows it waiting.
    with mock.patch("shouwang.core.tasks.run_job.delay"):
        page.click("[data-testid=start-submit]")
        page.wait_for_selector("[data-testid=import-progress]")
    assert "排队中" in page.locator("[data-testid=import-progress-text]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "import-4-progress.png"), full_page=False)
    job = Job.objects.get(kind__contains="import")
    assert jobs.job_run(job_id=job.pk) == "succeeded"

    # The page's polling notices the finished job and shows the result.
    page.wait_for_selector("[data-testid=import-result]")
    assert page.locator("[data-testid=result-imported]").inner_text() == "3"
    assert page.locator("[data-testid=result-errors]").inner_text() == "2"
    page.screenshot(path=str(ARTIFACTS / "import-5-result.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-testid=errors-download]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "赵敏" in text and "999999" in text

    # The history lists the batch with its counts.
    page.click("text=导入另一个文件")
    page.wait_for_selector("[data-testid=import-batches] table")
    assert "武昌区一览表.csv" in page.locator("[data-testid=import-batches]").inner_text()
    assert_no_problems(page)


def test_export_from_the_page_to_the_download(
    page: Any,  # noqa: F811
    live_server: Any,
    live_db: None,  # noqa: F811
    settings: Any,
    tmp_path: Path,
) -> None:
    from shouwang.surveillance.services.cases import case_report_submit
    from tests.factories import ensure_sample_divisions
    from tests.surveillance.cases_data import case_data

    settings.VAR_DIR = tmp_path
    ensure_sample_divisions()
    user = officer("420106")
    case_report_submit(actor=user, data=case_data())
    base = live_server.url
    log_in(page, base, user.username)
    page.goto(base + "/surveillance/exports/cases/?classification=confirmed")
    assert "将导出 1 条病例报告" in page.locator("[data-testid=export-count]").inner_text()
    page.check("input[name=format][value=csv]")
    page.screenshot(path=str(ARTIFACTS / "export-1-form.png"), full_page=True)
    with mock.patch("shouwang.core.tasks.run_job.delay"):
        page.click("[data-testid=export-submit]")
        page.wait_for_selector("[data-testid=export-progress]")
    job = Job.objects.get(kind="case_export")
    assert jobs.job_run(job_id=job.pk) == "succeeded"
    page.wait_for_selector("[data-testid=export-download]")
    page.screenshot(path=str(ARTIFACTS / "export-2-done.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-testid=export-download]")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "张*" in text and "张伟" not in text
    assert_no_problems(page)
