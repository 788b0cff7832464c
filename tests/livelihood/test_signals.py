"""signal_receive / signal_decide: idempotency, the time limit, the reason, the scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import Signal, SignalStatus
from shouwang.livelihood.services.signals import signal_decide, signal_receive
from tests.livelihood.monitoring_data import at_risk
from tests.livelihood.signals_data import household_with_head

pytestmark = pytest.mark.django_db


def test_the_same_report_twice_stores_one(divisions: None) -> None:
    household, _ = household_with_head("H-1")
    a = signal_receive(source="department", household=household, summary="住院",
                       details={}, source_key="medical:1")
    b = signal_receive(source="department", household=household, summary="住院",
                       details={}, source_key="medical:1")
    assert a.pk == b.pk
    assert Signal.objects.count() == 1
    assert AuditEvent.objects.filter(object_type__icontains="signal").count() == 1


def test_decision_is_due_fifteen_days_after_receipt_by_default(divisions: None) -> None:
    household, _ = household_with_head("H-1")
    signal = signal_receive(source="cadre_visit", household=household, summary="务工中断",
                            details={})
    assert signal.decision_due - signal.received_at == timedelta(days=15)
    assert signal.division_code == household.division_code


@override_settings(SHOUWANG_LIVELIHOOD_DECISION_DAYS=7)
def test_the_time_limit_comes_from_settings(divisions: None) -> None:
    household, _ = household_with_head("H-1")
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={})
    assert signal.decision_due - signal.received_at == timedelta(days=7)


def test_decide_needs_a_reason_and_records_it(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    at_risk(household)   # identified opens the flag only when the rules find a risk
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={})
    with pytest.raises(InvalidInput) as err:
        signal_decide(actor=cadres["luonan"], signal=signal, identified=True, reason="  ")
    assert "reason" in err.value.fields
    done = signal_decide(actor=cadres["luonan"], signal=signal, identified=True,
                         reason="大病支出超过年收入一半")
    assert done.status == SignalStatus.IDENTIFIED
    assert done.decided_by == cadres["luonan"] and done.decided_at is not None
    with pytest.raises(InvalidInput):
        signal_decide(actor=cadres["luonan"], signal=done, identified=False, reason="again")


def test_another_areas_cadre_gets_not_found(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={})
    with pytest.raises(NotFound):
        signal_decide(actor=cadres["wuchang"], signal=signal, identified=False, reason="no")
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.PENDING


def test_a_reader_may_not_decide(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={})
    with pytest.raises(PermissionDenied):
        signal_decide(actor=cadres["officer"], signal=signal, identified=False, reason="no")


def test_received_long_ago_is_overdue(divisions: None) -> None:
    household, _ = household_with_head("H-1")
    then = timezone.now() - timedelta(days=16)
    signal = signal_receive(source="cadre_visit", household=household, summary="x",
                            details={}, received_at=then)
    assert signal.decision_due < timezone.now()


def test_a_late_decision_is_audited_as_overdue(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    late = signal_receive(source="cadre_visit", household=household, summary="x", details={},
                          received_at=timezone.now() - timedelta(days=16))
    signal_decide(actor=cadres["hongshan"], signal=late, identified=False, reason="收入稳定")
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.changes["overdue"] is True and event.changes["reason"] == "收入稳定"


def test_a_decision_may_be_replayed_when_it_was_made(divisions: None,
                                                     cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    received = timezone.now() - timedelta(days=40)
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={},
                            received_at=received)
    then = received + timedelta(days=20)
    done = signal_decide(actor=cadres["hongshan"], signal=signal, identified=False,
                         reason="收入稳定", decided_at=then)
    assert done.decided_at == then and Signal.objects.get(pk=signal.pk).decided_at == then
    event = AuditEvent.objects.filter(action="update").latest("id")
    assert event.changes["overdue"] is True   # 20 days after receipt: past the 15-day limit


def test_a_decision_in_the_future_is_refused(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={})
    with pytest.raises(InvalidInput) as err:
        signal_decide(actor=cadres["hongshan"], signal=signal, identified=False,
                      reason="收入稳定", decided_at=timezone.now() + timedelta(hours=1))
    assert "decided_at" in err.value.fields
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.PENDING


def test_a_decision_before_the_signal_came_is_refused(divisions: None,
                                                      cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("H-1")
    received = timezone.now() - timedelta(days=10)
    signal = signal_receive(source="cadre_visit", household=household, summary="x", details={},
                            received_at=received)
    with pytest.raises(InvalidInput) as err:
        signal_decide(actor=cadres["hongshan"], signal=signal, identified=False,
                      reason="收入稳定", decided_at=received - timedelta(minutes=1))
    assert "decided_at" in err.value.fields
    assert Signal.objects.get(pk=signal.pk).status == SignalStatus.PENDING
    assert not AuditEvent.objects.filter(action="update").exists()
