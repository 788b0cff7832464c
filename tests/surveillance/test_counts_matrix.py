"""The dense count matrix (county × day × classification of one disease) and the API's
all-counties endpoint that serves it. Same numbers on SQLite and PostgreSQL (`make test-pg`)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.http import Http404
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput
from shouwang.geo.models import Division, Level
from shouwang.surveillance.selectors.counts import count_matrix, daily_counts
from shouwang.surveillance.services import cases as svc
from shouwang.surveillance.services.counts import daily_counts_rebuild
from tests.accounts.helpers import bearer
from tests.surveillance.cases_data import case_data, officer, resident_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
URL = "/api/v1/surveillance/counts/matrix"


@pytest.fixture
def data(divisions: None) -> dict[str, Any]:
    """武昌区: confirmed on 3 May, confirmed + suspected on 5 May; 洪山区: confirmed on 5 May;
    one influenza case in 武昌区 on 4 May that a covid19 matrix must not show."""
    wuchang, hongshan = officer("420106"), officer("420111")
    at = datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI)
    rows = [(wuchang, "420106", "covid19", "confirmed", date(2026, 5, 3)),
            (wuchang, "420106", "covid19", "confirmed", date(2026, 5, 5)),
            (wuchang, "420106", "covid19", "suspected", date(2026, 5, 5)),
            (hongshan, "420111", "covid19", "confirmed", date(2026, 5, 5)),
            (wuchang, "420106", "influenza", "confirmed", date(2026, 5, 4))]
    for seq, (actor, code, disease, cls, onset) in enumerate(rows, start=1):
        svc.case_report_submit(actor=actor, data=case_data(
            id_number=resident_id(code, "19900101", f"{seq:03d}"), division_code=code,
            reporting_division_code=code, disease=disease, classification=cls,
            onset_date=onset, diagnosed_at=at, reported_at=at))
    daily_counts_rebuild()
    return {"wuchang": wuchang, "hongshan": hongshan,
            "city": officer("420100", Role.CITY_OFFICER),
            "province": officer("420000", Role.PROVINCIAL_OFFICER)}


def test_matrix_is_dense_over_every_county_and_day(data: dict[str, Any]) -> None:
    m = count_matrix(user=data["province"], disease="covid19", since=date(2026, 5, 1),
                     until=date(2026, 5, 7))
    counties = list(Division.objects.filter(level=Level.COUNTY, code__startswith="42")
                    .order_by("code").values_list("code", flat=True))
    assert m.counties == counties and "420606" in counties  # no case there: a row of zeros
    assert m.counts[counties.index("420606")].sum() == 0
    assert m.days[0] == date(2026, 5, 1) and len(m.days) == 7
    assert m.counts.shape == (len(counties), 7, 4)
    assert m.classifications == ["suspected", "clinical", "confirmed", "asymptomatic"]
    wc, hs = counties.index("420106"), counties.index("420111")
    conf, susp = m.classifications.index("confirmed"), m.classifications.index("suspected")
    assert m.counts[wc, 2, conf] == 1 and m.counts[wc, 4, conf] == 1
    assert m.counts[wc, 4, susp] == 1 and m.counts[hs, 4, conf] == 1
    assert m.total == 4  # the influenza case is another disease
    assert m.by_day()[wc].tolist() == [0, 0, 1, 0, 2, 0, 0]


def test_matrix_agrees_with_the_daily_rows(data: dict[str, Any]) -> None:
    since, until = date(2026, 5, 1), date(2026, 5, 7)
    m = count_matrix(user=data["city"], disease="covid19", since=since, until=until)
    rows = daily_counts(user=data["city"], since=since, until=until, level="county",
                        disease="covid19")
    dense = np.zeros_like(m.counts)
    for r in rows:
        dense[m.counties.index(r.division_code), (r.day - since).days,
              m.classifications.index(r.classification)] = r.cases
    assert np.array_equal(dense, m.counts)


def test_matrix_of_some_classifications_and_a_county_user(data: dict[str, Any]) -> None:
    m = count_matrix(user=data["wuchang"], disease="covid19", since=date(2026, 5, 1),
                     until=date(2026, 5, 7), classifications=["suspected"])
    assert m.counties == ["420106"] and m.classifications == ["suspected"]
    assert m.counts[:, :, 0].tolist() == [[0, 0, 0, 0, 1, 0, 0]]


def test_matrix_outside_the_jurisdiction_is_404_and_bad_filters_are_field_errors(
        data: dict[str, Any]) -> None:
    with pytest.raises(Http404):
        count_matrix(user=data["wuchang"], disease="covid19", division_code="420111",
                     since=date(2026, 5, 1), until=date(2026, 5, 7))
    with pytest.raises(InvalidInput) as exc:
        count_matrix(user=data["city"], disease="", since=date(2026, 5, 1),
                     until=date(2026, 5, 7))
    assert "disease" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        count_matrix(user=data["city"], disease="covid19", since=date(2026, 5, 7),
                     until=date(2026, 5, 1))
    assert "until" in exc.value.fields


def test_api_matrix_answers_the_dense_counts(data: dict[str, Any]) -> None:
    response = Client().get(URL, data={"since": "2026-05-01", "until": "2026-05-07",
                                       "disease": "covid19"}, **bearer(data["city"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["days"][0] == "2026-05-01" and len(body["days"]) == 7
    wc = body["counties"].index("420106")
    conf = body["classifications"].index("confirmed")
    assert [day[conf] for day in body["counts"][wc]] == [0, 0, 1, 0, 1, 0, 0]
    assert body["total"] == 4


def test_api_matrix_scoping(data: dict[str, Any]) -> None:
    params = {"since": "2026-05-01", "until": "2026-05-07", "disease": "covid19",
              "division": "420111"}
    assert Client().get(URL, data=params, **bearer(data["wuchang"])).status_code == 404
    assert Client().get(URL, data=params, **bearer(data["city"])).status_code == 200
    missing = Client().get(URL, data={"since": "2026-05-01", "until": "2026-05-07"},
                           **bearer(data["city"]))
    assert missing.status_code == 422


def test_daily_endpoint_for_every_county_of_one_disease_streams_the_same_rows(
        data: dict[str, Any]) -> None:
    params = {"since": "2026-05-01", "until": "2026-05-07", "disease": "covid19",
              "level": "county"}
    response = Client().get("/api/v1/surveillance/counts/daily", data=params,
                            **bearer(data["province"]))
    assert response.status_code == 200 and response.streaming
    streamed = json.loads(b"".join(response.streaming_content))
    rows = daily_counts(user=data["province"], since=date(2026, 5, 1), until=date(2026, 5, 7),
                        level="county", disease="covid19")
    assert streamed == [{"division_code": r.division_code, "day": r.day.isoformat(),
                         "disease": r.disease, "classification": r.classification,
                         "count": r.cases} for r in rows]
    assert len(streamed) == 4
    csv_body = Client().get("/api/v1/surveillance/counts/daily",
                            data={**params, "format": "csv"}, **bearer(data["province"]))
    assert csv_body.status_code == 200
    lines = csv_body.content.decode("utf-8-sig").strip().splitlines()
    assert lines[1:] == [f"{r.division_code},{r.day.isoformat()},{r.disease},"
                         f"{r.classification},{r.cases}" for r in rows]


def test_matrix_without_any_case_is_all_zeros(data: dict[str, Any]) -> None:
    m = count_matrix(user=data["hongshan"], disease="influenza", since=date(2026, 5, 1),
                     until=date(2026, 5, 3))
    assert m.counties == ["420111"] and m.counts.shape == (1, 3, 4) and m.total == 0
