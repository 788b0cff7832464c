from django.contrib import admin
from django.urls import include, path

from shouwang.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("shouwang.accounts.urls")),
    path("audit/", include("shouwang.core.urls")),
    path("geo/", include("shouwang.geo.urls")),
    path("surveillance/", include("shouwang.surveillance.urls")),
    path("warning/", include("shouwang.warning.urls")),
    path("tracing/", include("shouwang.tracing.urls")),
    path("risk/", include("shouwang.risk.urls")),
    path("public/risk/", include("shouwang.risk.public_urls")),
    path("livelihood/", include("shouwang.livelihood.urls")),
    path("", include("shouwang.dashboard.urls")),
]
