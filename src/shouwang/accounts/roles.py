"""Roles, the division level each may be bound to, and the capabilities each holds.

Kept as data: a capability is `<area>.<verb>`; later capabilities add their areas here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouwang.geo.models import Level


class Role(models.TextChoices):
    NATIONAL_OFFICER = "national_officer", _("国家级疾控人员")
    PROVINCIAL_OFFICER = "provincial_officer", _("省级疾控人员")
    CITY_OFFICER = "city_officer", _("市级疾控人员")
    COUNTY_OFFICER = "county_officer", _("县级疾控人员")
    GRID_WORKER = "grid_worker", _("社区网格员")
    PORT_OFFICER = "port_officer", _("口岸检疫人员")
    LABORATORY = "laboratory", _("实验室")
    LIVELIHOOD_CADRE = "livelihood_cadre", _("防返贫监测干部")
    AUDITOR = "auditor", _("审计员")
    SYSADMIN = "sysadmin", _("系统管理员")


# Which division levels a user of each role may be bound to.
ALLOWED_LEVELS: dict[str, frozenset[str]] = {
    Role.NATIONAL_OFFICER: frozenset({Level.NATION}),
    Role.PROVINCIAL_OFFICER: frozenset({Level.PROVINCE}),
    Role.CITY_OFFICER: frozenset({Level.PREFECTURE}),
    Role.COUNTY_OFFICER: frozenset({Level.COUNTY}),
    Role.GRID_WORKER: frozenset({Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}),
    Role.PORT_OFFICER: frozenset({Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}),
    Role.LABORATORY: frozenset({Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}),
    # From the national rural revitalisation administration (which sets the national monitoring
    # line) down to the village.
    Role.LIVELIHOOD_CADRE: frozenset(
        {Level.NATION, Level.PROVINCE, Level.PREFECTURE, Level.COUNTY, Level.TOWNSHIP,
         Level.VILLAGE}
    ),
    Role.AUDITOR: frozenset({Level.NATION, Level.PROVINCE, Level.PREFECTURE, Level.COUNTY}),
    Role.SYSADMIN: frozenset({Level.NATION, Level.PROVINCE}),
}

# Roles whose accounts must pass a TOTP second factor before they see anything.
SECOND_FACTOR_REQUIRED: frozenset[str] = frozenset(
    {Role.NATIONAL_OFFICER, Role.PROVINCIAL_OFFICER}
)

_OFFICER = frozenset({
    "geo.read", "surveillance.read", "surveillance.write", "surveillance.export",
    "warning.read", "warning.write", "tracing.read", "tracing.write", "risk.read",
    "certificates.read", "entry.read", "community.read", "livelihood.read", "dashboard.read",
})

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.NATIONAL_OFFICER: _OFFICER | {"risk.write", "risk.override", "certificates.trust"},
    Role.PROVINCIAL_OFFICER: _OFFICER | {"risk.write", "risk.override"},
    Role.CITY_OFFICER: _OFFICER | {"risk.write"},
    Role.COUNTY_OFFICER: _OFFICER | {"risk.write", "entry.write", "community.write"},
    Role.GRID_WORKER: frozenset({
        "geo.read", "community.read", "community.write", "tracing.read", "entry.read",
        "entry.write", "dashboard.read",
    }),
    Role.PORT_OFFICER: frozenset({
        "geo.read", "entry.read", "entry.write", "certificates.read", "dashboard.read",
    }),
    Role.LABORATORY: frozenset({
        "geo.read", "surveillance.lab_write", "surveillance.read", "dashboard.read",
    }),
    Role.LIVELIHOOD_CADRE: frozenset({
        "geo.read", "livelihood.read", "livelihood.write", "community.read", "dashboard.read",
    }),
    Role.AUDITOR: frozenset({"geo.read", "audit.read", "dashboard.read"}),
    Role.SYSADMIN: frozenset({"geo.read", "geo.write", "accounts.manage", "dashboard.read"}),
}


# Every capability some role holds: `require_capability` refuses any other name, so that a typo
# fails loudly at import time instead of silently denying everyone.
ALL_CAPABILITIES: frozenset[str] = frozenset().union(*CAPABILITIES.values())


def capabilities_of(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())


def has_capability(role: str, capability: str) -> bool:
    return capability in capabilities_of(role)
