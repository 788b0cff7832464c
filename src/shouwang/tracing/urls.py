from django.urls import URLPattern, URLResolver

app_name = "tracing"

# Each part of tracing (investigations and clusters, contacts and hand-overs, chains, flows and
# imports) appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []
