from django.urls import URLPattern, URLResolver

app_name = "risk"

# Officer pages (login). Each part of the risk app (levels and computation; overrides, history and
# rollup; rule sets and travel policies) appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []

# --- Levels in force, area history and overrides, changes, rollup (views/levels.py,
# views/overrides.py; decision 1110)
from django.urls import path  # noqa: E402

from shouwang.risk.views import levels as level_views  # noqa: E402

urlpatterns += [
    path("", level_views.overview, name="levels"),
    path("changes/", level_views.changes, name="changes"),
    path("areas/<str:code>/", level_views.area_page, name="area"),
]

# --- Rule sets and travel policies (views/rulesets.py, views/travel.py; decision 1120)
from django.urls import path  # noqa: E402

from shouwang.risk.views import rulesets as ruleset_views  # noqa: E402
from shouwang.risk.views import travel as travel_views  # noqa: E402

urlpatterns += [
    path("rules/", ruleset_views.ruleset_list, name="rulesets"),
    path("rules/new/", ruleset_views.ruleset_new, name="ruleset-new"),
    path("rules/<int:ruleset_id>/", ruleset_views.ruleset_detail, name="ruleset-detail"),
    path("travel/", travel_views.travel_page, name="travel"),
    path("travel/new/", travel_views.travel_new, name="travel-new"),
]
