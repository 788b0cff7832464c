"""The household's own report (no login): identified by household number and the last six
characters of the head's ID number; the same message for a wrong number and a wrong suffix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.livelihood.models import Shock, Signal
from shouwang.livelihood.services.signals import NOT_MATCHED, self_report_submit
from tests.livelihood.signals_data import household_with_head, resident_id

pytestmark = pytest.mark.django_db


def _data(**over: object) -> dict[str, object]:
    return {"kind": "medical", "occurred_on": (timezone.localdate() - timedelta(days=3)),
            "amount": "23000", "description": "父亲住院手术", **over}


def test_a_report_creates_a_shock_and_a_signal_once(divisions: None) -> None:
    household, _ = household_with_head("H-1")
    suffix = resident_id(1)[-6:]
    signal = self_report_submit(household_number="h-1", id_suffix=suffix, data=_data())
    assert signal.household == household and signal.source == "self_report"
    assert signal.shock is not None and signal.shock.source == "self_report"
    assert signal.shock.amount == 23000 and signal.shock.kind == "medical"
    again = self_report_submit(household_number="H-1", id_suffix=suffix, data=_data())
    assert again.pk == signal.pk
    assert Signal.objects.count() == 1 and Shock.objects.count() == 1


def test_an_x_suffix_matches_in_either_case(divisions: None) -> None:
    household, head = household_with_head("H-1")
    for seq in range(2, 200):
        number = resident_id(seq)
        if number.endswith("X"):
            break
    assert number.endswith("X")
    head.id_number = number
    head.save()
    signal = self_report_submit(household_number="H-1", id_suffix=number[-6:].lower(),
                                data=_data())
    assert signal.household == household


def test_wrong_number_and_wrong_suffix_give_the_same_message(divisions: None) -> None:
    household_with_head("H-1")
    household_with_head("H-2", head_seq=2)
    messages = []
    for number, suffix in (("H-404", resident_id(1)[-6:]),   # no such household
                           ("H-1", resident_id(2)[-6:]),     # another household's head
                           ("H-1", "123")):                  # too short
        with pytest.raises(InvalidInput) as err:
            self_report_submit(household_number=number, id_suffix=suffix, data=_data())
        assert err.value.code == NOT_MATCHED and err.value.fields == {}
        messages.append(str(err.value.message))
    assert len(set(messages)) == 1
    assert Signal.objects.count() == 0


def test_field_errors_before_any_lookup(divisions: None) -> None:
    household_with_head("H-1")
    future = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidInput) as err:
        self_report_submit(household_number="H-1", id_suffix=resident_id(1)[-6:],
                           data=_data(kind="lottery", occurred_on=future, amount="-5"))
    assert set(err.value.fields) == {"kind", "occurred_on", "amount"}


def test_the_household_number_in_any_case(divisions: None) -> None:
    household, _ = household_with_head("lh-7a")  # the registry stores numbers as typed
    signal = self_report_submit(household_number=" LH-7A ", id_suffix=resident_id(1)[-6:],
                                data=_data())
    assert signal.household == household
