from django.urls import URLPattern, URLResolver

app_name = "warning"

# Each part of early warning (alerts inbox, Rt / nowcast / forecast charts, cluster map) appends
# its pages here.
urlpatterns: list[URLPattern | URLResolver] = []
