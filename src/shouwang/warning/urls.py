from django.urls import URLPattern, URLResolver

app_name = "warning"

# Each part of early warning (alerts inbox, Rt / nowcast / forecast charts, cluster map) appends
# its pages here.
urlpatterns: list[URLPattern | URLResolver] = []

# --- Result pages: R_t, nowcast + forecast, cluster map (views/results.py; decision 0980)
from django.urls import path  # noqa: E402

from shouwang.warning.views import results as result_views  # noqa: E402

urlpatterns += [
    path("rt/", result_views.rt_page, name="rt"),
    path("rt/<str:division>/", result_views.rt_page, name="rt-division"),
    path("forecast/", result_views.forecast_page, name="forecast"),
    path("forecast/<str:division>/", result_views.forecast_page, name="forecast-division"),
    path("clusters/", result_views.clusters_page, name="clusters"),
    path("clusters/<str:division>/", result_views.clusters_page, name="clusters-division"),
]
