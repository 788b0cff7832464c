"""Reads of the household registry (selectors/households.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404

from shouwang.core.models import AuditEvent
from shouwang.livelihood.selectors.households import (
    VillageFilters,
    household_detail,
    incomes_by_year,
    village_list,
)
from shouwang.livelihood.services.households import guarantees_update
from tests.livelihood.factories import make_household

pytestmark = pytest.mark.django_db


def test_village_list_rows_and_scope(cadres: Any) -> None:
    h = make_household("420111001", members=4, incomes={2025: {"wages": 30000, "operating": -2000,
                                                               "transfer": 4000}},
                       shocks=[{"kind": "medical", "occurred_on": "2026-01-05", "amount": 9000},
                               {"kind": "job_loss", "occurred_on": "2025-06-01", "amount": 1}])
    make_household("420111001", members=2)
    page = village_list(user=cadres["luonan"], code="420111001", year=2025)
    assert page.total == 2
    row = next(r for r in page.rows if r.id == h.pk)
    assert row.members == 4
    assert row.per_capita_income == Decimal("8000.00")
    assert row.latest_shock_kind == "medical"
    assert page.status_counts["not_monitored"] == 2
    with pytest.raises(Http404):
        village_list(user=cadres["wuchang"], code="420111001")


def test_village_list_filters_and_paging(cadres: Any) -> None:
    hs = [make_household("420111001") for _ in range(5)]
    guarantees_update(actor=cadres["luonan"], household_id=hs[0].pk, version=hs[0].version,
                      data={"food_clothing_secure": True, "education_secure": True,
                            "medical_secure": True, "housing_secure": False,
                            "water_secure": True, "guarantees_checked_on": "2026-01-01"})
    lost = village_list(user=cadres["luonan"], code="420111001",
                        filters=VillageFilters(guarantees_lost=True))
    assert [r.id for r in lost.rows] == [hs[0].pk]
    assert lost.rows[0].guarantees_lost == ["housing_secure"]
    second = village_list(user=cadres["luonan"], code="420111001", page=2, per_page=2)
    assert second.pages == 3 and len(second.rows) == 2


def test_detail_masks_for_readers_and_audits_for_writers(cadres: Any) -> None:
    h = make_household("420111001", members=2)
    idn = h.members.first().id_number  # type: ignore[union-attr]
    masked = household_detail(user=cadres["officer"], household_id=h.pk)
    assert not masked.personal and idn not in str(masked.members)
    assert not AuditEvent.objects.filter(action="read", object_id=str(h.pk)).exists()
    full = household_detail(user=cadres["hongshan"], household_id=h.pk)
    assert idn in str(full.members)
    assert AuditEvent.objects.filter(action="read", object_type="livelihood.household",
                                     object_id=str(h.pk)).exists()
    with pytest.raises(Http404):
        household_detail(user=cadres["wuchang"], household_id=h.pk)


def test_incomes_by_year_prefers_yearly_else_sums_months(cadres: Any) -> None:
    from shouwang.livelihood.services.incomes import income_record_set

    h = make_household("420111001", incomes={2024: {"wages": 100}})
    for month in (1, 2):
        income_record_set(actor=cadres["luonan"], household_id=h.pk, year=2025, month=month,
                          component="wages", amount=50)
        income_record_set(actor=cadres["luonan"], household_id=h.pk, year=2024, month=month,
                          component="wages", amount=7)
    assert incomes_by_year(user=cadres["officer"], household_id=h.pk) == {
        2024: {"wages": Decimal("100.00")}, 2025: {"wages": Decimal("100.00")}}


def test_village_list_queries_do_not_grow_with_rows(cadres: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_household("420111001", members=2, incomes={2025: {"wages": 1}},
                   shocks=[{"kind": "medical", "occurred_on": "2026-01-01", "amount": 1}])
    with CaptureQueriesContext(connection) as few:
        village_list(user=cadres["luonan"], code="420111001", year=2025)
    for _ in range(6):
        make_household("420111001", members=3, incomes={2025: {"wages": 1, "transfer": 2}},
                       shocks=[{"kind": "medical", "occurred_on": "2026-01-01", "amount": 1}])
    with CaptureQueriesContext(connection) as many:
        page = village_list(user=cadres["luonan"], code="420111001", year=2025)
    assert page.total == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_village_list_of_a_county_and_of_the_nation(cadres: Any, make_user: Any) -> None:
    from shouwang.accounts.roles import Role

    make_household("420111001")
    make_household("420111")
    make_household("420106")
    assert village_list(user=cadres["hongshan"], code="420111").total == 2
    nation = make_user(Role.NATIONAL_OFFICER, "000000", username="lh-nation")
    assert village_list(user=nation, code="000000").total == 3
    assert village_list(user=cadres["hubei"], code="420000").total == 3
    with pytest.raises(Http404):
        village_list(user=cadres["hubei"], code="000000")
