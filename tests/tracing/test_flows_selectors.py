"""Where from, where to: importations by origin division and country, onward spread across
divisions from confirmed links, aggregated to a level and scoped to the viewer."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shouwang.core.errors import InvalidInput
from shouwang.tracing.selectors.flows import (
    Flow,
    FlowQuery,
    aggregate_code,
    country_name,
    flows_summary,
)
from tests.tracing.cases import make_case

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)
SINCE, UNTIL = DAY - timedelta(days=30), DAY + timedelta(days=30)


def q(level: str = "county", **over: Any) -> FlowQuery:
    args: dict[str, Any] = {"disease": "covid19", "since": SINCE, "until": UNTIL,
                            "level": level}
    args.update(over)
    return FlowQuery(**args)


def imported(code: str, *, origin: str = "", country: str = "", **over: Any) -> Any:
    return make_case(code, onset=DAY, imported=True, origin_division_code=origin,
                     origin_country=country, **over)


def confirm(actor: Any, pairs: list[tuple[Any, Any]]) -> None:
    from shouwang.tracing.services.links import links_confirm_bulk

    links_confirm_bulk(actor=actor, pairs=pairs)


def test_aggregate_code_cuts_to_the_level_and_keeps_coarser_codes() -> None:
    assert aggregate_code("420111003", "county") == "420111"
    assert aggregate_code("420111003", "prefecture") == "420100"
    assert aggregate_code("420111", "province") == "420000"
    assert aggregate_code("440100", "county") == "440100"
    assert country_name("SGP") != "SGP" and country_name("XYZ") == "XYZ"


def test_bad_query_names_each_field(officers: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as err:
        FlowQuery(disease="nope", since=UNTIL, until=SINCE, level="street")
    assert set(err.value.fields) == {"disease", "until", "level"}
    with pytest.raises(InvalidInput) as err:
        FlowQuery(disease="covid19", since=date(2020, 1, 1), until=date(2026, 1, 1))
    assert set(err.value.fields) == {"since"}


def test_importations_by_origin_division_and_country(officers: dict[str, Any]) -> None:
    imported("420106", origin="430102")
    imported("420106", origin="430102")
    imported("420106", origin="420111")
    imported("420111", origin="420106")            # outbound from 武昌区
    imported("420106", country="SGP")
    imported("420106", country="SGP", classification="suspected")   # not counted
    imported("430102", origin="420606")            # nothing to do with 武昌区
    make_case("420106", onset=DAY)                  # local

    flows = flows_summary(user=officers["wuchang"], query=q())
    assert flows.imported == [Flow("430102", "420106", 2, "inbound"),
                              Flow("420106", "420111", 1, "outbound"),
                              Flow("420111", "420106", 1, "inbound")]
    assert [(c.country, c.destination, c.count) for c in flows.countries] == [
        ("SGP", "420106", 1)]
    assert flows.country_totals()[0][0] == "SGP" and flows.country_totals()[0][2] == 1
    assert flows.imported_total == 4 and flows.imported_unknown == 0
    assert flows.places["430102"].name == "芙蓉区"
    assert flows.totals(flows.imported) == {"inbound": 3, "outbound": 1, "internal": 0}

    # 武汉市 sees both of its counties: the flow between them is internal; the city level
    # joins them (no flow within one city) and keeps 长沙市 → 武汉市.
    city = flows_summary(user=officers["wuhan"], query=q())
    assert Flow("420106", "420111", 1, "internal") in city.imported
    assert Flow("420111", "420106", 1, "internal") in city.imported
    assert flows_summary(user=officers["wuhan"], query=q("prefecture")).imported == [
        Flow("430100", "420100", 2, "inbound")]
    # Hubei sees the Hubei origin of the 芙蓉区 case as outbound, at province level too.
    hubei = flows_summary(user=officers["hubei"], query=q("province"))
    assert Flow("420000", "430000", 1, "outbound") in hubei.imported
    assert Flow("430000", "420000", 2, "inbound") in hubei.imported


def test_a_sibling_county_sees_none_of_another_countys_flows(officers: dict[str, Any]) -> None:
    imported("420106", origin="430102")
    imported("420106", country="USA")
    flows = flows_summary(user=officers["hongshan"], query=q())
    assert flows.imported == [] and flows.countries == [] and flows.imported_total == 0


def test_the_period_is_the_destination_cases_report_day(officers: dict[str, Any]) -> None:
    imported("420106", origin="430102")
    later = q(since=UNTIL + timedelta(days=1), until=UNTIL + timedelta(days=5))
    assert flows_summary(user=officers["wuchang"], query=later).imported == []
    assert flows_summary(user=officers["wuchang"], query=q(disease="influenza")).imported == []


def test_onward_spread_from_confirmed_links(officers: dict[str, Any]) -> None:
    a = make_case("430102", onset=DAY - timedelta(days=10))
    b = make_case("420106", onset=DAY - timedelta(days=5))
    c = make_case("420111", onset=DAY)
    d = make_case("420106", onset=DAY)
    confirm(officers["china"], [(a, b), (b, c), (b, d)])  # b → d stays in 武昌区

    wuchang = flows_summary(user=officers["wuchang"], query=q())
    assert wuchang.spread == [Flow("420106", "420111", 1, "outbound"),
                              Flow("430102", "420106", 1, "inbound")]
    hongshan = flows_summary(user=officers["hongshan"], query=q())
    assert hongshan.spread == [Flow("420106", "420111", 1, "inbound")]
    furong = flows_summary(user=officers["furong"], query=q())
    assert furong.spread == [Flow("430102", "420106", 1, "outbound")]
    city = flows_summary(user=officers["wuhan"], query=q("prefecture"))
    assert city.spread == [Flow("430100", "420100", 1, "inbound")]
    assert city.places["430100"].name == "长沙市"
