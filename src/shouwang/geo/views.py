"""Division pages: browse province → prefecture → county as tables and maps."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from shouwang.geo import selectors
from shouwang.geo.models import NATION_CODE, Level


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return division(request, NATION_CODE)


@login_required
def division(request: HttpRequest, code: str) -> HttpResponse:
    current = selectors.division_get(code)
    children = list(selectors.division_children(code))
    map_config = _map_config(current.code, current.level, current.prefix)
    return render(request, "geo/division.html", {
        "division": current,
        "path": selectors.division_path(current),
        "children": children,
        "map": map_config,
        "stats": selectors.division_stats() if current.level == Level.NATION else None,
    })


def _map_config(code: str, level: str, prefix: str) -> dict[str, str] | None:
    """What the map draws: the provinces for the nation; the counties of the province or
    prefecture, coloured by prefecture; the county itself."""
    if level == Level.NATION:
        return {"geojson": static("geo/provinces.geojson"), "prefix": "", "group": "2",
                "link": "self"}
    if level in (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY):
        # In a province, a click on a county opens its prefecture: the next step down.
        return {"geojson": static("geo/counties.geojson"), "prefix": prefix,
                "group": "4" if level == Level.PROVINCE else "6",
                "link": "group" if level == Level.PROVINCE else "self",
                "highlight": code if level == Level.COUNTY else ""}
    return None


# plotly.min.js is served from the installed plotly package, so that the script always matches
# the locked version and no 4.8 MB copy lives in the repository. The CSP allows scripts from
# this origin only, and the pages load it as a static file, never inline.
PLOTLY_JS = "plotly/package_data/plotly.min.js"


@require_GET
def plotly_js(request: HttpRequest) -> FileResponse:
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    response = FileResponse(path.open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=604800"
    return response
