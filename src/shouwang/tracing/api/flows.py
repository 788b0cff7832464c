"""/api/v1/tracing/flows: where the jurisdiction's cases came from and where they spread.

Counts only: importations by origin division (aggregated to `level`) and by country, onward
spread along confirmed transmission links between divisions, each flow marked inbound, outbound
or internal to the caller's jurisdiction. Without `disease`/`since`/`until` the flows of the
jurisdiction's latest cases are returned (the half year up to its latest report). Bad filters
answer 422 field by field.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.tracing.selectors import flows as selectors

router = Router(tags=["tracing: flows"])

READ = "tracing.read"


class FlowsIn(Schema):
    disease: str | None = None
    since: date | None = None
    until: date | None = None
    level: str = "county"


class FlowOut(Schema):
    origin_code: str
    origin_name: str
    destination_code: str
    destination_name: str
    count: int
    direction: str  # inbound, outbound, internal


class CountryFlowOut(Schema):
    country: str  # ISO 3166-1 alpha-3
    country_name: str
    destination_code: str
    destination_name: str
    count: int


class CountryTotalOut(Schema):
    country: str
    country_name: str
    count: int


class PlaceOut(Schema):
    code: str
    name: str
    longitude: float | None
    latitude: float | None


class FlowsOut(Schema):
    disease: str | None
    since: date
    until: date
    level: str
    jurisdiction: str  # the caller's division prefix ("" for the nation)
    imported_total: int
    imported_unknown_origin: int
    imported: list[FlowOut]
    countries: list[CountryFlowOut]
    country_totals: list[CountryTotalOut]
    spread: list[FlowOut]
    places: list[PlaceOut]


def _english() -> bool:
    return (get_language() or "").startswith("en")


def flows_payload(result: selectors.Flows) -> dict[str, Any]:
    """The summary as plain data (also the page's map data)."""
    english = _english()

    def name(code: str) -> str:
        p = result.places.get(code)
        if p is None:
            return code
        return p.name_en if english and p.name_en else p.name

    def flow(f: selectors.Flow) -> dict[str, Any]:
        return {"origin_code": f.origin, "origin_name": name(f.origin),
                "destination_code": f.destination, "destination_name": name(f.destination),
                "count": f.count, "direction": f.direction}

    q = result.query
    return {
        "disease": q.disease, "since": q.since, "until": q.until, "level": q.level,
        "jurisdiction": result.prefix, "imported_total": result.imported_total,
        "imported_unknown_origin": result.imported_unknown,
        "imported": [flow(f) for f in result.imported],
        "countries": [{"country": c.country, "country_name": selectors.country_name(c.country),
                       "destination_code": c.destination, "destination_name": name(c.destination),
                       "count": c.count} for c in result.countries],
        "country_totals": [{"country": c, "country_name": n, "count": k}
                           for c, n, k in result.country_totals()],
        "spread": [flow(f) for f in result.spread],
        "places": [{"code": p.code, "name": name(p.code), "longitude": p.longitude,
                    "latitude": p.latitude} for p in result.places.values()],
    }


@router.get("", response=FlowsOut,
            summary="Importations by origin and onward spread across divisions (counts)")
def tracing_flows(request: AuthedRequest, params: Query[FlowsIn]) -> Any:
    check_capability(request, READ)
    query = selectors.flows_query(user=request.user, disease=params.disease,
                                  since=params.since, until=params.until, level=params.level)
    if query is None:
        raise InvalidInput({"disease": [_("本辖区还没有病例，请指定病种。")]})
    return flows_payload(selectors.flows_summary(user=request.user, query=query))
