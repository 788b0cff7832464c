"""The household registry services (services/households.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import Household, Member
from shouwang.livelihood.services.households import (
    HouseholdConflict,
    guarantees_update,
    household_create,
    household_update,
    member_add,
    member_leave,
    member_update,
)
from tests.livelihood.factories import make_household, resident_id

pytestmark = pytest.mark.django_db


def test_factory_makes_household_with_members_incomes_and_shocks(cadres: Any) -> None:
    h = make_household("420111001", members=3, incomes={2025: {"wages": 20000, "operating": -500}},
                       shocks=[{"kind": "medical", "occurred_on": "2026-01-05", "amount": 8000}])
    assert h.members.filter(active=True).count() == 3
    assert h.members.filter(relationship="head").count() == 1
    assert h.incomes.count() == 2
    assert h.shocks.count() == 1
    assert AuditEvent.objects.filter(object_type="livelihood.household",
                                     object_id=str(h.pk)).exists()


def test_create_outside_jurisdiction_or_unknown_division_is_not_found(cadres: Any) -> None:
    with pytest.raises(NotFound):
        household_create(actor=cadres["wuchang"], division_code="420111001",
                         data={"household_number": "X1"})
    with pytest.raises(NotFound):
        household_create(actor=cadres["hongshan"], division_code="420111999",
                         data={"household_number": "X1"})
    assert not Household.objects.exists()


def test_household_number_unique_is_a_field_error(cadres: Any) -> None:
    make_household("420111001", household_number="H-1")
    with pytest.raises(InvalidInput) as exc:
        household_create(actor=cadres["hongshan"], division_code="420111",
                         data={"household_number": "H-1"})
    assert "household_number" in exc.value.fields


def test_lifted_out_needs_a_year_not_in_the_future_and_never_poor_none(cadres: Any) -> None:
    actor = cadres["hongshan"]
    for data in ({"poverty_status": "lifted_out"},
                 {"poverty_status": "lifted_out", "lifted_out_year": 2999},
                 {"poverty_status": "never_poor", "lifted_out_year": 2019}):
        with pytest.raises(InvalidInput) as exc:
            household_create(actor=actor, division_code="420111001",
                             data={"household_number": "H-2", **data})
        assert "lifted_out_year" in exc.value.fields
    h = household_create(actor=actor, division_code="420111001", data={
        "household_number": "H-2", "poverty_status": "lifted_out", "lifted_out_year": 2019})
    assert h.lifted_out_year == 2019


def test_update_is_versioned(cadres: Any) -> None:
    h = make_household("420111001")
    actor = cadres["luonan"]
    fresh = household_update(actor=actor, household_id=h.pk, version=h.version,
                             data={"address_detail": "三组 12 号"})
    assert fresh.version == h.version + 1
    with pytest.raises(HouseholdConflict) as exc:
        household_update(actor=actor, household_id=h.pk, version=h.version,
                         data={"address_detail": "四组"})
    assert exc.value.current_version == fresh.version
    with pytest.raises(NotFound):
        household_update(actor=cadres["wuchang"], household_id=h.pk, version=fresh.version,
                         data={"address_detail": "x"})


def test_guarantees_update(cadres: Any) -> None:
    h = make_household("420111001")
    fresh = guarantees_update(actor=cadres["luonan"], household_id=h.pk, version=h.version,
                              data={"food_clothing_secure": True, "education_secure": True,
                                    "medical_secure": False, "housing_secure": True,
                                    "water_secure": True, "guarantees_checked_on": "2026-03-01"})
    assert fresh.medical_secure is False
    assert str(fresh.guarantees_checked_on) == "2026-03-01"
    with pytest.raises(InvalidInput):
        guarantees_update(actor=cadres["luonan"], household_id=h.pk, version=fresh.version,
                          data={})


def test_person_in_two_households_names_the_other(cadres: Any) -> None:
    first = make_household("420111001", household_number="HH-A")
    idn = first.members.get().id_number
    second = make_household("420111001", members=0)
    with pytest.raises(InvalidInput) as exc:
        member_add(actor=cadres["hongshan"], household_id=second.pk,
                   data={"name": "张三", "id_number": idn, "relationship": "head"})
    message = str(exc.value.fields["id_number"][0])
    assert "HH-A" in message and "珞南街道" in message
    assert not second.members.exists()


def test_one_household_constraint_is_the_last_guard(cadres: Any) -> None:
    first = make_household("420111001")
    member = first.members.get()
    second = make_household("420111001", members=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(household=second, name="x", id_number=member.id_number,
                              relationship="head")


def test_member_id_checksum_and_choices(cadres: Any) -> None:
    h = make_household("420111001", members=0)
    bad = resident_id(5)[:-1] + ("0" if resident_id(5)[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as exc:
        member_add(actor=cadres["hongshan"], household_id=h.pk,
                   data={"name": "李四", "id_number": bad, "relationship": "head",
                         "health": "great"})
    assert {"id_number", "health"} <= set(exc.value.fields)


def test_migrant_needs_destination_and_one_head(cadres: Any) -> None:
    h = make_household("420111001")
    actor = cadres["hongshan"]
    with pytest.raises(InvalidInput) as exc:
        member_add(actor=actor, household_id=h.pk, data={
            "name": "王五", "id_number": resident_id(901), "relationship": "child",
            "work": "migrant"})
    assert "migrant_destination" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        member_add(actor=actor, household_id=h.pk, data={
            "name": "王六", "id_number": resident_id(902), "relationship": "head"})
    assert "relationship" in exc.value.fields
    m = member_add(actor=actor, household_id=h.pk, data={
        "name": "王五", "id_number": resident_id(901), "relationship": "child",
        "work": "migrant", "migrant_destination": "广东省东莞市"})
    assert m.migrant_destination == "广东省东莞市"
    first = make_household("420111001", members=0)
    with pytest.raises(InvalidInput):
        member_add(actor=actor, household_id=first.pk, data={
            "name": "赵七", "id_number": resident_id(903), "relationship": "child"})


def test_member_update_and_leave_frees_the_person(cadres: Any) -> None:
    h = make_household("420111001", members=2)
    actor = cadres["hongshan"]
    child = h.members.exclude(relationship="head").get()
    updated = member_update(actor=actor, member_id=child.pk, data={"health": "serious"})
    assert updated.health == "serious"
    head = h.members.get(relationship="head")
    with pytest.raises(InvalidInput):
        member_leave(actor=actor, member_id=head.pk)
    member_leave(actor=actor, member_id=child.pk, left_on="2026-01-01")
    other = make_household("420111001", members=0)
    moved = member_add(actor=actor, household_id=other.pk, data={
        "name": "迁入", "id_number": child.id_number, "relationship": "head"})
    assert moved.active
    with pytest.raises(NotFound):
        member_update(actor=cadres["wuchang"], member_id=moved.pk, data={"health": "chronic"})


def test_constraint_violation_becomes_the_same_field_error(cadres: Any) -> None:
    """Two cadres registering the same person at once: the pre-check passes for both, the
    database constraint stops the second, and it gets the field error naming the household."""
    from unittest import mock

    from shouwang.livelihood.services import households as svc

    first = make_household("420111001", household_number="RACE-A")
    idn = first.members.get().id_number
    second = make_household("420111001", members=0)
    real = svc._other_household
    with mock.patch.object(svc, "_other_household", side_effect=[None, real(
            "resident_id", idn, None)]), pytest.raises(InvalidInput) as exc:
        member_add(actor=cadres["hongshan"], household_id=second.pk,
                   data={"name": "并发", "id_number": idn, "relationship": "head"})
    assert "RACE-A" in str(exc.value.fields["id_number"][0])
    assert not second.members.exists()


def test_factory_households_of_many_members_do_not_collide(cadres: Any) -> None:
    big = [make_household("420111001", members=12) for _ in range(3)]
    assert sum(h.members.count() for h in big) == 36
