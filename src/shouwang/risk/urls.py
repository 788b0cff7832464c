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
