from django.urls import URLPattern, URLResolver

app_name = "risk"

# Officer pages (login). Each part of the risk app (levels and computation; overrides, history and
# rollup; rule sets and travel policies) appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []
