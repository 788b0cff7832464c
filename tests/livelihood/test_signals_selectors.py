"""The signal readers: scoped, pending by due date, overdue, counts per area."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from shouwang.livelihood.selectors.signals import (
    counts_by_area,
    overdue_count,
    overdue_signals,
    pending_signals,
    signal_detail,
)
from shouwang.livelihood.services.signals import signal_decide, signal_receive
from tests.livelihood.signals_data import household_with_head

pytestmark = pytest.mark.django_db


def _signals() -> dict[str, Any]:
    now = timezone.now()
    a, _ = household_with_head("H-1", "420111001001", head_seq=1)
    b, _ = household_with_head("H-2", "420111002001", head_seq=2)
    c, _ = household_with_head("H-3", "420106001001", head_seq=3)
    return {
        "late": signal_receive(source="cadre_visit", household=a, summary="a", details={},
                               received_at=now - timedelta(days=20)),
        "soon": signal_receive(source="cadre_visit", household=a, summary="b", details={},
                               received_at=now - timedelta(days=10)),
        "fresh": signal_receive(source="cadre_visit", household=b, summary="c", details={}),
        "wuchang": signal_receive(source="cadre_visit", household=c, summary="d", details={},
                                  received_at=now - timedelta(days=30)),
    }


def test_pending_by_due_date_and_overdue(divisions: None, cadres: dict[str, Any]) -> None:
    s = _signals()
    hongshan = cadres["hongshan"]
    assert list(pending_signals(hongshan)) == [s["late"], s["soon"], s["fresh"]]
    assert list(overdue_signals(hongshan)) == [s["late"]]
    assert overdue_count(hongshan) == 1
    assert overdue_count(cadres["wuhan"]) == 2
    signal_decide(actor=hongshan, signal=s["late"], identified=False, reason="收入稳定")
    assert overdue_count(hongshan) == 0


def test_counts_per_township(divisions: None, cadres: dict[str, Any]) -> None:
    _signals()
    rows = {r.division_code: r for r in counts_by_area(cadres["hongshan"], "township")}
    assert set(rows) == {"420111001", "420111002"}
    assert (rows["420111001"].pending, rows["420111001"].overdue) == (2, 1)
    assert rows["420111002"].pending == 1
    county = counts_by_area(cadres["wuhan"], "county")
    assert [(r.division_code, r.overdue) for r in county] == [("420106", 1), ("420111", 1)]


def test_another_area_is_not_found(divisions: None, cadres: dict[str, Any]) -> None:
    s = _signals()
    assert signal_detail(cadres["hongshan"], s["late"].pk) == s["late"]
    with pytest.raises(Http404):
        signal_detail(cadres["hongshan"], s["wuchang"].pk)
    with pytest.raises(Http404):
        signal_detail(cadres["luonan"], s["fresh"].pk)  # another township of the county
    assert signal_detail(cadres["officer"], s["late"].pk) == s["late"]
