"""Early-warning routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the warning app appends their own registrations below.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route

# --- Result pages and API: R_t, nowcast + forecast, clusters (views/results.py, api/results.py)


def _results(division_code: str) -> dict[str, str]:
    """A finished run of today with the division's series and a cluster centred on it; the
    route's parameter is the division itself."""
    from django.utils import timezone

    from tests.warning.results_factories import make_results

    make_results(timezone.localdate(), counts=False)
    return {"division": division_code}


_RESULT_QUERY = {"disease": "covid19"}
for _name in ("api:warning_series", "api:warning_rt_children", "warning:rt-division",
              "warning:forecast-division", "warning:clusters-division"):
    scoped_route(_name, body=_RESULT_QUERY)(_results)


# --- Alerts inbox, detail and workflow (api/alerts.py, views/alerts.py; decision 0970) ---------

_ASSIGNEE = "walker-alert-assignee"


def _alert(division_code: str, status: str = "new") -> dict[str, int]:
    """An alert as the nightly job raises it (version 1), and a county officer of the division
    who can be assigned to it."""
    from shouwang.accounts.models import User
    from shouwang.accounts.roles import Role
    from tests.factories import make_user
    from tests.warning.factories import make_alert

    if not User.objects.filter(username=_ASSIGNEE).exists():
        make_user(Role.COUNTY_OFFICER, division_code[:6], username=_ASSIGNEE)
    return {"alert_id": make_alert(division_code, status=status).pk}


scoped_route("api:warning_alert_detail")(_alert)
scoped_route("api:warning_alert_assign", method="post",
             body={"version": 1, "assignee": _ASSIGNEE})(_alert)
scoped_route("api:warning_alert_start", method="post", body={"version": 1})(_alert)
scoped_route("api:warning_alert_confirm", method="post",
             body={"version": 1, "linked_event": "walker"})(
    lambda code: _alert(code, status="verifying"))
scoped_route("api:warning_alert_dismiss", method="post",
             body={"version": 1, "reason": "walker"})(_alert)
scoped_route("api:warning_alert_note", method="post", body={"note": "walker"})(_alert)

scoped_route("warning:alert-detail")(_alert)
scoped_route("warning:alert-assign", method="post",
             body={"version": 1, "assignee": _ASSIGNEE})(_alert)
scoped_route("warning:alert-start", method="post", body={"version": 1})(_alert)
scoped_route("warning:alert-confirm", method="post",
             body={"version": 1, "linked_event": "walker"})(
    lambda code: _alert(code, status="verifying"))
scoped_route("warning:alert-dismiss", method="post",
             body={"version": 1, "reason": "walker"})(_alert)
scoped_route("warning:alert-note", method="post", body={"note": "walker"})(_alert)
