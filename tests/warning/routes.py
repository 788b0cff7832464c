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
