"""The navigation, by capability: each entry shows only to users who hold its capability.

Later capabilities add their entries here (and their area in `areas.py`). An entry whose URL
does not resolve (its app is not installed) is left out rather than breaking every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url_name: str
    capability: str


NAVIGATION: list[NavEntry] = [
    NavEntry("home", _("工作台"), "dashboard:home", "dashboard.read"),
    NavEntry("geo", _("行政区划"), "geo:index", "geo.read"),
    NavEntry("users", _("用户管理"), "accounts:user-list", "accounts.manage"),
    NavEntry("audit", _("审计日志"), "core:audit-list", "audit.read"),
    NavEntry("case-new", _("病例报告"), "surveillance:case-new", "surveillance.write"),
    NavEntry("cases", _("病例一览"), "surveillance:case-list", "surveillance.read"),
    NavEntry("duplicates", _("疑似重复"), "surveillance:case-duplicates", "surveillance.read"),
    NavEntry("tasks", _("待报告任务"), "surveillance:task-list", "surveillance.read"),
    NavEntry("timeliness", _("报告及时性"), "surveillance:timeliness", "surveillance.read"),
    NavEntry("curve", _("流行曲线"), "surveillance:curve", "surveillance.read"),
    NavEntry("imports", _("批量导入"), "surveillance:imports", "surveillance.write"),
    NavEntry("warning-results", _("Rt 与趋势预测"), "warning:rt", "warning.read"),
    NavEntry("warning-alerts", _("预警处置"), "warning:alerts", "warning.read"),
    NavEntry("account", _("我的账号"), "accounts:account", "dashboard.read"),
]
