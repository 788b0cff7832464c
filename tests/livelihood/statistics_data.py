"""A small, hand-counted population for the statistics tests (selectors/statistics.py).

Made through the services (households, members, incomes, signals, flags, measures); the clock is
set with `at(...)` where a service stamps "now" (a signal's decision, a measure's start). The
elimination of a flag is set with the ORM until services/elimination.py lands (`eliminate`).

武汉市 (420100), year 2025, poverty line 2025: national 4,000, 湖北 (420000) 5,000 (wins).

洪山区 420111 (six households, 16 people, assessed 10, poor 8):
  H1 村 420111001001  3 people, lifted out 2019, wages 9,000 (3,000 a head: poor)
  H2 村 420111001001  2 people, wages 12,000 (6,000: not poor)
  (H1 and H2 also earned the same in 2024: the monitoring rules that judge an identified
  signal read the months before it.)
  H3 珞南街道 420111001  4 people, wages 16,000 yearly (a monthly wage of 999 ignored: the
     yearly record wins) + operating 250 × 12 months = 19,000 (4,750: poor)
  H4 洪山区 420111     1 person, wages 400 × 12 months = 4,800 (poor)
  H5 村 420111001002  2 people, wages 500 × 11 months (incomplete: no data)
  H6 村 420111001002  5 members, one left (4 people), no income (no data)
武昌区 420106 (one household, 2 people, assessed 2, poor 0):
  H7 武昌区 420106     2 people, lifted out 2018, wages 20,000 (10,000: not poor)

Flags:
  F1 H1 identified 2025-03-10 from a signal decided in time (received 03-01, decided 03-10);
     measure started 03-15; eliminated 2025-10-01
  F2 H1 identified 2025-11-05 (again, after F1's elimination), open
  F3 H2 identified 2025-02-01 from a signal decided late (received 2025-01-01, due 01-16)
  F4 H3 identified 2024-06-01, open; measure started 2024-07-01
  F5 H4 identified 2024-01-01, eliminated 2024-12-01
  F6 H7 identified 2026-01-05 (after 2025), open
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.livelihood.models import (
    FlagStatus,
    Household,
    MonitoringFlag,
    MonitoringStatus,
    MonitoringThreshold,
    Signal,
)
from shouwang.livelihood.services.assistance import measure_add
from shouwang.livelihood.services.households import member_leave
from shouwang.livelihood.services.incomes import income_record_set
from shouwang.livelihood.services.signals import signal_decide, signal_receive
from tests.livelihood.factories import make_flag, make_household
from tests.livelihood.signals_data import _ensure_division

TZ = ZoneInfo("Asia/Shanghai")


def moment(day: str, hour: int = 10) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), TZ).replace(hour=hour)


@contextmanager
def at(when: datetime) -> Iterator[None]:
    """The services' clock (django.utils.timezone.now) set to `when`."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        yield


def eliminate(flag: MonitoringFlag, when: datetime, actor: User) -> MonitoringFlag:
    """Mark the flag's risk eliminated (ORM: services/elimination.py has not landed)."""
    MonitoringFlag.objects.filter(pk=flag.pk).update(
        status=FlagStatus.ELIMINATED, eliminated_at=when, eliminated_by=actor,
        elimination_evidence={"test": "set in test setup"})
    Household.objects.filter(pk=flag.household_id).update(
        monitoring_status=MonitoringStatus.ELIMINATED)
    flag.refresh_from_db()
    return flag


def poverty_lines_2025() -> None:
    """Reference data (the rules part owns its writer): national 4,000, 湖北 5,000."""
    MonitoringThreshold.objects.create(year=2025, province_code="", poverty_line=Decimal(4000),
                                       multiple=Decimal("1.5"), amount=Decimal(6000))
    MonitoringThreshold.objects.create(year=2025, province_code="420000",
                                       poverty_line=Decimal(5000), multiple=Decimal("1.5"),
                                       amount=Decimal(7500))


