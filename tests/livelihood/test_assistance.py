"""Measures and follow-up visits (services/assistance.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import AssistanceMeasure, FlagStatus, FollowUpVisit
from shouwang.livelihood.services.assistance import measure_add, measure_end, visit_record
from tests.factories import make_user
from tests.livelihood.factories import make_flag, make_household

pytestmark = pytest.mark.django_db

ALL_SECURE = {"food_clothing_secure": True, "education_secure": True, "medical_secure": True,
              "housing_secure": True, "water_secure": True}


def _today() -> Any:
    return timezone.localdate()


def _measure_data(who: Any, **over: Any) -> dict[str, Any]:
    data = {"category": "employment", "description": "公益性岗位：村保洁员",
            "responsible": who.pk, "started_on": (_today() - timedelta(days=30)),
            "amount": "800"}
    data.update(over)
    return data


# --- measures -----------------------------------------------------------------------------------


def test_measure_added_with_audit(cadres: Any) -> None:
    flag = make_flag(make_household("420111001", members=2))
    m = measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"], ended_on=str(_today())))
    assert m.flag == flag and m.amount == Decimal("800.00") and m.ended_on == _today()
    assert m.created_by == cadres["luonan"] and m.responsible == cadres["luonan"]
    ev = AuditEvent.objects.get(object_type="livelihood.assistancemeasure", object_id=str(m.pk))
    assert ev.division_code == "420111001" and ev.changes["category"] == "employment"


def test_measure_field_errors_and_nothing_written(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    start = _today() - timedelta(days=5)
    with pytest.raises(InvalidInput) as exc:
        measure_add(actor=cadres["luonan"], flag_id=flag.pk, data={
            "category": "lottery", "description": "", "responsible": "",
            "started_on": start.isoformat(), "ended_on": (start - timedelta(days=1)).isoformat(),
            "amount": "-5"})
    assert set(exc.value.fields) == {"category", "description", "responsible", "ended_on",
                                     "amount"}
    assert "负数" in str(exc.value.fields["amount"][0])
    with pytest.raises(InvalidInput) as exc:
        measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"], started_on="2026-13-01"))
    assert set(exc.value.fields) == {"started_on"}
    with pytest.raises(InvalidInput) as exc:
        measure_add(actor=cadres["luonan"], flag_id=flag.pk, data=_measure_data(
            cadres["luonan"], started_on=_today() + timedelta(days=1)))
    assert set(exc.value.fields) == {"started_on"}
    assert not AssistanceMeasure.objects.exists()


def test_measure_amount_optional_and_zero_allowed(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    a = measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"], amount=""))
    b = measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"], amount="0"))
    assert a.amount is None and b.amount == 0


@pytest.mark.parametrize("who", ["wuchang", "inactive", "unknown", "township_elsewhere"])
def test_responsible_must_cover_the_household(cadres: Any, who: str) -> None:
    flag = make_flag(make_household("420111001"))
    if who == "wuchang":
        responsible = cadres["wuchang"].pk
    elif who == "inactive":
        user = make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-gone")
        user.is_active = False
        user.save()
        responsible = user.pk
    elif who == "unknown":
        responsible = 999999
    else:
        from shouwang.geo.models import Division, Level

        Division(code="420111002", name="洪山街道", level=Level.TOWNSHIP,
                 parent_id="420111").save()
        responsible = make_user(Role.LIVELIHOOD_CADRE, "420111002", username="lh-hongshan2").pk
    with pytest.raises(InvalidInput) as exc:
        measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"], responsible=responsible))
    assert set(exc.value.fields) == {"responsible"}


def test_responsible_may_be_above_the_household(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    m = measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["hongshan"]))
    assert m.responsible == cadres["hongshan"]
    given_as_user = measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                                data=_measure_data(cadres["hongshan"],
                                                   responsible=cadres["hubei"]))
    assert given_as_user.responsible == cadres["hubei"]


def test_measure_outside_jurisdiction_is_not_found_and_reader_denied(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    with pytest.raises(NotFound):
        measure_add(actor=cadres["wuchang"], flag_id=flag.pk,
                    data=_measure_data(cadres["wuchang"]))
    with pytest.raises(PermissionDenied):
        measure_add(actor=cadres["officer"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"]))
    assert not AssistanceMeasure.objects.exists()


def test_measure_refused_on_eliminated_flag(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    type(flag).objects.filter(pk=flag.pk).update(status=FlagStatus.ELIMINATED,
                                                 eliminated_at=timezone.now())
    with pytest.raises(InvalidInput) as exc:
        measure_add(actor=cadres["luonan"], flag_id=flag.pk,
                    data=_measure_data(cadres["luonan"]))
    assert set(exc.value.fields) == {"flag"}


def test_measure_end(cadres: Any) -> None:
    flag = make_flag(make_household("420111001"))
    m = measure_add(actor=cadres["luonan"], flag_id=flag.pk, data=_measure_data(cadres["luonan"]))
    with pytest.raises(InvalidInput) as exc:
        measure_end(actor=cadres["luonan"], measure_id=m.pk,
                    ended_on=m.started_on - timedelta(days=1))
    assert "ended_on" in exc.value.fields
    with pytest.raises(InvalidInput):
        measure_end(actor=cadres["luonan"], measure_id=m.pk,
                    ended_on=_today() + timedelta(days=1))
    with pytest.raises(NotFound):
        measure_end(actor=cadres["wuchang"], measure_id=m.pk, ended_on=_today())
    with pytest.raises(PermissionDenied):
        measure_end(actor=cadres["officer"], measure_id=m.pk, ended_on=_today())
    ended = measure_end(actor=cadres["luonan"], measure_id=m.pk, ended_on=str(_today()))
    assert ended.ended_on == _today()
    with pytest.raises(InvalidInput) as exc:
        measure_end(actor=cadres["luonan"], measure_id=m.pk, ended_on=_today())
    assert "已于" in str(exc.value.fields["ended_on"][0])
    assert AuditEvent.objects.filter(object_id=str(m.pk), action="update").count() == 1


# --- visits -------------------------------------------------------------------------------------


def test_visit_recorded_linked_to_open_flag(cadres: Any) -> None:
    household = make_household("420111001", members=3)
    flag = make_flag(household)
    visit, created = visit_record(actor=cadres["luonan"], household_id=household.pk, data={
        "visited_on": str(_today()), "notes": "家中有粮，孩子在校", "guarantees": ALL_SECURE})
    assert created and visit.flag == flag and visit.guarantees == ALL_SECURE
    household.refresh_from_db()
    assert household.version == 1  # nothing differed: the household is untouched
    assert AuditEvent.objects.filter(object_type="livelihood.followupvisit").count() == 1


def test_visit_without_flag_is_allowed(cadres: Any) -> None:
    household = make_household("420111001")
    visit, _created = visit_record(actor=cadres["luonan"], household_id=household.pk, data={
        "visited_on": _today(), "notes": "例行走访", "guarantees": ALL_SECURE})
    assert visit.flag is None


def test_same_visit_twice_stored_once_and_updated(cadres: Any) -> None:
    household = make_household("420111001")
    data = {"visited_on": str(_today()), "notes": "第一次记录", "guarantees": ALL_SECURE}
    first, created = visit_record(actor=cadres["luonan"], household_id=household.pk, data=data)
    again, created_again = visit_record(actor=cadres["luonan"], household_id=household.pk,
                                        data={**data, "notes": "补充：已联系医保"})
    assert created and not created_again and first.pk == again.pk
    assert FollowUpVisit.objects.get().notes == "补充：已联系医保"
    # Another visitor the same day is another visit.
    visit_record(actor=cadres["hongshan"], household_id=household.pk, data=data)
    assert FollowUpVisit.objects.count() == 2


def test_visit_seeing_a_lost_guarantee_updates_the_household(cadres: Any) -> None:
    household = make_household("420111001")
    seen = {**ALL_SECURE, "housing_secure": False}
    visit_record(actor=cadres["luonan"], household_id=household.pk, data={
        "visited_on": str(_today() - timedelta(days=2)), "notes": "房屋漏雨，墙体开裂",
        "guarantees": {k: ("on" if v else "") for k, v in seen.items()}})
    household.refresh_from_db()
    assert household.housing_secure is False and household.version == 2
    assert household.guarantees_checked_on == _today() - timedelta(days=2)
    # An older visit does not overwrite the newer check.
    visit_record(actor=cadres["luonan"], household_id=household.pk, data={
        "visited_on": str(_today() - timedelta(days=9)), "notes": "上周走访补录",
        "guarantees": ALL_SECURE})
    household.refresh_from_db()
    assert household.housing_secure is False and household.version == 2


def test_visit_field_errors_and_nothing_written(cadres: Any) -> None:
    household = make_household("420111001")
    with pytest.raises(InvalidInput) as exc:
        visit_record(actor=cadres["luonan"], household_id=household.pk, data={
            "visited_on": str(_today() + timedelta(days=1)), "notes": " ",
            "guarantees": {"food_clothing_secure": True, "wifi_secure": True,
                           "water_secure": "maybe"}})
    fields = set(exc.value.fields)
    assert {"visited_on", "notes", "guarantees", "guarantees.water_secure",
            "guarantees.education_secure"} <= fields
    assert not FollowUpVisit.objects.exists()
    household.refresh_from_db()
    assert household.version == 1


def test_visit_outside_is_not_found_and_reader_denied(cadres: Any) -> None:
    household = make_household("420111001")
    data = {"visited_on": str(_today()), "notes": "走访", "guarantees": ALL_SECURE}
    with pytest.raises(NotFound):
        visit_record(actor=cadres["wuchang"], household_id=household.pk, data=data)
    with pytest.raises(PermissionDenied):
        visit_record(actor=cadres["officer"], household_id=household.pk, data=data)
    assert not FollowUpVisit.objects.exists()
