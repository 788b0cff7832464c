"""The page "输入与外溢" (where from, where to): the flows of tracing/selectors/flows.py as
tables, a map of arcs between division centroids and a bar chart of countries of origin.

The map and the chart are drawn by static/tracing/flows.js from a JSON data island (the CSP
forbids inline scripts) on the boundary files of the geo app; nothing is fetched from outside.
Decision: docs/decisions/1040-flows-import-and-demo.md.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.validators import query_date
from shouwang.geo.models import Division
from shouwang.surveillance.models import Disease
from shouwang.surveillance.views.case_common import disease_label
from shouwang.tracing.api.flows import flows_payload
from shouwang.tracing.selectors import flows as selectors

READ = "tracing.read"


def _direction_labels() -> dict[str, str]:
    return {"inbound": _("输入本辖区"), "outbound": _("自本辖区外溢"),
            "internal": _("辖区内跨区划")}


@require_capability(READ)
def flows_page(request: AuthedRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    get = request.GET
    disease = get.get("disease") or None
    if disease and not Disease.objects.filter(code=disease).exists():
        errors["disease"] = [_("未知病种。")]
        disease = None
    since = query_date(get.get("since", ""), "since", errors)
    until = query_date(get.get("until", ""), "until", errors)
    level = get.get("level") or "county"
    if level not in selectors.LEVELS:
        errors["level"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(selectors.LEVELS)}]
        level = "county"
    query = None
    try:
        query = selectors.flows_query(user=request.user, disease=disease, since=since,
                                      until=until, level=level)
    except InvalidInput as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.fields.items()})
        query = selectors.flows_query(user=request.user, disease=disease, level=level)
    division = request.user.division
    context: dict[str, Any] = {
        "errors": errors, "query": query, "levels": list(selectors.LEVEL_LABELS.items()),
        "diseases": [(d.code, disease_label(d)) for d in Disease.objects.filter(active=True)],
        "division": division,
        "division_name": (division.name_en if division is not None and division.name_en
                          and (get_language() or "").startswith("en")
                          else division.name if division is not None else ""),
        "directions": _direction_labels(),
        "can_import": request.user.has_capability("tracing.write"),
    }
    if query is not None:
        result = selectors.flows_summary(user=request.user, query=query)
        data = flows_payload(result)
        context.update(
            result=result, data=data,
            disease_name=disease_label(Disease.objects.get(code=query.disease)),
            imported_totals=result.totals(result.imported),
            spread_totals=result.totals(result.spread),
            countries_known=sum(n for _c, _n, n in result.country_totals()),
        )
        prefix = result.prefix
        context["map"] = {
            # A city or county is drawn among the counties of its city, its own darker.
            "prefix": prefix[:4] if len(prefix) >= 4 else "",
            "jurisdiction": prefix,
            "counties": static("geo/counties.geojson"),
            "provinces": static("geo/provinces.geojson"),
            "imported": data["imported"], "spread": data["spread"],
            "places": data["places"], "countries": data["country_totals"],
            "home": _home(division),
            "labels": {
                "imported": _("输入（按来源地）"), "spread": _("传播关系（跨区划）"),
                "cases": _("例"), "links": _("条"),
                "inbound": _("输入本辖区"), "outbound": _("自本辖区外溢"),
                "internal": _("辖区内跨区划"), "countries": _("境外输入来源国家"),
                "all": _("全部流向"), "zoom": _("本辖区"),
            },
        }
    return render(request, "tracing/flow_page.html", context)


def _home(division: Division | None) -> dict[str, Any] | None:
    if division is None or division.longitude is None or division.latitude is None:
        return None
    return {"code": division.code, "name": division.name, "lon": division.longitude,
            "lat": division.latitude}
