from django.urls import URLPattern, URLResolver, path

from shouwang.surveillance.views import counts as counts_views

app_name = "surveillance"

# Each sub-area of surveillance (cases, labs, imports, counts) adds its pages here.
urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns.append(path("curve/", counts_views.curve, name="curve"))
