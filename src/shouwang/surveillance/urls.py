from django.urls import URLPattern, URLResolver, path

from shouwang.surveillance.views import counts as counts_views

app_name = "surveillance"

# Each sub-area of surveillance (cases, labs, imports, counts) adds its pages here.
urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns.append(path("curve/", counts_views.curve, name="curve"))

# --- Import wizard and line-list export (views/imports.py, views/exports.py; decision 0810)
from shouwang.surveillance.views import exports as export_views  # noqa: E402
from shouwang.surveillance.views import imports as import_views  # noqa: E402

urlpatterns += [
    path("imports/", import_views.import_index, name="imports"),
    path("imports/<int:batch_id>/", import_views.import_detail, name="import-detail"),
    path("exports/cases/", export_views.case_export, name="case-export"),
    path("exports/<int:job_id>/", export_views.export_job, name="export-job"),
]
