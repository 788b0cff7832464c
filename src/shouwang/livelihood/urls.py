from django.urls import URLPattern, URLResolver

app_name = "livelihood"

# Each part of the livelihood app appends its pages below, in its own section.
urlpatterns: list[URLPattern | URLResolver] = []

# --- signals (views/signals.py; decision 1220): the cadres' pages and the household's own
# report (no login)
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import signals as signal_views  # noqa: E402

urlpatterns += [
    path("signals/", signal_views.signal_list, name="signals"),
    path("signals/new/", signal_views.signal_new, name="signal-new"),
    path("signals/<int:signal_id>/", signal_views.signal_detail, name="signal"),
    path("report/", signal_views.self_report, name="self-report"),
]

# --- registry: households, members, incomes, shocks (views/households.py; decision 1210)
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import households as household_views  # noqa: E402

urlpatterns += [
    path("households/", household_views.household_list, name="households"),
    path("households/new/", household_views.household_new, name="household-new"),
    path("households/<int:household_id>/", household_views.household_detail, name="household"),
    path("households/<int:household_id>/edit/", household_views.household_edit,
         name="household-edit"),
    path("members/<int:member_id>/edit/", household_views.member_edit, name="member-edit"),
]

# --- assistance: the flag's page, the household's monitoring dossier (views/flags_detail.py;
# decision 1240). Its forms (measures, visits, elimination) post to the page itself.
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import flags_detail as flag_detail_views  # noqa: E402

urlpatterns += [
    path("flags/<int:flag_id>/", flag_detail_views.flag_detail, name="flag"),
]

# --- statistics by area and the exit-standards report (views/statistics.py; decision 1250)
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import statistics as statistics_views  # noqa: E402

urlpatterns += [
    path("statistics/", statistics_views.statistics_page, name="statistics"),
    path("statistics/exit-report/", statistics_views.exit_report_page, name="statistics-exit"),
    path("statistics/<str:code>/", statistics_views.statistics_page, name="statistics-area"),
    path("statistics/<str:code>/exit-report/", statistics_views.exit_report_page,
         name="statistics-exit-area"),
    path("statistics/<str:code>/exit-report.csv", statistics_views.exit_report_csv,
         name="statistics-exit-csv"),
]

# --- rules and thresholds (views/rules.py; decision 1270)
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import rules as rules_views  # noqa: E402

urlpatterns += [
    path("rules/", rules_views.rules_list, name="rules"),
    path("rules/new/", rules_views.rules_new, name="rules-new"),
    path("rules/<int:ruleset_id>/", rules_views.rules_detail, name="rules-detail"),
    path("thresholds/", rules_views.thresholds, name="thresholds"),
]

# --- monitoring: the flag list and the monitoring passes (views/flags.py; decision 1230)
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import flags as flag_views  # noqa: E402

urlpatterns += [
    path("flags/", flag_views.flag_list, name="flags"),
    path("runs/", flag_views.run_list, name="runs"),
]

# --- household register import (views/household_import.py; decision 1280)
from django.urls import path  # noqa: E402

from shouwang.livelihood.views import household_import as household_import_views  # noqa: E402

urlpatterns += [
    path("households/import/", household_import_views.household_import,
         name="household-import"),
    path("households/import/template.csv", household_import_views.household_import_template,
         name="household-import-template"),
]
