"""The tracing tasks and `shouwang tracing open-investigations / detect-clusters`."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from shouwang.config.celery import app
from shouwang.tracing import tasks
from shouwang.tracing.models import Cluster, Investigation
from shouwang.tracing.services import investigations as svc
from shouwang.tracing.services.settings_registry import setting_register
from tests.tracing.cases import make_case

ONSET = date(2026, 3, 1)


def test_beat_runs_both_tasks() -> None:
    schedule = app.conf.beat_schedule
    assert schedule["tracing-investigations-open"]["task"] == tasks.OPEN_TASK
    assert schedule["tracing-clusters-detect"]["task"] == tasks.DETECT_TASK


def test_open_task_is_idempotent(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET)
    make_case("420111", onset=ONSET, classification="asymptomatic")
    assert tasks.investigations_open()["opened"] == 2
    assert tasks.investigations_open()["opened"] == 0
    assert Investigation.objects.count() == 2


def test_commands_print_figures(officers: dict[str, Any]) -> None:
    officer = officers["wuchang"]
    setting, _ = setting_register(actor=officer, kind="school", label="某小学三年级二班",
                                  division_code="420106")
    for day in (0, 5):
        make_case("420106", onset=ONSET + timedelta(days=day))
    out = StringIO()
    call_command("tracing", "open-investigations", stdout=out)
    assert json.loads(out.getvalue())["opened"] == 2
    for inv in Investigation.objects.all():
        svc.exposure_add(actor=officer, investigation=inv, data={
            "kind": "school", "setting_id": setting.pk, "started_on": ONSET - timedelta(days=3),
            "ended_on": ONSET - timedelta(days=1)})
    out = StringIO()
    call_command("tracing", "detect-clusters", "--as-of", "2026-03-20", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["diseases"]["covid19"]["created"] == 1
    assert Cluster.objects.get().case_count == 2
    out = StringIO()
    call_command("tracing", "detect-clusters", "--disease", "covid19", "--as-of", "2026-03-20",
                 stdout=out)
    assert json.loads(out.getvalue())["unchanged"] == 1
    with pytest.raises(CommandError, match="unknown disease"):
        call_command("tracing", "detect-clusters", "--disease", "nope")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("tracing", "detect-clusters", "--as-of", "yesterday")
