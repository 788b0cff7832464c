"""Screening: the platform's own surveillance finds members who are severe cases and migrants
at high-risk destinations; once each, and only their households."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.livelihood.models import Member, Shock, Signal
from shouwang.livelihood.services.screening import screening_run
from shouwang.surveillance.models import CaseReport, Disease
from tests.livelihood.signals_data import household_with_head, resident_id

pytestmark = pytest.mark.django_db


def _case(actor: Any, id_number: str, severity: str) -> CaseReport:
    now = timezone.now()
    return CaseReport.objects.create(
        name="王芳", id_type="resident_id", id_number=id_number,
        disease=Disease.objects.get(code="covid19"), classification="confirmed",
        division_code="420111001", diagnosed_at=now - timedelta(hours=5),
        reported_at=now - timedelta(hours=4), reporting_facility="武汉市第一医院",
        reporting_division_code="420111", report_deadline_at=now,
        verification_due_at=now, severity=severity, created_by=actor)


def test_the_severe_cases_household_and_not_another(divisions: None, make_user: Any) -> None:
    doctor = make_user(Role.COUNTY_OFFICER, "420111", username="doc")
    sick, head = household_with_head("H-1", head_seq=1)
    mild, _ = household_with_head("H-2", head_seq=2)
    other, _ = household_with_head("H-3", head_seq=3)
    case = _case(doctor, resident_id(1), "severe")
    _case(doctor, resident_id(2), "mild")
    _case(doctor, resident_id(99), "critical")  # nobody's member

    figures = screening_run(day=timezone.localdate())
    assert figures["severe_cases"] == 1 and figures["case_signals_new"] == 1
    signal = Signal.objects.get()
    assert signal.household == sick and signal.source == "surveillance"
    assert signal.shock is not None and signal.shock.kind == "medical"
    assert signal.shock.case == case and signal.shock.member == head
    assert not Signal.objects.filter(household__in=[mild, other]).exists()

    again = screening_run(day=timezone.localdate())
    assert again["case_signals_new"] == 0
    assert Signal.objects.count() == 1 and Shock.objects.count() == 1


def test_a_migrant_at_a_high_risk_destination(divisions: None, make_user: Any) -> None:
    from shouwang.risk.services.overrides import override_create

    officer = make_user(Role.PROVINCIAL_OFFICER, "420000", username="prov")
    household, _ = household_with_head("H-1")
    safe, _ = household_with_head("H-2", head_seq=2)
    Member.objects.create(household=household, name="王强", relationship="child",
                          id_number=resident_id(11), work="migrant",
                          migrant_destination_code="420106")
    Member.objects.create(household=safe, name="李强", relationship="child",
                          id_number=resident_id(12), work="migrant",
                          migrant_destination_code="420102")
    assert screening_run(day=timezone.localdate())["migrants_high_risk"] == 0
    override_create(actor=officer, disease="covid19", division_code="420106", level="high",
                    reason="聚集性疫情", effective_at=timezone.now() - timedelta(minutes=1))

    figures = screening_run(day=timezone.localdate())
    assert figures["migrants_high_risk"] == 1 and figures["migrant_signals_new"] == 1
    signal = Signal.objects.get()
    assert signal.household == household
    assert signal.shock is not None and signal.shock.kind == "migrant_interrupted"
    assert screening_run(day=timezone.localdate())["migrant_signals_new"] == 0
    assert Signal.objects.count() == 1


def test_run_jobs_and_the_celery_task_screen_the_day(divisions: None, make_user: Any) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    from shouwang.config.celery import app
    from shouwang.core.jobs import scheduled_jobs
    from shouwang.livelihood import tasks

    assert "livelihood-screening" in scheduled_jobs()
    assert app.conf.beat_schedule["livelihood-screening-daily"]["task"] == tasks.SCREENING_TASK
    doctor = make_user(Role.COUNTY_OFFICER, "420111", username="doc")
    household_with_head("H-1")
    _case(doctor, resident_id(1), "critical")
    out = StringIO()
    day = timezone.localdate().isoformat()
    call_command("run-jobs", "livelihood-screening", "--date", day, stdout=out)
    assert json.loads(out.getvalue().split(": ", 1)[1])["case_signals_new"] == 1
    assert tasks.screening_daily(day)["case_signals_new"] == 0
    assert Signal.objects.count() == 1


def test_a_past_day_screened_later_dates_its_signals_at_that_day(divisions: None,
                                                                 make_user: Any) -> None:
    """A backfill (or the demo's replay) of an earlier day receives its signals at the end of
    that day, so their time limit runs from then; today's screening receives them now."""
    doctor = make_user(Role.COUNTY_OFFICER, "420111", username="doc")
    household_with_head("H-1", head_seq=1)
    case = _case(doctor, resident_id(1), "severe")
    day = timezone.localdate() - timedelta(days=3)
    CaseReport.objects.filter(pk=case.pk).update(
        reported_at=timezone.now() - timedelta(days=3, hours=2),
        diagnosed_at=timezone.now() - timedelta(days=3, hours=3))
    screening_run(day=day)
    signal = Signal.objects.get()
    end_of_day = timezone.make_aware(
        timezone.datetime.combine(day + timedelta(days=1), timezone.datetime.min.time()))
    assert signal.received_at == end_of_day - timedelta(seconds=1)
    assert signal.decision_due == signal.received_at + timedelta(days=15)
