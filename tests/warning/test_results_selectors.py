"""Reads of early-warning results: which run, which division, whose clusters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from django.conf import settings
from django.http import Http404
from django.utils import translation

from shouwang.accounts.roles import Role
from shouwang.core.errors import InvalidInput
from shouwang.warning.models import Method, RunStatus, SeriesResult
from shouwang.warning.selectors import results as sel
from tests.factories import make_user
from tests.warning.results_factories import add_rt, make_results, make_run, outbreak

DAY = date(2026, 5, 20)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def run(divisions: None) -> object:
    return make_results(DAY, counts=False)


def test_latest_finished_run_and_the_run_of_a_day(divisions: None) -> None:
    older = make_run(date(2026, 5, 18))
    assert sel.run_latest(disease="covid19") == older
    make_run(date(2026, 5, 19), status=RunStatus.FAILED)
    make_run(date(2026, 5, 21), status=RunStatus.RUNNING)
    assert sel.run_latest(disease="covid19") == older  # failed and running runs are not shown
    newer = make_run(date(2026, 5, 20))
    assert sel.run_latest(disease="covid19") == newer
    assert sel.run_latest(disease="covid19", day=date(2026, 5, 18)) == older
    assert sel.run_latest(disease="covid19", day=date(2026, 5, 19)) is None
    assert sel.run_latest(disease="influenza") is None
    assert sel.run_days(disease="covid19") == [date(2026, 5, 20), date(2026, 5, 18)]


def test_run_list_filters_and_refuses_bad_filters(divisions: None) -> None:
    user = make_user(Role.COUNTY_OFFICER, "420106")
    make_run(date(2026, 5, 18))
    make_run(date(2026, 5, 19), status=RunStatus.FAILED)
    make_run(date(2026, 5, 19), disease="influenza")
    assert [(r.day.day, r.disease_id) for r in sel.run_list(user=user)] == [
        (19, "covid19"), (19, "influenza"), (18, "covid19")]
    assert [r.day.day for r in sel.run_list(user=user, disease="covid19",
                                            status=RunStatus.DONE)] == [18]
    assert [r.day.day for r in sel.run_list(user=user, since=date(2026, 5, 19))] == [19, 19]
    with pytest.raises(InvalidInput) as bad:
        sel.run_list(user=user, status="finished", since=date(2026, 5, 2),
                     until=date(2026, 5, 1), limit=0)
    assert set(bad.value.fields) == {"status", "until", "limit"}
    with pytest.raises(InvalidInput) as unknown:
        sel.run_list(user=user, disease="no-such-disease")
    assert unknown.value.fields == {"disease": ["未知病种。"]}


def test_a_division_outside_the_jurisdiction_is_not_found(divisions: None) -> None:
    county = make_user(Role.COUNTY_OFFICER, "420106")
    city = make_user(Role.CITY_OFFICER, "420100")
    assert sel.division_visible(user=county, division_code=None).code == "420106"
    assert sel.division_visible(user=city, division_code="420111").name == "洪山区"
    for user, code in [(county, "420111"), (county, "420100"), (city, "420600"),
                       (city, "430102"), (city, "999999"), (city, "420111001")]:
        with pytest.raises(Http404):
            sel.division_visible(user=user, division_code=code)


def test_series_of_a_division(run: object) -> None:
    user = make_user(Role.CITY_OFFICER, "420100")
    place = sel.division_visible(user=user, division_code="420106")
    latest = sel.run_latest(disease="covid19")
    assert latest is not None
    rt = sel.series_get(user=user, run=latest, division=place, method=Method.RT)
    assert rt is not None and rt.level == "county"
    assert len(rt.days) == 60 and rt.days[-1] == DAY.isoformat()
    assert rt.latest == rt.column("mean")[-1] and rt.latest is not None and rt.latest > 1
    lower, upper = rt.column("lower"), rt.column("upper")
    assert all(lo is None or lo <= m <= hi for lo, m, hi in zip(lower, rt.column("mean"), upper,
                                                                 strict=True) if m is not None)
    fc = sel.series_get(user=user, run=latest, division=place, method=Method.FORECAST)
    assert fc is not None and fc.days[0] == "2026-05-21" and len(fc.days) == 14
    with pytest.raises(InvalidInput) as bad:
        sel.series_get(user=user, run=latest, division=place, method=Method.SCAN)
    assert list(bad.value.fields) == ["method"]


def test_series_get_is_scoped_on_its_own(run: object) -> None:
    """Called with a division the user may not see, it finds nothing."""
    county = make_user(Role.COUNTY_OFFICER, "420111")
    city = make_user(Role.CITY_OFFICER, "420100")
    place = sel.division_visible(user=city, division_code="420106")
    latest = sel.run_latest(disease="covid19")
    assert latest is not None
    assert sel.series_get(user=county, run=latest, division=place, method=Method.RT) is None


def test_values_that_are_not_numbers_read_as_none(divisions: None) -> None:
    user = make_user(Role.COUNTY_OFFICER, "420106")
    latest = make_run(DAY)
    SeriesResult.objects.create(run=latest, method=Method.RT, division_code="420106",
                                level="county", latest=None,
                                data={"t": ["2026-05-19", "2026-05-20"], "mean": [None, 1.2],
                                      "lower": ["x", 0.9], "upper": [True, 1.6]})
    place = sel.division_visible(user=user, division_code=None)
    rt = sel.series_get(user=user, run=latest, division=place, method=Method.RT)
    assert rt is not None
    assert rt.column("mean") == [None, 1.2]
    assert rt.column("lower") == [None, 0.9] and rt.column("upper") == [None, 1.6]
    assert rt.column("median") == [] and rt.latest is None


def test_children_with_their_latest_rt(run: object) -> None:
    latest = sel.run_latest(disease="covid19")
    assert latest is not None
    city = make_user(Role.CITY_OFFICER, "420100")
    rows = sel.rt_children(user=city, run=latest,
                           division=sel.division_visible(user=city, division_code=None)).rows
    assert [(r.place.code, r.trend) for r in rows] == [("420106", "up"), ("420111", "down")]
    assert all(r.lower is not None and r.upper is not None and r.lower < r.mean < r.upper
               for r in rows if r.mean is not None)
    nation = make_user(Role.NATIONAL_OFFICER, "000000")
    rows = sel.rt_children(user=nation, run=latest,
                           division=sel.division_visible(user=nation, division_code=None)).rows
    assert [r.place.code for r in rows] == ["420000", "430000"]
    assert all(r.mean is not None for r in rows)
    # A county is its own child: results stop at counties.
    county = make_user(Role.COUNTY_OFFICER, "420106")
    rows = sel.rt_children(user=county, run=latest,
                           division=sel.division_visible(user=county, division_code=None)).rows
    assert [r.place.code for r in rows] == ["420106"]


def test_a_child_without_a_series_has_no_estimate(divisions: None) -> None:
    latest = make_run(DAY)
    add_rt(latest, "420106", "county", outbreak(0.02, 0.07))
    city = make_user(Role.CITY_OFFICER, "420100")
    rows = sel.rt_children(user=city, run=latest,
                           division=sel.division_visible(user=city, division_code=None)).rows
    assert [(r.place.code, r.mean is not None, r.trend) for r in rows] == [
        ("420106", True, "up"), ("420111", False, None)]


@pytest.mark.parametrize(("role", "code", "ranks"), [
    (Role.COUNTY_OFFICER, "420106", [1]),
    # 洪山区 lies in cluster 1, but its cases are in 武昌区: the cluster is 武昌区's to see.
    (Role.COUNTY_OFFICER, "420111", []),
    (Role.CITY_OFFICER, "420100", [1]),
    (Role.PROVINCIAL_OFFICER, "420000", [1, 2]),
    (Role.PROVINCIAL_OFFICER, "430000", [3]),
    (Role.NATIONAL_OFFICER, "000000", [1, 2, 3]),
])
def test_clusters_are_seen_by_the_officers_where_their_cases_are(run: object, role: str, code: str,
                                                           ranks: list[int]) -> None:
    latest = sel.run_latest(disease="covid19")
    assert latest is not None
    user = make_user(role, code)
    assert [c.rank for c in sel.cluster_list(user=user, run=latest)] == ranks


def test_cluster_names_members_and_centre_position(run: object) -> None:
    latest = sel.run_latest(disease="covid19")
    assert latest is not None
    nation = make_user(Role.NATIONAL_OFFICER, "000000")
    hubei = sel.division_visible(user=nation, division_code="420600")
    assert [c.rank for c in sel.cluster_list(user=nation, run=latest, division=hubei)] == [2]
    first = sel.cluster_list(user=nation, run=latest)[0]
    assert first.centre.name == "武昌区" and [m.name for m in first.members] == ["武昌区", "洪山区"]
    # The sample divisions carry no coordinates: the geo app's centroid stands in.
    assert first.centre.longitude == pytest.approx(114.3384)
    assert first.centre.latitude == pytest.approx(30.5571)
    assert first.ratio == pytest.approx(40 / 14.5) and first.days == 5


def test_disease_is_checked() -> None:
    with pytest.raises(InvalidInput) as missing:
        sel.check_disease("")
    assert missing.value.fields == {"disease": ["此项为必填项。"]}
