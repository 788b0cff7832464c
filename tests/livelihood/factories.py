"""Livelihood test data through the real services (services/households.py, incomes.py,
shocks.py): a household with its members, incomes and shocks.

    household = make_household("420111001", members=3, incomes={2025: {"wages": 30000}})
    flag = make_flag(household, target_group="marginal", triggers=["income_below"])

Signature stable for the other livelihood tests; everything after `division_code` keyword-only.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.core.validators import resident_id_check_char
from shouwang.livelihood.models import Household, MonitoringFlag, MonitoringRuleSet
from shouwang.livelihood.services.flags import flag_open
from shouwang.livelihood.services.households import household_create, member_add
from shouwang.livelihood.services.incomes import income_record_set
from shouwang.livelihood.services.shocks import shock_record
from tests.factories import make_user

_SEQ = itertools.count(1)
_RELATIONS = ("spouse", "child", "parent", "child", "grandchild", "sibling", "other")


def resident_id(serial: int, region: str = "420111", birth: str = "19800101") -> str:
    """A valid resident ID number (checksum right), unique per `serial` below 1000 × 366."""
    day = date.fromisoformat(f"{birth[:4]}-{birth[4:6]}-{birth[6:]}")
    day = date.fromordinal(day.toordinal() + serial // 1000)
    body = f"{region}{day:%Y%m%d}{serial % 1000:03d}"
    return body + resident_id_check_char(body)


def _cadre_for(division_code: str) -> User:
    username = f"lh-factory-{division_code}"
    existing = User.objects.filter(username=username).first()
    return existing or make_user(Role.LIVELIHOOD_CADRE, division_code, username=username)


def make_household(
    division_code: str,
    *,
    members: int | Sequence[Mapping[str, Any]] = 1,
    household_number: str | None = None,
    poverty_status: str = "never_poor",
    lifted_out_year: int | None = None,
    incomes: Mapping[int, Mapping[str, Any]] | None = None,
    shocks: Sequence[Mapping[str, Any]] = (),
    actor: User | None = None,
    **data: Any,
) -> Household:
    """A household of `division_code` (a known division at county level or below) made through
    the services by `actor` (a livelihood cadre of that division by default).

    `members`: a count (a head, then spouse, children …, each with a fresh valid ID number) or
    the members' data as member_add takes it (the first must be the head). `incomes`: {year:
    {component: amount}} of yearly records. `shocks`: shock_record's keyword arguments (without
    actor/household_id). Extra keywords go to household_create's data (address_detail …).
    """
    actor = actor or _cadre_for(division_code)
    serial = next(_SEQ)
    number = household_number or f"T{division_code}{serial:06d}"
    household = household_create(actor=actor, division_code=division_code, data={
        "household_number": number, "poverty_status": poverty_status,
        "lifted_out_year": lifted_out_year, **data})
    rows: Sequence[Mapping[str, Any]]
    if isinstance(members, int):
        rows = [{"name": f"成员{serial}-{i}",
                 "id_number": resident_id(serial * 100 + i, birth="19700101" if i == 0
                                          else "19900101"),
                 "relationship": "head" if i == 0 else _RELATIONS[(i - 1) % len(_RELATIONS)]}
                for i in range(members)]
    else:
        rows = members
    for row in rows:
        member_add(actor=actor, household_id=household.pk, data=row)
    for year, parts in (incomes or {}).items():
        for component, amount in parts.items():
            income_record_set(actor=actor, household_id=household.pk, year=year,
                              component=component, amount=Decimal(str(amount)))
    for shock in shocks:
        shock_record(actor=actor, household_id=household.pk, **shock)
    household.refresh_from_db()
    return household


def default_rule_set() -> MonitoringRuleSet:
    """The seeded rule set (migration 0003)."""
    return MonitoringRuleSet.objects.get(code="cn-relapse-2021", version=1)


def make_flag(household: Household, *, target_group: str = "marginal",
              triggers: Sequence[str] = ("income_below",),
              numbers: Mapping[str, Any] | None = None, reason: str = "人均纯收入低于监测标准",
              actor: User | None = None, **kwargs: Any) -> MonitoringFlag:
    """An open flag of `household` through services.flags.flag_open (the seeded rule set unless
    `rule_set=` is given; other keywords go to flag_open)."""
    kwargs.setdefault("rule_set", default_rule_set())
    return flag_open(household=household, target_group=target_group, triggers=list(triggers),
                     numbers=numbers or {"income_annual": 5200.0, "threshold": 6000.0},
                     reason=reason, actor=actor, **kwargs)
