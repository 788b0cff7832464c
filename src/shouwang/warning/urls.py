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

# --- Alerts inbox, one alert and its actions, notifications (views/alerts.py; decision 0970)
from shouwang.warning.views import alerts as alert_views  # noqa: E402

urlpatterns += [
    path("alerts/", alert_views.alert_inbox, name="alerts"),
    path("alerts/<int:alert_id>/", alert_views.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/assign/", alert_views.alert_assign, name="alert-assign"),
    path("alerts/<int:alert_id>/start/", alert_views.alert_start, name="alert-start"),
    path("alerts/<int:alert_id>/confirm/", alert_views.alert_confirm, name="alert-confirm"),
    path("alerts/<int:alert_id>/dismiss/", alert_views.alert_dismiss, name="alert-dismiss"),
    path("alerts/<int:alert_id>/note/", alert_views.alert_note, name="alert-note"),
    path("notifications/", alert_views.notification_list, name="notifications"),
    path("notifications/read/", alert_views.notification_mark_read, name="notifications-read"),
]
