"""Risk routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the risk app appends their own registrations in their own section below.
Public routes (no login, no personal data) are `unscoped_route` with the reason.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route

# --- public pages (views/public.py; decision 1130) --------------------------------------------
unscoped_route("risk-public:province",
               "the public map zoomed into a province: published levels and division names "
               "only, open to anyone without login")
unscoped_route("risk-public:area",
               "one area's public page: its published levels, their reasons and division "
               "names only, open to anyone without login")

# --- Levels in force, area history, overrides (api/levels.py, api/overrides.py,
# views/levels.py, views/overrides.py; decision 1110). The area page and the history API take
# the area's code; the revocation an override made in the area by the province's officer.


def _area(division_code: str) -> dict[str, str]:
    return {"code": division_code}


def _override(division_code: str) -> dict[str, int]:
    from shouwang.accounts.roles import Role
    from shouwang.risk.services.overrides import override_create
    from tests.factories import make_user

    province = make_user(Role.PROVINCIAL_OFFICER, division_code[:2] + "0000",
                         username=f"risk-walker-province-{division_code}")
    made = override_create(actor=province, disease="covid19", division_code=division_code,
                           level="high", reason="走查：发现聚集性疫情")
    return {"override_id": made.pk}


scoped_route("risk:area")(_area)
scoped_route("api:risk_area_history")(_area)
scoped_route("api:risk_override_revoke", method="post", body={"reason": "走查：核实为误报"},
             sibling=("provincial_officer", "430000"),  # Role.PROVINCIAL_OFFICER
             parent=("provincial_officer", "420000"))(_override)

# --- Rule sets and travel policies (api/rulesets.py, views/rulesets.py; decision 1120) --------
# A rule set of 武昌区's own (scope 420106), made by 湖北省: the sibling county's officer gets
# 404, the city's 200. Travel policies and the travel check take no path parameter.


def _rule_set(division_code: str) -> dict[str, int]:
    from datetime import timedelta

    from django.utils import timezone

    from shouwang.accounts.roles import Role
    from shouwang.risk.services.rulesets import ruleset_create
    from tests.factories import make_user

    province = make_user(Role.PROVINCIAL_OFFICER, division_code[:2] + "0000",
                         username=f"risk-walker-rules-{division_code}")
    made = ruleset_create(actor=province, data={
        "code": f"walker-{division_code}", "name": "走查规则", "kind": "window_threshold",
        "disease": "covid19", "levels": ["township", "village"], "scope": division_code,
        "effective_from": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "params": {"window_days": 14, "high_threshold": 10, "classifications": ["confirmed"]}})
    return {"ruleset_id": made.pk}


scoped_route("risk:ruleset-detail")(_rule_set)
scoped_route("api:risk_ruleset_detail")(_rule_set)
