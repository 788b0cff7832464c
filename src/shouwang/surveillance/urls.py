from django.urls import URLPattern, URLResolver, path

from shouwang.surveillance.views import counts as counts_views

app_name = "surveillance"

# Each sub-area of surveillance (cases, labs, imports, counts) adds its pages here.
urlpatterns: list[URLPattern | URLResolver] = []
urlpatterns.append(path("curve/", counts_views.curve, name="curve"))

# --- Case pages (views/case_*.py, tasks.py, timeliness.py; docs/decisions/0610-case-pages.md)
from shouwang.surveillance.views import case_detail as cd  # noqa: E402
from shouwang.surveillance.views import case_duplicates as cdup  # noqa: E402
from shouwang.surveillance.views import case_form as cf  # noqa: E402
from shouwang.surveillance.views import case_list as cl  # noqa: E402
from shouwang.surveillance.views import tasks as task_views  # noqa: E402
from shouwang.surveillance.views import timeliness as tl  # noqa: E402

urlpatterns += [
    path("cases/", cl.case_list, name="case-list"),
    path("cases/new/", cf.case_new, name="case-new"),
    path("cases/bulk/", cl.case_bulk, name="case-bulk"),
    path("cases/duplicates/", cdup.duplicate_list, name="case-duplicates"),
    path("cases/duplicates/<int:candidate_id>/merge/", cdup.duplicate_merge,
         name="case-duplicate-merge"),
    path("cases/duplicates/<int:candidate_id>/dismiss/", cdup.duplicate_dismiss,
         name="case-duplicate-dismiss"),
    path("cases/<int:case_id>/", cd.case_detail, name="case-detail"),
    path("cases/<int:case_id>/correct/", cf.case_correct, name="case-correct"),
    path("cases/<int:case_id>/reclassify/", cd.case_reclassify, name="case-reclassify"),
    path("cases/<int:case_id>/outcome/", cd.case_outcome, name="case-outcome"),
    path("cases/<int:case_id>/verify/", cd.case_verify, name="case-verify"),
    path("cases/<int:case_id>/revoke/", cd.case_revoke, name="case-revoke"),
    path("cases/<int:case_id>/restore/", cd.case_restore, name="case-restore"),
    path("cases/<int:case_id>/unmerge/", cd.case_unmerge, name="case-unmerge"),
    path("tasks/", task_views.task_list, name="task-list"),
    path("timeliness/", tl.timeliness, name="timeliness"),
]

# --- Import wizard and line-list export (views/imports.py, views/exports.py; decision 0810)
from shouwang.surveillance.views import exports as export_views  # noqa: E402
from shouwang.surveillance.views import imports as import_views  # noqa: E402

urlpatterns += [
    path("imports/", import_views.import_index, name="imports"),
    path("imports/<int:batch_id>/", import_views.import_detail, name="import-detail"),
    path("exports/cases/", export_views.case_export, name="case-export"),
    path("exports/<int:job_id>/", export_views.export_job, name="export-job"),
]
