"""Income records (services/incomes.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.livelihood.models import IncomeRecord
from shouwang.livelihood.services.incomes import income_record_set
from tests.livelihood.factories import make_household

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("component", ["wages", "transfer"])
def test_negative_wages_or_transfers_rejected(cadres: Any, component: str) -> None:
    h = make_household("420111001")
    with pytest.raises(InvalidInput) as exc:
        income_record_set(actor=cadres["luonan"], household_id=h.pk, year=2025,
                          component=component, amount="-1")
    assert "amount" in exc.value.fields
    assert not IncomeRecord.objects.exists()


@pytest.mark.parametrize("component", ["operating", "property"])
def test_operating_and_property_may_be_negative(cadres: Any, component: str) -> None:
    h = make_household("420111001")
    record, created = income_record_set(actor=cadres["luonan"], household_id=h.pk, year=2025,
                                        component=component, amount="-1200.5")
    assert created and record.amount == Decimal("-1200.50")


def test_same_record_twice_stores_once_and_a_correction_replaces(cadres: Any) -> None:
    h = make_household("420111001")
    actor = cadres["luonan"]
    for _ in range(2):
        income_record_set(actor=actor, household_id=h.pk, year=2025, month=3,
                          component="wages", amount=3000)
    assert IncomeRecord.objects.count() == 1
    record, created = income_record_set(actor=actor, household_id=h.pk, year=2025, month=3,
                                        component="wages", amount=3500)
    assert not created and record.amount == Decimal("3500.00")
    income_record_set(actor=actor, household_id=h.pk, year=2025, component="wages", amount=1)
    income_record_set(actor=actor, household_id=h.pk, year=2025, component="wages", amount=2)
    assert IncomeRecord.objects.count() == 2


@pytest.mark.parametrize(("field", "kwargs"), [
    ("month", {"month": 13}), ("month", {"month": 0}), ("year", {"year": 1800}),
    ("component", {"component": "lottery"}), ("amount", {"amount": "abc"}),
])
def test_bad_fields(cadres: Any, field: str, kwargs: dict[str, Any]) -> None:
    h = make_household("420111001")
    args: dict[str, Any] = {"year": 2025, "component": "wages", "amount": 10, **kwargs}
    with pytest.raises(InvalidInput) as exc:
        income_record_set(actor=cadres["luonan"], household_id=h.pk, **args)
    assert field in exc.value.fields


def test_other_area_not_found(cadres: Any) -> None:
    h = make_household("420111001")
    with pytest.raises(NotFound):
        income_record_set(actor=cadres["wuchang"], household_id=h.pk, year=2025,
                          component="wages", amount=10)
