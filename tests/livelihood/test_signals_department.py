"""Other departments' records: matched by the keyed hash of the ID number, all or nothing with
the bad record named, idempotent on (department, record_id), inside the caller's jurisdiction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.livelihood.models import Shock, Signal
from shouwang.livelihood.services.signals import department_batch
from tests.livelihood.signals_data import household_with_head, resident_id

pytestmark = pytest.mark.django_db


def _record(record_id: str, **over: Any) -> dict[str, Any]:
    return {"department": "medical_insurance", "record_id": record_id,
            "id_number": resident_id(1), "kind": "medical",
            "occurred_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
            "amount": "56000.50", "summary": "住院自付费用高", **over}


def test_matched_by_id_number_and_idempotent(divisions: None, cadres: dict[str, Any]) -> None:
    household, head = household_with_head("H-1")
    other, _ = household_with_head("H-2", head_seq=2)
    results = department_batch(actor=cadres["hongshan"], records=[
        _record("MI-1"), _record("CA-9", department="civil_affairs", id_number="",
                                 household_number="H-2", kind="other")])
    assert [r.created for r in results] == [True, True]
    assert results[0].signal.household == household
    assert results[0].signal.shock is not None and results[0].signal.shock.member == head
    assert results[1].signal.household == other
    again = department_batch(actor=cadres["hongshan"], records=[_record("MI-1")])
    assert again[0].created is False and again[0].signal == results[0].signal
    assert Signal.objects.count() == 2 and Shock.objects.count() == 2


def test_all_or_nothing_with_the_bad_record_named(divisions: None,
                                                   cadres: dict[str, Any]) -> None:
    household_with_head("H-1")
    with pytest.raises(InvalidInput) as err:
        department_batch(actor=cadres["hongshan"], records=[
            _record("MI-1"), _record("MI-2", id_number=resident_id(77)),
            _record("MI-3", kind="lottery")])
    assert set(err.value.fields) == {"records.1.id_number", "records.2.kind"}
    assert Signal.objects.count() == 0 and Shock.objects.count() == 0


def test_a_household_outside_the_jurisdiction_is_not_found(divisions: None,
                                                          cadres: dict[str, Any]) -> None:
    household_with_head("H-1", "420106001001")
    with pytest.raises(InvalidInput) as err:
        department_batch(actor=cadres["hongshan"], records=[_record("MI-1")])
    assert set(err.value.fields) == {"records.0.id_number"}


def test_a_household_number_in_another_case(divisions: None, cadres: dict[str, Any]) -> None:
    household, _ = household_with_head("hb-9")
    results = department_batch(actor=cadres["hongshan"], records=[
        _record("MI-1", household_number="HB-9"),
        _record("CA-1", department="civil_affairs", id_number="", household_number="HB-9")])
    assert [r.signal.household for r in results] == [household, household]
