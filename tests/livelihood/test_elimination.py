"""Marking a risk eliminated (services/elimination.py: flag_eliminate) — the issue's bad input
"a risk eliminated before the required period: rejected with the reason"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import FlagStatus, MonitoringFlag, MonitoringStatus
from shouwang.livelihood.selectors.monitoring import add_months, last_complete_month
from shouwang.livelihood.services.assistance import measure_add, visit_record
from shouwang.livelihood.services.elimination import flag_eliminate
from shouwang.livelihood.services.households import guarantees_update
from tests.livelihood.assistance_data import (
    line_for_this_year,
    monthly_wages,
    recovering_household,
)
from tests.livelihood.factories import make_flag, make_household

pytestmark = pytest.mark.django_db

NOTE = "入户核实：公益性岗位收入稳定，住房、饮水、医保均已落实。"


def _label(day: Any) -> str:
    return f"{day.year} 年 {day.month} 月"


def test_eliminated_before_the_required_period_is_refused_with_the_reason(cadres: Any) -> None:
    household, flag = recovering_household(good_months=3)
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    message = str(exc.value.fields["elimination"][0])
    t = last_complete_month()
    assert "连续 3 个月" in message and "需连续 6 个月" in message
    assert f"自 {_label(add_months(t, -2))}起" in message
    assert f"最早可于 {_label(add_months(t, 3))}标注" in message
    flag.refresh_from_db()
    household.refresh_from_db()
    assert flag.status == FlagStatus.MONITORING and flag.elimination_evidence == {}
    assert household.monitoring_status == MonitoringStatus.MONITORED


def test_five_months_are_not_enough_six_are(cadres: Any) -> None:
    _h, five = recovering_household(good_months=5)
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=five.pk, evidence_note=NOTE)
    assert "连续 5 个月" in str(exc.value.fields["elimination"][0])
    _h, six = recovering_household(good_months=6)
    done = flag_eliminate(actor=cadres["luonan"], flag_id=six.pk, evidence_note=NOTE)
    assert done.status == FlagStatus.ELIMINATED


def test_elimination_stores_the_evidence(cadres: Any) -> None:
    household, flag = recovering_household(good_months=8)
    today = timezone.localdate()
    measure = measure_add(actor=cadres["luonan"], flag_id=flag.pk, data={
        "category": "employment", "description": "公益性岗位", "responsible": cadres["luonan"].pk,
        "started_on": today - timedelta(days=200), "amount": "900"})
    visit, _created = visit_record(actor=cadres["luonan"], household_id=household.pk, data={
        "visited_on": today - timedelta(days=3), "notes": "收入稳定",
        "guarantees": {"food_clothing_secure": True, "education_secure": True,
                       "medical_secure": True, "housing_secure": True, "water_secure": True}})
    done = flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    assert done.status == FlagStatus.ELIMINATED and done.eliminated_by == cadres["luonan"]
    assert done.eliminated_at is not None and done.version == 2
    ev = done.elimination_evidence
    assert ev["evaluated_month"] == f"{last_complete_month():%Y-%m}"
    assert ev["rule_set"]["code"] == "cn-relapse-2021" and ev["rule_set"]["version"] == 1
    assert ev["evaluation"]["good_months"] == 8 and ev["evaluation"]["required_months"] == 6
    assert ev["evaluation"]["threshold"] == 6000.0
    assert ev["evaluation"]["income_annual"] > 6000 and ev["evaluation"]["eligible"] is True
    assert ev["guarantees"]["housing_secure"] is True
    assert ev["measures"] == [{"id": measure.pk, "category": "employment",
                               "description": "公益性岗位",
                               "responsible_id": cadres["luonan"].pk,
                               "started_on": measure.started_on.isoformat(), "ended_on": None,
                               "amount": "900.00"}]
    assert [v["id"] for v in ev["visits"]] == [visit.pk]
    assert ev["note"] == NOTE
    household.refresh_from_db()
    assert household.monitoring_status == MonitoringStatus.ELIMINATED
    audit = AuditEvent.objects.get(object_type="livelihood.monitoringflag",
                                   object_id=str(flag.pk), action="update")
    assert "risk eliminated" in audit.summary and audit.changes["measures"] == [measure.pk]
    # Done once: a second marking is refused, and a relapse is a new flag.
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    assert "flag" in exc.value.fields
    assert make_flag(household).status == FlagStatus.MONITORING


def test_income_below_the_line_is_refused(cadres: Any) -> None:
    line_for_this_year()
    household = make_household("420111001", members=2)
    monthly_wages(household, [600] * 24)  # 300 a head a month: 3,600 a year
    flag = make_flag(household)
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    message = str(exc.value.fields["elimination"][0])
    assert "3,600 元" in message and "低于监测标准 6,000 元" in message
    assert f"最早可于 {_label(add_months(last_complete_month(), 6))}" in message


def test_a_missing_guarantee_is_refused(cadres: Any) -> None:
    household, flag = recovering_household(good_months=10)
    guarantees_update(actor=cadres["luonan"], household_id=household.pk,
                      version=household.version, data={
                          "food_clothing_secure": True, "education_secure": True,
                          "medical_secure": True, "housing_secure": False, "water_secure": True,
                          "guarantees_checked_on": timezone.localdate()})
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    assert "住房安全有保障" in str(exc.value.fields["elimination"][0])


def test_no_income_data_is_refused(cadres: Any) -> None:
    line_for_this_year()
    flag = make_flag(make_household("420111001", members=2))
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    assert "没有收入数据" in str(exc.value.fields["elimination"][0])


def test_no_line_for_the_year_is_refused_with_the_evaluation_message(cadres: Any) -> None:
    household = make_household("420111001", members=1)
    monthly_wages(household, [900] * 24)
    flag = make_flag(household)
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE)
    assert "监测标准" in str(exc.value.fields["elimination"][0])


def test_note_required_and_month_checked(cadres: Any) -> None:
    _h, flag = recovering_household(good_months=8)
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note="  ")
    assert set(exc.value.fields) == {"evidence_note"}
    future = add_months(last_complete_month(), 1)
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE,
                       month=f"{future:%Y-%m}")
    assert set(exc.value.fields) == {"month"}
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE,
                       month="2026/05")
    assert set(exc.value.fields) == {"month"}
    assert MonitoringFlag.objects.get(pk=flag.pk).status == FlagStatus.MONITORING


def test_an_earlier_month_is_judged_at_that_month(cadres: Any) -> None:
    _h, flag = recovering_household(good_months=8)
    MonitoringFlag.objects.filter(pk=flag.pk).update(
        identified_at=timezone.now() - timedelta(days=400))
    earlier = add_months(last_complete_month(), -4)  # 4 good months then
    with pytest.raises(InvalidInput) as exc:
        flag_eliminate(actor=cadres["luonan"], flag_id=flag.pk, evidence_note=NOTE,
                       month=earlier)
    assert "连续 4 个月" in str(exc.value.fields["elimination"][0])


def test_outside_is_not_found_and_reader_denied(cadres: Any) -> None:
    _h, flag = recovering_household(good_months=8)
    with pytest.raises(NotFound):
        flag_eliminate(actor=cadres["wuchang"], flag_id=flag.pk, evidence_note=NOTE)
    with pytest.raises(PermissionDenied):
        flag_eliminate(actor=cadres["officer"], flag_id=flag.pk, evidence_note=NOTE)
    assert MonitoringFlag.objects.get(pk=flag.pk).status == FlagStatus.MONITORING
