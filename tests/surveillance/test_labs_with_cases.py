"""The report-due loop through the real case services: positive → task → case → task done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.surveillance.models import LabResult, ReportTask, TaskStatus
from shouwang.surveillance.selectors.labs import open_report_tasks
from shouwang.surveillance.services.cases import case_report_submit
from shouwang.surveillance.services.labs import lab_result_submit
from tests.surveillance.cases_data import ZHANG_WEI, case_data
from tests.surveillance.test_labs import lab_data


@pytest.mark.django_db
def test_reporting_the_case_closes_the_task_and_links_the_results(divisions: None,
                                                                  make_user: Any) -> None:
    lab = make_user(Role.LABORATORY, "420106", username="loop-lab")
    officer = make_user(Role.COUNTY_OFFICER, "420106", username="loop-officer")
    positive, _ = lab_result_submit(actor=lab, data=lab_data(id_number=ZHANG_WEI, name="张伟"))
    assert [t.lab_result_id for t in open_report_tasks(user=officer)] == [positive.pk]

    case, created = case_report_submit(actor=officer, data=case_data())
    assert created
    positive.refresh_from_db()
    assert positive.case == case
    task = ReportTask.objects.get(lab_result=positive)
    assert (task.status, task.case, task.resolved_at is not None) == (TaskStatus.DONE, case, True)
    assert not open_report_tasks(user=officer).exists()

    # A later result of the same person links straight to the case and opens no task.
    later, _ = lab_result_submit(actor=lab, data=lab_data(
        id_number=ZHANG_WEI, name="张伟", sample_id="S-LATER",
        tested_at=timezone.now() - timedelta(minutes=30),
        sampled_at=timezone.now() - timedelta(hours=1)))
    assert later.case == case
    assert ReportTask.objects.count() == 1
    assert LabResult.objects.filter(case=case).count() == 2
