"""Statistics by area (selectors/statistics.py): the numbers of statistics_data.py counted by
hand, the period, the scoping, the exit standards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.http import Http404

from shouwang.core.errors import InvalidInput
from shouwang.livelihood.models import MonitoringThreshold
from shouwang.livelihood.selectors import exit_report as exits
from shouwang.livelihood.selectors import statistics as st
from tests.livelihood.factories import make_household
from tests.livelihood.signals_data import _ensure_division
from tests.livelihood.statistics_data import build

pytestmark = pytest.mark.django_db
Y2025 = st.Period(date(2025, 1, 1), date(2025, 12, 31))


@pytest.fixture
def data(cadres: dict[str, Any]) -> dict[str, Any]:
    return build(cadres)


def _rows(stats: st.Statistics) -> dict[str, st.AreaStats]:
    return {r.key: r for r in stats.rows}


def test_counties_of_wuhan_in_2025(cadres, data):
    stats = st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025)
    assert stats.level == "county" and stats.income_year == 2025
    rows = _rows(stats)
    assert set(rows) == {"420106", "420111"}
    hs, wc = rows["420111"], rows["420106"]
    assert (hs.name, hs.households, hs.population, hs.lifted_out) == ("洪山区", 6, 16, 1)
    # F2 and F3 open at the end of 2025, F4 too; F1 and F5 eliminated.
    assert hs.monitored == 3
    # Opened in 2025: F1, F3 (from signals: F1 in time, F3 late), F2.
    assert (hs.identified, hs.from_signals, hs.in_time) == (3, 2, 1)
    assert hs.in_time_rate == 0.5
    # Open some time in 2025: F1, F2, F3, F4 (F5 eliminated in 2024); with a measure: F1, F4.
    assert (hs.caseload, hs.assisted, hs.eliminated) == (4, 2, 1)
    # H1 (lifted out) flagged in 2025 / 1 lifted-out household; H1 flagged again after F1.
    assert (hs.lifted_out_flagged, hs.relapse_rate) == (1, 1.0)
    assert (hs.reflagged, hs.ever_eliminated, hs.repeat_rate) == (1, 2, 0.5)
    assert (hs.assessed_population, hs.poor_population) == (10, 8)
    assert hs.incidence == pytest.approx(0.8)
    assert hs.coverage == pytest.approx(10 / 16)
    assert (wc.households, wc.population, wc.lifted_out, wc.monitored, wc.identified) == (
        1, 2, 1, 0, 0)
    assert (wc.assessed_population, wc.poor_population, wc.incidence) == (2, 0, 0.0)
    assert wc.relapse_rate == 0.0 and wc.repeat_rate is None
    total = stats.total
    assert (total.households, total.population, total.monitored, total.poor_population,
            total.assessed_population) == (7, 18, 3, 8, 12)


def test_monthly_series_counts_identified_and_eliminated(cadres, data):
    stats = st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025)
    months = {p.month.month: (p.identified, p.eliminated) for p in stats.monthly}
    assert len(stats.monthly) == 12
    assert months[2] == (1, 0) and months[3] == (1, 0) and months[10] == (0, 1)
    assert months[11] == (1, 0)
    assert sum(p.identified for p in stats.monthly) == 3


def test_townships_and_villages_with_households_registered_above(cadres, data):
    stats = st.area_statistics(user=cadres["hubei"], code="420111", period=Y2025)
    assert stats.level == "township"
    rows = _rows(stats)
    # H4 sits at the county itself: its own row, marked direct.
    assert rows["420111"].direct and rows["420111"].households == 1
    assert rows["420111001"].households == 5 and not rows["420111001"].direct
    villages = _rows(st.area_statistics(user=cadres["hubei"], code="420111001", period=Y2025))
    assert villages["420111001001"].population == 5
    assert villages["420111001001"].poor_population == 3
    assert villages["420111001002"].population == 6  # H5 2 + H6 4
    assert villages["420111001002"].incidence is None  # no complete year: no data
    assert villages["420111001"].direct and villages["420111001"].poor_population == 4


def test_chosen_level_and_default_division(cadres, data):
    stats = st.area_statistics(user=cadres["hongshan"], period=Y2025, level="village")
    assert stats.parent.code == "420111"
    assert set(_rows(stats)) == {"420111001001", "420111001002", "420111001", "420111"}
    with pytest.raises(InvalidInput) as err:
        st.area_statistics(user=cadres["hongshan"], period=Y2025, level="province")
    assert "level" in err.value.fields


def test_outside_the_jurisdiction_is_404(cadres, data):
    with pytest.raises(Http404):
        st.area_statistics(user=cadres["hongshan"], code="420106", period=Y2025)
    with pytest.raises(Http404):
        st.area_statistics(user=cadres["hongshan"], code="420100", period=Y2025)
    with pytest.raises(Http404):
        st.area_statistics(user=cadres["wuhan"], code="999999", period=Y2025)
    with pytest.raises(Http404):
        exits.exit_report(user=cadres["wuchang"], code="420111", year=2025)


def test_a_reader_sees_only_their_part_of_a_township(cadres, data):
    stats = st.area_statistics(user=cadres["luonan"], period=Y2025)
    assert stats.parent.code == "420111001"
    assert stats.total.households == 5  # not H4 of the county, not 武昌
    assert stats.total.poor_population == 7


def test_the_province_row_of_the_poverty_line_wins(cadres, data):
    MonitoringThreshold.objects.filter(year=2025, province_code="420000").delete()
    stats = st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025)
    # Against the national 4,000: H1 (3,000) only; H3 4,750 and H4 4,800 are not poor.
    assert _rows(stats)["420111"].poor_population == 3


def test_without_a_poverty_line_there_is_no_incidence(cadres, data):
    MonitoringThreshold.objects.filter(year=2025).delete()
    stats = st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025)
    assert all(r.incidence is None for r in stats.rows)


def test_period_parsing():
    today = date(2026, 11, 29)
    assert st.statistics_period(today=today) == st.Period(date(2026, 1, 1), today)
    assert st.statistics_period(year=2025, today=today).income_year == 2025
    assert st.statistics_period(date_to=date(2026, 6, 30), today=today).income_year == 2025
    with pytest.raises(InvalidInput) as err:
        st.statistics_period(date_from=date(2026, 5, 1), date_to=date(2026, 4, 1), today=today)
    assert "from" in err.value.fields
    with pytest.raises(InvalidInput):
        st.statistics_period(year=2030, today=today)
    with pytest.raises(InvalidInput):
        st.statistics_period(year=2025, date_from=date(2025, 1, 1), today=today)


def test_the_query_count_does_not_grow_with_households(cadres, data, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025)
    for _ in range(5):
        make_household("420111001001", members=2, incomes={2025: {"wages": 1000}})
    with django_assert_max_num_queries(8):
        stats = st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025)
    assert _rows(stats)["420111"].poor_population == 18


# --- the exit standards ------------------------------------------------------------------------


def test_western_provinces_are_the_twelve():
    assert len(exits.WESTERN_PROVINCES) == 12
    assert exits.exit_standard("520102") == Decimal("0.03")  # 贵州
    assert exits.exit_standard("150102") == Decimal("0.03")  # 内蒙古
    assert exits.exit_standard("420111") == Decimal("0.02")


def test_exit_report_of_wuhan(cadres, data):
    report = exits.exit_report(user=cadres["hubei"], code="420100", year=2025)
    counties = {r.code: r for r in report.counties}
    assert counties["420111"].status == exits.FAILS
    assert counties["420111"].incidence == pytest.approx(0.8)
    assert counties["420106"].status == exits.MEETS  # 0 of 2 people
    assert counties["420106"].standard == Decimal("0.02") and not counties["420106"].western
    villages = {r.code: r for r in report.villages}
    assert set(villages) == {"420111001001", "420111001002"}
    assert villages["420111001001"].status == exits.FAILS
    assert (villages["420111001001"].poor_population,
            villages["420111001001"].assessed_population) == (3, 5)
    # No complete income year: listed as no data, never as meeting.
    assert villages["420111001002"].status == exits.NO_DATA
    assert villages["420111001002"].incidence is None


def test_exit_threshold_is_strict_and_western(cadres):
    """Incidence exactly at the standard does not meet it; 2.5 % meets in 贵州 only."""
    from shouwang.geo.models import Division, Level

    Division.objects.get_or_create(code="520000", defaults={"name": "贵州省", "level":
                                                            Level.PROVINCE, "parent_id": "000000"})
    Division.objects.get_or_create(code="520100", defaults={"name": "贵阳市", "level":
                                                            Level.PREFECTURE,
                                                            "parent_id": "520000"})
    Division.objects.get_or_create(code="520102", defaults={"name": "南明区", "level":
                                                            Level.COUNTY, "parent_id": "520100"})
    MonitoringThreshold.objects.create(year=2025, province_code="", poverty_line=Decimal(4000),
                                       multiple=Decimal("1.5"), amount=Decimal(6000))
    _ensure_division("420106001001")
    # 武昌: 1 poor person of 40 (2.5 %); 南明: the same.
    for code in ("420106001001", "520102"):
        make_household(code, members=1, incomes={2025: {"wages": 100}})
        make_household(code, members=39, incomes={2025: {"wages": 39 * 10000}})
    # 洪山: 1 of 50 = exactly 2 %.
    make_household("420111", members=1, incomes={2025: {"wages": 100}})
    make_household("420111", members=49, incomes={2025: {"wages": 49 * 10000}})
    from tests.factories import make_user

    nation = make_user("national_officer", "000000", username="lh-nation")
    wuhan = {r.code: r for r in exits.exit_report(user=nation, code="420100", year=2025).counties}
    assert wuhan["420106"].status == exits.FAILS  # 2.5 % ≥ 2 %
    assert wuhan["420111"].incidence == pytest.approx(0.02)
    assert wuhan["420111"].status == exits.FAILS  # not below 2 %
    guiyang = {r.code: r for r in exits.exit_report(user=nation, code="520100",
                                                 year=2025).counties}
    assert guiyang["520102"].western and guiyang["520102"].status == exits.MEETS
    village = exits.exit_report(user=nation, code="420106", year=2025).villages
    assert [(v.code, v.status) for v in village] == [("420106001001", exits.FAILS)]


def test_tables_above_the_county_sum_one_registry_pass(cadres, data):
    """A province's prefectures are the sums of its counties; a prefecture's villages give the
    map its counties — the same numbers as counted directly."""
    province = st.area_statistics(user=cadres["hubei"], code="420000", period=Y2025)
    wuhan = _rows(province)["4201"]
    assert (wuhan.households, wuhan.population, wuhan.lifted_out, wuhan.assessed_population,
            wuhan.poor_population, wuhan.monitored, wuhan.identified) == (7, 18, 2, 12, 8, 3, 3)
    assert _rows(province)["4206"].households == 0  # 襄阳市: a row of zeros
    villages = st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025,
                                  level="village")
    _parent, counties = st.county_map_statistics(user=cadres["hubei"], stats=villages)
    direct = _rows(st.area_statistics(user=cadres["hubei"], code="420100", period=Y2025))
    for row in counties:
        assert row == direct[row.key], row.key
    assert {r.key for r in counties} == {"420106", "420111"}
