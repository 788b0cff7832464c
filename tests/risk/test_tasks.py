"""The daily job of the risk levels: the Celery task, its beat entry and `run-jobs risk-levels`."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from shouwang.config.celery import app
from shouwang.core.jobs import scheduled_jobs
from shouwang.risk import tasks
from shouwang.risk.models import AreaRisk, Publication
from shouwang.warning.models import Notification
from tests.risk.test_compute import make_case

pytestmark = pytest.mark.django_db


def test_beat_runs_the_daily_levels_at_0020(settings: Any) -> None:
    entry = app.conf.beat_schedule["risk-levels-daily"]
    assert entry["task"] == tasks.LEVELS_TASK
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {20}
    settings.SHOUWANG_RISK_LEVELS_HOUR = 1
    settings.SHOUWANG_RISK_LEVELS_MINUTE = 5
    later = tasks._beat_entry()["schedule"]
    assert later.hour == {1} and later.minute == {5}


def test_task_computes_publishes_and_is_idempotent(officers: dict[str, Any]) -> None:
    today = timezone.localdate()
    make_case("420106", onset=today - timedelta(days=4))
    figures = tasks.levels_daily()
    assert figures["diseases"]["covid19"]["published"] == [today.isoformat()]
    pub = Publication.objects.get(day=today)
    assert pub.n_medium == 1 and pub.notified_at is not None
    # The first computed day has nothing before it: nobody is told of a change.
    rows = AreaRisk.objects.count()
    again = tasks.levels_daily(day=today.isoformat())
    assert again["diseases"]["covid19"]["published"] == []
    assert again["diseases"]["covid19"]["skipped_published"] == [today.isoformat()]
    assert AreaRisk.objects.count() == rows and Publication.objects.count() == 1


def test_the_job_fills_in_missed_days_and_notifies(officers: dict[str, Any]) -> None:
    today = timezone.localdate()
    tasks.levels_daily(day=(today - timedelta(days=5)).isoformat())
    make_case("420106", onset=today - timedelta(days=4))
    figures = tasks.levels_daily(day=today.isoformat())
    published = figures["diseases"]["covid19"]["published"]
    assert published == [(today - timedelta(days=i)).isoformat() for i in range(4, -1, -1)]
    assert Publication.objects.count() == 6
    # 武昌区 went up on the day after the diagnosis (onset + 2): told once, to its officers.
    assert Notification.objects.filter(kind="risk_levels", user=officers["wuchang"]).count() == 1


def test_auto_publish_off_computes_only(officers: dict[str, Any], settings: Any) -> None:
    settings.SHOUWANG_RISK_AUTO_PUBLISH = False
    figures = tasks.levels_daily()
    assert figures["publish"] is False
    assert AreaRisk.objects.exists() and not Publication.objects.exists()


def test_run_jobs_has_the_daily_levels(officers: dict[str, Any]) -> None:
    assert "risk-levels" in scheduled_jobs()
    day = timezone.localdate() - timedelta(days=1)
    out = StringIO()
    call_command("run-jobs", "risk-levels", "--date", day.isoformat(), stdout=out)
    assert Publication.objects.filter(day=day).exists()
    name, figures = out.getvalue().split(": ", 1)
    assert name == f"risk-levels {day.isoformat()}"
    assert json.loads(figures)["diseases"]["covid19"]["published"] == [day.isoformat()]
