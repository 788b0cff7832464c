"""After a bulk write the planner's statistics of AreaRisk are fresh (PostgreSQL): without
them, right after a year of levels went in, a day's reads scanned a whole index (decision
1100, Cost)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from shouwang.risk.models import AreaRisk
from shouwang.risk.services import compute
from tests.risk.test_compute import ONSET, make_case

pytestmark = pytest.mark.django_db


def _planner_rows() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s",
                       [AreaRisk._meta.db_table])
        return float(cursor.fetchone()[0])


@pytest.mark.parametrize("threshold", [1, 10**9])
def test_a_big_write_refreshes_the_statistics(officers: dict[str, Any], threshold: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (scripts/pg.sh run -- pytest …)")
    monkeypatch.setattr(compute, "ANALYZE_ROWS", threshold)
    make_case("420106", onset=ONSET)
    before = _planner_rows()   # whatever an earlier run left (the test database is reused)
    days = 10 if before != 4 * 10 else 11   # four counties: rows unlike the statistics'
    result = compute.levels_compute_range(disease="covid19", start=ONSET,
                                          end=ONSET + timedelta(days=days - 1))
    assert result.rows == AreaRisk.objects.count() == 4 * days
    if threshold == 1:
        assert _planner_rows() == result.rows
    else:
        assert _planner_rows() == before
