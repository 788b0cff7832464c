"""Shocks (services/shocks.py)."""

from __future__ import annotations

from typing import Any

import pytest

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.livelihood.models import Shock
from shouwang.livelihood.services.shocks import shock_record
from tests.livelihood.factories import make_household

pytestmark = pytest.mark.django_db


def test_negative_amount_rejected(cadres: Any) -> None:
    h = make_household("420111001")
    with pytest.raises(InvalidInput) as exc:
        shock_record(actor=cadres["luonan"], household_id=h.pk, kind="medical",
                     occurred_on="2026-01-02", amount="-5")
    assert "amount" in exc.value.fields
    assert not Shock.objects.exists()


def test_idempotent_on_source_key(cadres: Any) -> None:
    h = make_household("420111001", members=2)
    member = h.members.first()
    assert member is not None
    kwargs: dict[str, Any] = {"kind": "migrant_interrupted", "occurred_on": "2026-02-01",
                              "amount": 6000, "member_id": member.pk, "source_key": "k-1"}
    first, created = shock_record(actor=cadres["luonan"], household_id=h.pk, **kwargs)
    again, created_again = shock_record(actor=cadres["luonan"], household_id=h.pk, **kwargs)
    assert created and not created_again and first.pk == again.pk
    assert Shock.objects.count() == 1


def test_dates_kind_and_member_checked(cadres: Any) -> None:
    h = make_household("420111001")
    other = make_household("420111001")
    stranger = other.members.first()
    assert stranger is not None
    with pytest.raises(InvalidInput) as exc:
        shock_record(actor=cadres["luonan"], household_id=h.pk, kind="meteor",
                     occurred_on="2026-02-05", ended_on="2026-02-01", amount=1,
                     member_id=stranger.pk)
    assert {"kind", "ended_on", "member"} <= set(exc.value.fields)


def test_other_area_not_found(cadres: Any) -> None:
    h = make_household("420111001")
    with pytest.raises(NotFound):
        shock_record(actor=cadres["wuchang"], household_id=h.pk, kind="medical",
                     occurred_on="2026-01-02", amount=5)
