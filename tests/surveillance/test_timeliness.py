"""Deadlines, late reports, overdue verifications and timeliness rates (seeded, known numbers)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput
from shouwang.core.validators import resident_id_check_char
from shouwang.surveillance.models import CaseReport, CaseStatus, Classification, Disease
from shouwang.surveillance.selectors import timeliness as sel
from shouwang.surveillance.services.timeliness import (
    URGENT_VERIFICATION_HOURS,
    VERIFICATION_HOURS,
    case_deadlines,
    report_deadline,
    verification_due,
)
from tests.accounts.helpers import bearer

CN = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 10)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=CN)
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=CN)


def resident_id(region: str = "420106", birth: str = "19900101", seq: str = "123") -> str:
    body = f"{region}{birth}{seq}"
    return body + resident_id_check_char(body)


def make_case(
    *,
    actor: Any,
    division_code: str = "420106",
    disease: str = "covid19",
    diagnosed_at: datetime = NOON,
    report_delay: timedelta = timedelta(hours=3),
    verify_delay: timedelta | None = timedelta(hours=2),
    id_number: str = "",
    status: str = CaseStatus.ACTIVE,
) -> CaseReport:
    """A case report row for these tests.

    The case services (services/cases.py) are written in parallel with this module and did not
    exist yet; this helper writes the row with the deadlines our own `case_deadlines` computes,
    exactly as the case service is to store them.
    """
    d = Disease.objects.get(code=disease)
    reported_at = diagnosed_at + report_delay
    deadlines = case_deadlines(disease=d, diagnosed_at=diagnosed_at, reported_at=reported_at)
    return CaseReport.objects.create(
        name="张三", id_type="resident_id" if id_number else "none", id_number=id_number,
        disease=d, classification=Classification.CONFIRMED, division_code=division_code,
        diagnosed_at=diagnosed_at, reported_at=reported_at, reporting_facility="武汉市第一医院",
        reporting_division_code=division_code[:6],
        report_deadline_at=deadlines.report_deadline_at,
        verification_due_at=deadlines.verification_due_at,
        verified_at=reported_at + verify_delay if verify_delay is not None else None,
        status=status, created_by=actor,
    )


# --- deadlines --------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("code", "report_h", "verify_h"),
                         [("plague", 2, 2), ("sars", 2, 2), ("covid19", 24, 24),
                          ("hfmd", 24, 24)])
def test_deadlines_follow_the_disease(code, report_h, verify_h):
    d = case_deadlines(disease=Disease.objects.get(code=code), diagnosed_at=NOON,
                       reported_at=NOON + timedelta(hours=1))
    assert d.report_deadline_at == NOON + timedelta(hours=report_h)
    assert d.verification_due_at == NOON + timedelta(hours=1 + verify_h)


def test_deadline_arithmetic():
    assert VERIFICATION_HOURS == 24 and URGENT_VERIFICATION_HOURS == 2
    assert report_deadline(NOON, 24) == NOON + timedelta(days=1)
    assert verification_due(NOON, hours=12) == NOON + timedelta(hours=12)
    with pytest.raises(ValueError, match="report_deadline_hours"):
        report_deadline(NOON, -1)


# --- the seeded world -------------------------------------------------------------------------

@pytest.fixture
def seeded(divisions: None, make_user: Any) -> dict[str, Any]:
    """420106: 10 reports, 3 late; verification 6 on time, 2 late, 1 pending overdue, 1 not yet
    due. 420111: 4 reports, all on time and verified on time. Plus one revoked late report in
    420106 and one late report outside the period, which must count nowhere."""
    officer = make_user(Role.COUNTY_OFFICER, "420106", username="seed-officer")
    hours = timedelta(hours=1)
    for i in range(7):  # on time: 3 hours after diagnosis, deadline 24 hours
        make_case(actor=officer, diagnosed_at=NOON + i * hours)
    for i in range(3):  # late: diagnosed the day before, reported 30 hours later (6 hours late)
        make_case(actor=officer, diagnosed_at=NOON - timedelta(days=1) + i * hours,
                  report_delay=timedelta(hours=30),
                  verify_delay=timedelta(hours=30) if i < 2 else None)
    # Of the 10: 7 on-time reports verified within 2 hours except one pending (made below);
    # the last on-time one is re-made as pending and its verification due after NOW.
    latest = CaseReport.objects.filter(division_code="420106").order_by("-diagnosed_at").first()
    assert latest is not None
    CaseReport.objects.filter(pk=latest.pk).update(
        verified_at=None, verification_due_at=NOW + timedelta(hours=5))
    for i in range(4):
        make_case(actor=officer, division_code="420111001", diagnosed_at=NOON + i * hours)
    make_case(actor=officer, diagnosed_at=NOON - timedelta(days=1),
              report_delay=timedelta(hours=40), verify_delay=None, status=CaseStatus.REVOKED)
    make_case(actor=officer, diagnosed_at=NOON - timedelta(days=20),
              report_delay=timedelta(hours=40))
    return {"officer": officer}


@pytest.mark.django_db
def test_rates_per_county_are_the_seeded_numbers(seeded, make_user, django_assert_num_queries):
    city = make_user(Role.CITY_OFFICER, "420100")
    with django_assert_num_queries(2):  # one aggregate, one for the division names
        rows = sel.timeliness_rates(user=city, since=DAY, until=DAY + timedelta(days=1), now=NOW)
    by_code = {r.division_code: r for r in rows}
    assert set(by_code) == {"420106", "420111"}
    wuchang = by_code["420106"]
    assert (wuchang.division_name, wuchang.reports, wuchang.on_time, wuchang.late) == (
        "武昌区", 10, 7, 3)
    assert wuchang.rate == pytest.approx(0.7)
    # 9 verifications were due (one is not due yet): 6 on time, 2 late, 1 never done.
    assert (wuchang.verification_due, wuchang.verified_on_time) == (9, 6)
    assert wuchang.verification_rate == pytest.approx(6 / 9)
    hongshan = by_code["420111"]
    assert (hongshan.reports, hongshan.on_time, hongshan.rate) == (4, 4, 1.0)
    assert hongshan.verification_rate == 1.0


@pytest.mark.django_db
def test_a_division_without_reports_has_no_rate_not_zero(seeded, make_user):
    province = make_user(Role.PROVINCIAL_OFFICER, "420000")
    rows = sel.timeliness_rates(user=province, since=DAY, until=DAY, now=NOW)
    fancheng = next(r for r in rows if r.division_code == "420606")
    assert (fancheng.reports, fancheng.rate, fancheng.verification_rate) == (0, None, None)
    cities = sel.timeliness_rates(user=province, since=DAY, until=DAY, level="prefecture",
                                  now=NOW)
    by_code = {r.division_code: r for r in cities}
    assert by_code["4201"].reports == 14
    assert by_code["4201"].division_name == "武汉市"
    assert by_code["4206"].rate is None


@pytest.mark.django_db
def test_rates_respect_the_jurisdiction_and_reject_bad_levels(seeded, make_user):
    hongshan = make_user(Role.COUNTY_OFFICER, "420111")
    rows = sel.timeliness_rates(user=hongshan, since=DAY, until=DAY, now=NOW)
    assert [(r.division_code, r.reports) for r in rows] == [("420111", 4)]
    townships = sel.timeliness_rates(user=hongshan, since=DAY, until=DAY, level="township",
                                     now=NOW)
    assert [(r.division_code, r.division_name, r.reports) for r in townships] == [
        ("420111001", "珞南街道", 4)]
    children = sel.timeliness_rates(user=hongshan, since=DAY, until=DAY, level="children",
                                    now=NOW)
    assert children == townships
    city = sel.timeliness_rates(user=make_user(Role.CITY_OFFICER, "420100"), since=DAY,
                                until=DAY, level="children", now=NOW)
    assert [r.division_code for r in city] == ["420106", "420111"]
    with pytest.raises(InvalidInput) as exc:
        sel.timeliness_rates(user=hongshan, since=DAY, until=DAY, level="prefecture")
    assert "level" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        sel.timeliness_rates(user=hongshan, since=DAY, until=DAY, level="street")
    assert "level" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        sel.timeliness_rates(user=hongshan, since=DAY, until=DAY - timedelta(days=1))
    assert "until" in exc.value.fields


@pytest.mark.django_db
def test_late_reports_and_overdue_verifications(seeded, make_user):
    city = make_user(Role.CITY_OFFICER, "420100")
    late = list(sel.late_reports(user=city, since=DAY, until=DAY))
    assert len(late) == 3
    assert all(c.reported_at > c.report_deadline_at for c in late)
    assert late[0].delay == timedelta(hours=6)
    overdue = list(sel.overdue_verifications(user=city, now=NOW))
    # 2 verified late + 1 never verified in the period, + the report outside the period
    # (verified 2 hours after arrival: on time, so not listed) → 3.
    assert len(overdue) == 3
    assert sum(1 for c in overdue if c.verified_at is None) == 1
    assert not list(sel.late_reports(user=make_user(Role.COUNTY_OFFICER, "420111"),
                                     since=DAY, until=DAY))


# --- API --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_rates_api_returns_null_rates_and_field_errors(client, seeded, make_user):
    province = make_user(Role.CITY_OFFICER, "420100")
    auth = bearer(province)
    r = client.get("/api/v1/surveillance/timeliness/rates",
                   {"since": "2026-03-10", "until": "2026-03-11"}, **auth)
    assert r.status_code == 200
    body = {row["division_code"]: row for row in r.json()}
    assert body["420106"]["rate"] == pytest.approx(0.7)
    assert body["420106"]["late"] == 3
    r = client.get("/api/v1/surveillance/timeliness/rates", {"since": "2026-03-10"}, **auth)
    assert r.status_code == 422
    assert "until" in r.json()["fields"]
    r = client.get("/api/v1/surveillance/timeliness/rates",
                   {"since": "2026-03-10", "until": "2026-03-01"}, **auth)
    assert r.status_code == 422
    assert r.json()["fields"]["until"]


@pytest.mark.django_db
def test_late_and_overdue_api(client, seeded, make_user):
    auth = bearer(make_user(Role.CITY_OFFICER, "420100"))
    r = client.get("/api/v1/surveillance/timeliness/late",
                   {"since": "2026-03-10", "until": "2026-03-10"}, **auth)
    assert r.status_code == 200
    items = r.json()["items"]
    assert r.json()["count"] == 3
    assert items[0]["delay_hours"] == 6.0
    assert "name" not in items[0]
    r = client.get("/api/v1/surveillance/timeliness/overdue-verifications", **auth)
    assert r.status_code == 200
    # The API asks at the real now, long after 20 March: the pending one is overdue too.
    assert r.json()["count"] == 4
    sibling = bearer(make_user(Role.COUNTY_OFFICER, "420606"))
    r = client.get("/api/v1/surveillance/timeliness/overdue-verifications", **sibling)
    assert r.json()["count"] == 0


@pytest.mark.django_db
def test_timeliness_api_needs_surveillance_read(client, divisions, make_user):
    auth = bearer(make_user(Role.LIVELIHOOD_CADRE, "420106"))
    r = client.get("/api/v1/surveillance/timeliness/rates",
                   {"since": "2026-03-10", "until": "2026-03-11"}, **auth)
    assert r.status_code == 403