def _monthly(actor: User, household: Household, component: str, amount: int,
             months: range) -> None:
    for month in months:
        income_record_set(actor=actor, household_id=household.pk, year=2025,
                          component=component, amount=Decimal(amount), month=month)


def _signal_flag(household: Household, signal: Signal, when: datetime,
                 actor: User) -> MonitoringFlag:
    """The flag the decision opened (services.signals.on_identified, when the identification
    part has registered there), else one opened by flag_open with the signal."""
    opened = MonitoringFlag.objects.filter(signal=signal).first()
    if opened is not None:
        assert opened.identified_at == when
        return opened
    return make_flag(household, signal=signal, identified_at=when, actor=actor)


def build(cadres: dict[str, Any]) -> dict[str, Any]:
    hubei: User = cadres["hubei"]
    for code in ("420111001001", "420111001002"):
        _ensure_division(code)
    poverty_lines_2025()
    h = {
        "H1": make_household("420111001001", members=3, poverty_status="lifted_out",
                             lifted_out_year=2019,
                             incomes={2024: {"wages": 9000}, 2025: {"wages": 9000}}),
        "H2": make_household("420111001001", members=2,
                             incomes={2024: {"wages": 12000}, 2025: {"wages": 12000}}),
        "H3": make_household("420111001", members=4, incomes={2025: {"wages": 16000}}),
        "H4": make_household("420111", members=1),
        "H5": make_household("420111001002", members=2),
        "H6": make_household("420111001002", members=5),
        "H7": make_household("420106", members=2, poverty_status="lifted_out",
                             lifted_out_year=2018, incomes={2025: {"wages": 20000}}),
    }
    _monthly(hubei, h["H3"], "operating", 250, range(1, 13))
    _monthly(hubei, h["H3"], "wages", 999, range(1, 2))
    _monthly(hubei, h["H4"], "wages", 400, range(1, 13))
    _monthly(hubei, h["H5"], "wages", 500, range(1, 12))
    leaver = h["H6"].members.exclude(relationship="head").first()
    assert leaver is not None
    member_leave(actor=hubei, member_id=leaver.pk, left_on="2025-06-01")

    s1 = signal_receive(source="cadre_visit", household=h["H1"], summary="务工中断",
                        details={}, received_at=moment("2025-03-01"))
    with at(moment("2025-03-10")):
        signal_decide(actor=hubei, signal=s1, identified=True, reason="收入骤减")
    s3 = signal_receive(source="self_report", household=h["H2"], summary="大病支出",
                        details={}, received_at=moment("2025-01-01"))
    with at(moment("2025-02-01")):
        signal_decide(actor=hubei, signal=s3, identified=True, reason="医疗支出过大")
    f = {
        "F1": _signal_flag(h["H1"], s1, moment("2025-03-10"), hubei),
        "F3": _signal_flag(h["H2"], s3, moment("2025-02-01"), hubei),
        "F4": make_flag(h["H3"], identified_at=moment("2024-06-01")),
        "F5": make_flag(h["H4"], identified_at=moment("2024-01-01")),
        "F6": make_flag(h["H7"], identified_at=moment("2026-01-05")),
    }
    with at(moment("2025-03-15")):
        measure_add(actor=hubei, flag_id=f["F1"].pk, data={
            "category": "employment", "description": "公益性岗位", "responsible": hubei.pk,
            "started_on": "2025-03-15"})
    with at(moment("2024-07-01")):
        measure_add(actor=hubei, flag_id=f["F4"].pk, data={
            "category": "medical", "description": "医疗救助", "responsible": hubei.pk,
            "started_on": "2024-07-01"})
    eliminate(f["F1"], moment("2025-10-01"), hubei)
    eliminate(f["F5"], moment("2024-12-01"), hubei)
    f["F2"] = make_flag(h["H1"], identified_at=moment("2025-11-05"))
    assert timezone.is_aware(f["F2"].identified_at)
    return {"households": h, "flags": f}
