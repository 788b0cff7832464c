from django.urls import URLPattern, URLResolver

app_name = "tracing"

# Each part of tracing (investigations and clusters, contacts and hand-overs, chains, flows and
# imports) appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []

# --- Flows (where from, where to) and imports (views/flows.py; decision 1040)
from django.urls import path  # noqa: E402

from shouwang.tracing.views import flows as flow_views  # noqa: E402

urlpatterns += [
    path("flows/", flow_views.flows_page, name="flows"),
]
