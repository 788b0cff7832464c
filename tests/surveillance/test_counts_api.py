"""/api/v1/surveillance/counts and the counts selectors: levels, scoping, curve, CSV, errors."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.surveillance.selectors.counts import daily_counts, epidemic_curve
from shouwang.surveillance.services import cases as svc
from shouwang.surveillance.services.counts import daily_counts_rebuild
from tests.accounts.helpers import bearer
from tests.surveillance.cases_data import case_data, officer, resident_id

URL = "/api/v1/surveillance/counts"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def data(divisions: None) -> dict[str, Any]:
    """Two confirmed and one suspected in 武昌区 (onsets 3 and 5 May), one in 洪山区."""
    wuchang, hongshan = officer("420106"), officer("420111")
    at = datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI)
    rows = [(wuchang, "420106", "confirmed", date(2026, 5, 3)),
            (wuchang, "420106", "confirmed", date(2026, 5, 5)),
            (wuchang, "420106", "suspected", date(2026, 5, 5)),
            (hongshan, "420111", "confirmed", date(2026, 5, 5))]
    for seq, (actor, code, cls, onset) in enumerate(rows, start=1):
        svc.case_report_submit(actor=actor, data=case_data(
            id_number=resident_id(code, "19900101", f"{seq:03d}"), division_code=code,
            reporting_division_code=code, classification=cls, onset_date=onset,
            diagnosed_at=at, reported_at=at))
    daily_counts_rebuild()
    return {"wuchang": wuchang, "hongshan": hongshan,
            "city": officer("420100", Role.CITY_OFFICER)}


def get(user: Any, path: str, **params: Any) -> Any:
    base = {"since": "2026-05-01", "until": "2026-05-07"}
    headers: dict[str, Any] = bearer(user)
    return Client().get(f"{URL}{path}", data={**base, **params}, **headers)


def test_city_officer_sees_its_counties_by_default(data: dict[str, Any]) -> None:
    rows = daily_counts(user=data["city"], since=date(2026, 5, 1), until=date(2026, 5, 7))
    got = {(r.division_code, r.day, r.classification): r.cases for r in rows}
    assert got == {("420106", date(2026, 5, 3), "confirmed"): 1,
                   ("420106", date(2026, 5, 5), "confirmed"): 1,
                   ("420106", date(2026, 5, 5), "suspected"): 1,
                   ("420111", date(2026, 5, 5), "confirmed"): 1}
    city = daily_counts(user=data["city"], since=date(2026, 5, 1), until=date(2026, 5, 7),
                        level="prefecture", classifications=["confirmed"])
    assert [(r.division_code, r.day, r.cases) for r in city] == [
        ("4201", date(2026, 5, 3), 1), ("4201", date(2026, 5, 5), 2)]


def test_a_county_officer_sees_only_its_county(data: dict[str, Any]) -> None:
    rows = daily_counts(user=data["hongshan"], since=date(2026, 5, 1), until=date(2026, 5, 7))
    assert {r.division_code for r in rows} == {"420111"}


def test_curve_is_zero_filled(data: dict[str, Any]) -> None:
    curve = epidemic_curve(user=data["wuchang"], since=date(2026, 5, 1), until=date(2026, 5, 7),
                           disease="covid19", classifications=["confirmed", "suspected"])
    assert curve.days[0] == date(2026, 5, 1) and len(curve.days) == 7
    assert curve.counts.tolist() == [[0, 0], [0, 0], [1, 0], [0, 0], [1, 1], [0, 0], [0, 0]]
    assert curve.total == 3


def test_named_division_sibling_404_parent_200(data: dict[str, Any]) -> None:
    for path in ("/daily", "/curve"):
        assert get(data["hongshan"], path, division="420106").status_code == 404
        ok = get(data["city"], path, division="420106")
        assert ok.status_code == 200, ok.content
        assert get(data["wuchang"], path, division="420106").status_code == 200
    curve = get(data["city"], "/curve", division="420106").json()
    assert curve["division_name"] == "武昌区" and curve["total"] == 3
    assert len(curve["days"]) == 7 and len(curve["counts"][0]) == 4


@pytest.mark.parametrize(("params", "field"), [
    ({"since": "2026-13-01"}, "since"),
    ({"since": "2026-05-09"}, "until"),
    ({"basis": "moon"}, "basis"),
    ({"disease": "nosuch"}, "disease"),
    ({"division": "999999"}, "division"),
    ({"classification": "maybe"}, "classifications"),
    ({"level": "village"}, "level"),
])
def test_bad_filters_are_field_errors(data: dict[str, Any], params: dict[str, str],
                                      field: str) -> None:
    response = get(data["city"], "/daily", **params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}
    assert any(field in key for key in body["fields"]), body


def test_csv_download_is_audited_as_export(data: dict[str, Any]) -> None:
    response = get(data["city"], "/daily", format="csv", basis="onset")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == ["division_code", "day", "disease", "classification", "count"]
    assert ["420111", "2026-05-05", "covid19", "confirmed", "1"] in table
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT,
                                      object_type="surveillance.dailycount").get()
    assert event.actor_id == data["city"].pk


def test_json_rows(data: dict[str, Any]) -> None:
    response = get(data["wuchang"], "/daily", basis="diagnosis")
    assert response.status_code == 200
    assert response.json() == [
        {"division_code": "420106", "day": "2026-05-06", "disease": "covid19",
         "classification": "confirmed", "count": 2},
        {"division_code": "420106", "day": "2026-05-06", "disease": "covid19",
         "classification": "suspected", "count": 1},
    ]
