from django.urls import URLPattern, URLResolver, path, re_path

from shouwang.risk.views import public, public_downloads

app_name = "risk-public"

# Public pages without login: the risk map, the list of medium- and high-risk areas, place
# search, JSON and CSV downloads (views/public.py; decision 1130). Nothing personal, ever.
urlpatterns: list[URLPattern | URLResolver] = []

# --- public map, areas, search, downloads (views/public.py, views/public_downloads.py) ---
urlpatterns += [
    path("", public.risk_map, name="map"),
    path("areas/", public.areas, name="areas"),
    path("search/", public.search, name="search"),
    path("levels.json", public_downloads.levels_json, name="levels-json"),
    path("levels.csv", public_downloads.levels_csv, name="levels-csv"),
    re_path(r"^(?P<province>[0-9]{2})/$", public.risk_map, name="province"),
]

# --- the travel check: what applies from X to Y (views/travel.py; decision 1120) ---
from shouwang.risk.views import travel as travel_views  # noqa: E402

urlpatterns += [
    path("travel/", travel_views.public_travel, name="travel"),
    path("travel.json", travel_views.public_travel_json, name="travel-json"),
]

# --- one area's public page: level, reason, 90-day history (views/public_area.py; 1130) ---
from shouwang.risk.views import public_area  # noqa: E402

urlpatterns += [
    re_path(r"^areas/(?P<code>[0-9]{6}|[0-9]{9}|[0-9]{12})/$", public_area.area, name="area"),
]
