"""Livelihood routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the livelihood app appends their own registrations in their own section below.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401

# --- registry: households, members, incomes, shocks (api/households.py, views/households.py;
# decision 1210). A household of 武昌区 (county level) with its head, made through the services;
# writes are walked by livelihood cadres (the sibling county's gets 404, the city's 200).
_SIB = ("livelihood_cadre", "420111")  # Role.LIVELIHOOD_CADRE
_PAR = ("livelihood_cadre", "420100")


def _household(division_code: str) -> dict[str, int]:
    from tests.livelihood.factories import make_household

    return {"household_id": make_household(division_code, members=1).pk}


def _member(division_code: str) -> dict[str, int]:
    from tests.livelihood.factories import make_household

    head = make_household(division_code, members=1).members.get()
    return {"member_id": head.pk}


for _name in ("api:livelihood_household", "api:livelihood_members", "api:livelihood_incomes",
              "api:livelihood_shocks"):
    scoped_route(_name)(_household)
scoped_route("api:livelihood_household_guarantees", method="put", body={
    "version": 1, "food_clothing_secure": True, "education_secure": True,
    "medical_secure": False, "housing_secure": True, "water_secure": True,
    "guarantees_checked_on": "2026-01-01"}, sibling=_SIB, parent=_PAR)(_household)
scoped_route("api:livelihood_member")(_member)
scoped_route("api:livelihood_member_leave", method="post", body={}, sibling=_SIB,
             parent=_PAR)(_member)
scoped_route("livelihood:household")(_household)
scoped_route("livelihood:household-edit", sibling=_SIB, parent=_PAR)(_household)
scoped_route("livelihood:member-edit", sibling=_SIB, parent=_PAR)(_member)

# --- signals (api/signals.py, views/signals.py; decision 1220): a signal on a household of the
# record's division, received from a cadre's visit. The walker's sibling/parent are livelihood
# cadres (county officers hold livelihood.read only: they would see, not decide).


def _signal(division_code: str) -> dict[str, int]:
    from shouwang.livelihood.models import Household
    from shouwang.livelihood.services.signals import signal_receive

    household = Household.objects.create(household_number=f"W-SIG-{division_code}",
                                         division_code=division_code)
    made = signal_receive(source="cadre_visit", household=household, summary="走查：务工中断",
                          details={})
    return {"signal_id": made.pk}


_SIBLING_CADRE = ("livelihood_cadre", "420111")  # Role.LIVELIHOOD_CADRE
_PARENT_CADRE = ("livelihood_cadre", "420100")
scoped_route("livelihood:signal", sibling=_SIBLING_CADRE, parent=_PARENT_CADRE)(_signal)
scoped_route("api:livelihood_signal", sibling=_SIBLING_CADRE, parent=_PARENT_CADRE)(_signal)
scoped_route("api:livelihood_signal_decide", method="post",
             body={"identified": False, "reason": "走查：收入稳定"},
             sibling=_SIBLING_CADRE, parent=_PARENT_CADRE)(_signal)

# --- assistance (api/assistance.py, views/flags_detail.py; decision 1240): an open flag of a
# household of the record's division (opened by the platform), a measure on it. Reads are walked
# by the default officers (they hold livelihood.read); the measure's end by livelihood cadres.


def _flag(division_code: str) -> dict[str, int]:
    from tests.livelihood.factories import make_flag, make_household

    return {"flag_id": make_flag(make_household(division_code, members=1)).pk}


def _measure(division_code: str) -> dict[str, int]:
    import datetime as _dt

    from shouwang.accounts.models import User
    from shouwang.livelihood.services.assistance import measure_add
    from tests.livelihood.factories import make_flag, make_household

    flag = make_flag(make_household(division_code, members=1))
    cadre = User.objects.get(username=f"lh-factory-{division_code}")
    started = _dt.date.today() - _dt.timedelta(days=10)
    measure = measure_add(actor=cadre, flag_id=flag.pk, data={
        "category": "employment", "description": "公益性岗位", "responsible": cadre.pk,
        "started_on": started.isoformat()})
    return {"measure_id": measure.pk}


scoped_route("livelihood:flag")(_flag)
scoped_route("api:livelihood_flag_measures")(_flag)
scoped_route("api:livelihood_flag_elimination")(_flag)
scoped_route("api:livelihood_flag_evidence")(_flag)
scoped_route("api:livelihood_household_visits")(_household)
scoped_route("api:livelihood_measure_end", method="post", body={
    "ended_on": __import__("datetime").date.today().isoformat()},
    sibling=_SIB, parent=_PAR)(_measure)

# --- statistics by area and the exit-standards report (views/statistics.py; decision 1250):
# the area is the record (its code in the path); a county officer of the sibling county gets
# 404, the city's 200 (officers hold livelihood.read). The API takes `?division=` (tested in
# tests/livelihood/test_statistics_pages.py).


def _statistics_area(division_code: str) -> dict[str, str]:
    return {"code": division_code}


for _name in ("livelihood:statistics-area", "livelihood:statistics-exit-area",
              "livelihood:statistics-exit-csv"):
    scoped_route(_name)(_statistics_area)

# --- monitoring rules (api/rules.py, views/rules.py; decision 1270): a county's own rule set
# of the record's division, made by a livelihood cadre there through the service; the sibling
# county's officer gets 404, the city's 200 (officers hold livelihood.read).


def _rule_set(division_code: str) -> dict[str, int]:
    from shouwang.accounts.models import User
    from shouwang.livelihood.services.rules import ruleset_create
    from tests.factories import make_user

    username = f"lh-rules-{division_code}"
    cadre = (User.objects.filter(username=username).first()
             or make_user("livelihood_cadre", division_code, username=username))
    made = ruleset_create(actor=cadre, data={
        "code": f"rules-{division_code}", "name": "县级监测规则", "kind": "relapse_monitoring",
        "scope": division_code, "effective_from": "2030-01-01", "params": {"drop_pct": 25}})
    return {"ruleset_id": made.pk}


scoped_route("livelihood:rules-detail")(_rule_set)
scoped_route("api:livelihood_rules_detail")(_rule_set)

# --- monitoring (api/flags.py, views/flags.py; decision 1230): a flag of a household of the
# record's division (the same maker as the assistance part's). The list pages and the runs have
# no record in their path (their scoping is tested in tests/livelihood/test_monitoring_pages.py).
scoped_route("api:livelihood_flag")(_flag)
