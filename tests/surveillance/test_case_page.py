"""case_page's broad-scope path (newest ids along the list-order index, then the page by id)
gives exactly the page of the plain query, whatever the filters, offsets and scope."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.surveillance.selectors.cases import CaseFilters, case_page
from shouwang.surveillance.services.cases import case_report_revoke, case_report_submit
from tests.surveillance.cases_data import case_data, officer, resident_id


@pytest.fixture
def reports(divisions: None) -> dict[str, Any]:
    wuchang, hongshan, fancheng = officer("420106"), officer("420111"), officer("420606")
    base = timezone.now() - timedelta(days=3)
    made = []
    for i in range(24):
        actor, code = [(wuchang, "420106"), (hongshan, "420111"), (fancheng, "420606")][i % 3]
        # Some reports share a report time: the order falls back on the id.
        reported = base + timedelta(minutes=10 * (i // 2))
        case, _ = case_report_submit(actor=actor, data=case_data(
            id_number=resident_id(code, "19800101", f"{i + 100:03d}"), division_code=code,
            reporting_division_code=code, disease="influenza" if i % 4 == 0 else "covid19",
            classification="suspected" if i % 5 == 0 else "confirmed", onset_date=None,
            diagnosed_at=reported - timedelta(hours=1), reported_at=reported))
        made.append(case)
    for case in made[::7]:
        case_report_revoke(actor=officer(case.division_code), case=case, version=case.version,
                           reason="误报")
    return {"city": officer("420100", Role.CITY_OFFICER),
            "province": officer("420000", Role.PROVINCIAL_OFFICER),
            "county": wuchang}


FILTERS = [
    CaseFilters(),
    CaseFilters(status="all"),
    CaseFilters(status="revoked"),
    CaseFilters(disease="influenza"),  # other filters: falls back when the newest fail them
    CaseFilters(classification="suspected"),
    CaseFilters(division_code="420106"),
    CaseFilters(division_code="420111001"),
    CaseFilters(division_code="4206"),  # outside the city officer's jurisdiction: nothing
    CaseFilters(division_code="42"),  # wider than the user's own: the user's own
]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["city", "province", "county"])
def test_broad_path_gives_the_plain_page(reports: dict[str, Any], who: str) -> None:
    user = reports[who]
    for filters in FILTERS:
        for offset, limit in [(0, 5), (3, 4), (0, 50), (7, 10), (20, 5)]:
            fast = case_page(user=user, filters=filters, offset=offset, limit=limit, broad=1)
            plain = case_page(user=user, filters=filters, offset=offset, limit=limit,
                              broad=10**9)
            assert [c.pk for c in fast.items] == [c.pk for c in plain.items], (filters, offset)
            assert fast.has_next == plain.has_next, (filters, offset, limit)


@pytest.mark.django_db
def test_the_page_is_newest_first_and_in_scope(reports: dict[str, Any]) -> None:
    page = case_page(user=reports["city"], limit=50, broad=1)
    assert page.items and all(c.division_code.startswith("4201") for c in page.items)
    keys = [(c.reported_at, c.pk) for c in page.items]
    assert keys == sorted(keys, reverse=True)
    assert all(c.status == "active" for c in page.items)
