"""A refresh of some days reads the reports of those local days only, edges included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shouwang.surveillance.models import DailyCount
from shouwang.surveillance.services.counts import daily_counts_rebuild, daily_counts_refresh_for
from tests.surveillance.test_counts_services import cells, submit, wuchang  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_refresh_of_days_keeps_reports_at_the_edges_of_the_local_day(wuchang: Any) -> None:  # noqa: F811
    # 00:00 and 23:59 Shanghai on 1 March (16:00 and 15:59 UTC on other UTC days), one report
    # on 2 March and one on 28 February: a refresh of 1 and 2 March sees exactly three.
    for seq, moment in enumerate([datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI),
                                  datetime(2026, 3, 1, 23, 59, tzinfo=SHANGHAI),
                                  datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI),
                                  datetime(2026, 2, 28, 23, 59, tzinfo=SHANGHAI)], start=1):
        submit(wuchang, seq, onset_date=date(2026, 2, 20), diagnosed_at=moment.astimezone(UTC),
               reported_at=moment.astimezone(UTC))
    daily_counts_rebuild()
    before = cells("diagnosis")
    DailyCount.objects.all().delete()
    daily_counts_refresh_for(county_codes=["420106"],
                             days=[date(2026, 3, 1), date(2026, 3, 2), date(2026, 2, 20)])
    assert cells("diagnosis") == {k: v for k, v in before.items() if k[1] != date(2026, 2, 28)}
    assert cells("diagnosis")[("420106", date(2026, 3, 1), "diagnosis", "covid19",
                               "confirmed")] == 2
    assert sum(cells("onset").values()) == 4
