"""An identified signal opens the household's flag (services.monitoring.flag_from_signal, the
hook of services.signals.on_identified): with the rule's numbers, or the decision is refused
inside its transaction (nothing half-written)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import (
    MonitoringFlag,
    MonitoringStatus,
    MonitoringThreshold,
    Signal,
    SignalStatus,
)
from shouwang.livelihood.services.signals import signal_decide, signal_receive
from tests.livelihood.factories import make_flag
from tests.livelihood.monitoring_data import LINE, at_risk
from tests.livelihood.signals_data import household_with_head

pytestmark = pytest.mark.django_db


def _signal(number: str = "H-1", **risk: Any) -> Signal:
    household, _ = household_with_head(number)
    at_risk(household, **risk)
    return signal_receive(source="cadre_visit", household=household, summary="务工中断",
                          details={})


def _decided_audits(signal: Signal) -> int:
    return AuditEvent.objects.filter(object_type="livelihood.signal", object_id=str(signal.pk),
                                     summary__startswith="signal decided").count()


def test_identified_signal_opens_the_flag_with_the_rule(divisions: None,
                                                         cadres: dict[str, Any]) -> None:
    signal = _signal()
    signal_decide(actor=cadres["luonan"], signal=signal, identified=True, reason="收入骤减")
    flag = MonitoringFlag.objects.get(signal=signal)
    this_month = timezone.localdate().replace(day=1)
    assert flag.identified_by == cadres["luonan"] and flag.evaluated_month == this_month
    assert flag.run is None and flag.division_code == "420111001001"
    # 3000 a year per capita (one member) against the line of 7200.
    assert flag.triggers == ["income_below"] and flag.target_group == "marginal"
    assert flag.numbers["income_annual"] == 3000.0 and flag.numbers["threshold"] == LINE
    assert "3,000" in flag.reason and "7,200" in flag.reason
    flag.household.refresh_from_db()
    assert flag.household.monitoring_status == MonitoringStatus.MONITORED


def test_a_replayed_decision_judges_and_dates_the_flag_at_its_month(
        divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    at_risk(household)
    received = timezone.now() - timedelta(days=70)
    signal = signal_receive(source="cadre_visit", household=household, summary="务工中断",
                            details={}, received_at=received)
    then = received + timedelta(days=10)
    signal_decide(actor=cadres["luonan"], signal=signal, identified=True, reason="收入骤减",
                  decided_at=then)
    flag = MonitoringFlag.objects.get(signal=signal)
    assert flag.identified_at == then
    assert flag.evaluated_month == timezone.localdate(then).replace(day=1)
    assert flag.evaluated_month != timezone.localdate().replace(day=1)


def test_no_risk_refuses_the_decision_and_writes_nothing(divisions: None,
                                                          cadres: dict[str, Any]) -> None:
    signal = _signal(per_capita=20000)   # well above the line
    with pytest.raises(InvalidInput) as exc:
        signal_decide(actor=cadres["luonan"], signal=signal, identified=True, reason="收入骤减")
    assert "decision" in exc.value.fields and "请先录入" in str(exc.value.fields["decision"][0])
    signal.refresh_from_db()
    assert signal.status == SignalStatus.PENDING and signal.decided_at is None
    assert not MonitoringFlag.objects.exists() and _decided_audits(signal) == 0
    # "Not identified" needs no risk.
    signal_decide(actor=cadres["luonan"], signal=signal, identified=False, reason="收入稳定")
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.NOT_IDENTIFIED


def test_no_line_for_the_year_refuses_with_that(divisions: None, cadres: dict[str, Any]) -> None:
    signal = _signal()
    MonitoringThreshold.objects.filter(year=timezone.localdate().year).delete()
    with pytest.raises(InvalidInput) as exc:
        signal_decide(actor=cadres["luonan"], signal=signal, identified=True, reason="收入骤减")
    assert "监测标准" in str(exc.value.fields["decision"][0])
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.PENDING


def test_household_already_monitored_keeps_its_flag(divisions: None,
                                                    cadres: dict[str, Any]) -> None:
    signal = _signal(per_capita=20000)
    make_flag(signal.household)
    signal_decide(actor=cadres["luonan"], signal=signal, identified=True, reason="再次核实")
    assert MonitoringFlag.objects.count() == 1
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.IDENTIFIED


def test_the_page_shows_the_refusal_on_the_decision(divisions: None,
                                                    cadres: dict[str, Any]) -> None:
    signal = _signal(per_capita=20000)
    c = Client()
    c.force_login(cadres["hongshan"])
    refused = c.post(f"/livelihood/signals/{signal.pk}/",
                     {"decision": "identified", "reason": "收入骤减"})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert 'data-testid="error-decision"' in page and "请先录入" in page
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.PENDING
