"""待报告任务: open report-due tasks with their countdown and the "report this case" link, which
pre-fills the form; reporting the case closes the task."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.surveillance.models import ReportTask, TaskStatus
from tests.surveillance.cases_data import officer
from tests.surveillance.routes import _lab_result

URL = "/surveillance/tasks/"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_open_tasks_are_listed_with_countdown_and_report_link(divisions: None) -> None:
    ids = _lab_result("420106")
    html = client_for(officer("420106")).get(URL).content.decode()
    assert html.count('data-testid="task-row"') == 1
    assert 'data-testid="task-countdown"' in html and "剩余" in html
    assert f'/surveillance/cases/new/?lab_result={ids["result_id"]}' in html
    assert ">walker<" not in html  # the person's name stays on the result and the form


@pytest.mark.django_db
def test_overdue_filter(divisions: None) -> None:
    _lab_result("420106")
    ReportTask.objects.update(due_at="2020-01-01T00:00:00Z")
    client = client_for(officer("420106"))
    html = client.get(URL, {"overdue": "1"}).content.decode()
    assert html.count('data-testid="task-row"') == 1 and "已超时" in html


@pytest.mark.django_db
def test_other_county_sees_no_task(divisions: None) -> None:
    _lab_result("420106")
    html = client_for(officer("420111")).get(URL).content.decode()
    assert 'data-testid="task-row"' not in html and 'data-testid="tasks-empty"' in html


@pytest.mark.django_db
def test_reporting_from_the_task_closes_it(divisions: None) -> None:
    import re

    ids = _lab_result("420106")
    client = client_for(officer("420106"))
    form = client.get("/surveillance/cases/new/", {"lab_result": ids["result_id"]}).content.decode()
    fields = dict(re.findall(r'name="(\w+)" id="f-\w+" value="([^"]*)"', form))
    selected = dict(re.findall(r'<select name="(\w+)"[^>]*>(?:(?!</select>).)*?<option value="'
                               r'([^"]*)"[^>]*selected', form, re.S))
    token = re.search(r'name="token" value="(\w+)"', form)
    assert token and fields["id_number"] and selected["disease"] == "covid19"
    data = {**fields, **selected, "token": token.group(1), "imported": "0",
            "reporting_facility": "武昌区医院", "reporting_division_code": "420106"}
    r = client.post("/surveillance/cases/new/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    task = ReportTask.objects.get(pk=ids["task_id"])
    assert task.status == TaskStatus.DONE and task.case is not None


@pytest.mark.django_db
def test_laboratory_sees_tasks_but_no_report_link(divisions: None) -> None:
    _lab_result("420106")
    html = client_for(officer("420106", role=Role.LABORATORY)).get(URL).content.decode()
    assert 'data-testid="task-row"' in html and 'data-testid="task-report-link"' not in html
