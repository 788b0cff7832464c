"""/api/v1: one NinjaAPI composed from each app's router."""

from __future__ import annotations

from ninja import NinjaAPI

from shouwang.api.auth import SessionAuth, TokenAuth
from shouwang.api.errors import install_error_handlers

api = NinjaAPI(
    title="Shouwang API",
    version="1",
    description="守望 — epidemic prevention and control, relapse-into-poverty monitoring.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)
install_error_handlers(api)

from shouwang.accounts.api import router as accounts_router  # noqa: E402
from shouwang.core.api import router as audit_router  # noqa: E402
from shouwang.core.jobs_api import router as jobs_router  # noqa: E402
from shouwang.geo.api import router as geo_router  # noqa: E402
from shouwang.surveillance.api.cases import router as cases_router  # noqa: E402
from shouwang.surveillance.api.counts import router as counts_router  # noqa: E402
from shouwang.surveillance.api.exports import router as exports_router  # noqa: E402
from shouwang.surveillance.api.imports import router as imports_router  # noqa: E402
from shouwang.surveillance.api.labs import router as labs_router  # noqa: E402
from shouwang.surveillance.api.timeliness import router as timeliness_router  # noqa: E402

api.add_router("/accounts", accounts_router)
api.add_router("/audit", audit_router)
api.add_router("/jobs", jobs_router)
api.add_router("/geo", geo_router)
api.add_router("/surveillance/cases", cases_router)
api.add_router("/surveillance/labs", labs_router)
api.add_router("/surveillance/timeliness", timeliness_router)
api.add_router("/surveillance/counts", counts_router)
api.add_router("/surveillance/exports", exports_router)
api.add_router("/surveillance/imports", imports_router)

from shouwang.warning.api.results import router as warning_results_router  # noqa: E402

api.add_router("/warning", warning_results_router)

from shouwang.warning.api.alerts import router as warning_alerts_router  # noqa: E402

api.add_router("/warning/alerts", warning_alerts_router)

# --- tracing: flows (where from, where to) and imports of link lists (decision 1040)
from shouwang.tracing.api.flows import router as tracing_flows_router  # noqa: E402

api.add_router("/tracing/flows", tracing_flows_router)

from shouwang.tracing.api.imports import router as tracing_imports_router  # noqa: E402

api.add_router("/tracing/imports", tracing_imports_router)

from shouwang.tracing.api.contacts import router as tracing_contacts_router  # noqa: E402

api.add_router("/tracing/contacts", tracing_contacts_router)

# --- tracing: investigations, exposures, settings and clusters (decision 1010)
from shouwang.tracing.api.clusters import router as tracing_clusters_router  # noqa: E402
from shouwang.tracing.api.investigations import (  # noqa: E402
    router as tracing_investigations_router,
)

api.add_router("/tracing/investigations", tracing_investigations_router)
api.add_router("/tracing/clusters", tracing_clusters_router)

# --- tracing: transmission chains and links (tracing/api/chains.py; decision 1030)
from shouwang.tracing.api.chains import links_router as tracing_links_router  # noqa: E402
from shouwang.tracing.api.chains import router as tracing_chains_router  # noqa: E402

api.add_router("/tracing/chains", tracing_chains_router)
api.add_router("/tracing/links", tracing_links_router)

# --- risk: each part of the risk app adds its routers below (decisions 1100-1130)

# --- risk: levels in force, area history, rollup, overrides (officers; decision 1110)
from shouwang.risk.api.levels import router as risk_levels_router  # noqa: E402
from shouwang.risk.api.overrides import router as risk_overrides_router  # noqa: E402

api.add_router("/risk", risk_levels_router)
api.add_router("/risk/overrides", risk_overrides_router)

# --- risk: rule sets, travel policies and what applies to a trip (decision 1120)
from shouwang.risk.api.rulesets import router as risk_rulesets_router  # noqa: E402
from shouwang.risk.api.travel import policies_router as risk_travel_policies_router  # noqa: E402
from shouwang.risk.api.travel import router as risk_travel_router  # noqa: E402

api.add_router("/risk/rulesets", risk_rulesets_router)
api.add_router("/risk/travel-policies", risk_travel_policies_router)
api.add_router("/risk/travel", risk_travel_router)

# --- livelihood: each part of the livelihood app adds its routers below (decisions 1200-)
# --- livelihood: the household registry, incomes and shocks (decision 1210)
from shouwang.livelihood.api.households import (  # noqa: E402
    members_router as livelihood_members_router,
)
from shouwang.livelihood.api.households import (  # noqa: E402
    router as livelihood_households_router,
)

api.add_router("/livelihood/households", livelihood_households_router)
api.add_router("/livelihood/members", livelihood_members_router)

# --- livelihood: signals from three sources, with the time limit (decision 1220)
from shouwang.livelihood.api.signals import (  # noqa: E402
    department_router as livelihood_department_signals_router,
)
from shouwang.livelihood.api.signals import router as livelihood_signals_router  # noqa: E402

api.add_router("/livelihood/signals", livelihood_signals_router)
api.add_router("/livelihood/department-signals", livelihood_department_signals_router)

# --- livelihood: assistance measures, follow-up visits, elimination with evidence (decision 1240)
from shouwang.livelihood.api.assistance import (  # noqa: E402
    router as livelihood_assistance_router,
)

api.add_router("/livelihood/assistance", livelihood_assistance_router)

# --- livelihood: statistics by area and the exit-standards report (decision 1250)
from shouwang.livelihood.api.statistics import (  # noqa: E402
    router as livelihood_statistics_router,
)

api.add_router("/livelihood/statistics", livelihood_statistics_router)

# --- livelihood: monitoring rule sets and lines (decision 1270)
from shouwang.livelihood.api.rules import router as livelihood_rules_router  # noqa: E402
from shouwang.livelihood.api.rules import (  # noqa: E402
    thresholds_router as livelihood_thresholds_router,
)

api.add_router("/livelihood/rules", livelihood_rules_router)
api.add_router("/livelihood/thresholds", livelihood_thresholds_router)

# --- livelihood: monitoring flags and passes, read only (decision 1230)
from shouwang.livelihood.api.flags import router as livelihood_flags_router  # noqa: E402
from shouwang.livelihood.api.flags import runs_router as livelihood_runs_router  # noqa: E402

api.add_router("/livelihood/flags", livelihood_flags_router)
api.add_router("/livelihood/runs", livelihood_runs_router)
