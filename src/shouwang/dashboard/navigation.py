"""The navigation, by capability: each entry shows only to users who hold its capability.

Later capabilities add their entries here (and their area in `areas.py`). An entry whose URL
does not resolve (its app is not installed) is left out rather than breaking every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from shouwang.accounts.models import User


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str | Promise
    url_name: str
    capability: str
    # A number worth the user's attention next to the entry (unread, open …): a scoped count;
    # shown when above zero.
    badge: Callable[[User], int] | None = None


def _unread_notifications(user: User) -> int:
    from shouwang.warning.selectors.alerts import unread_count

    return unread_count(user=user)


def _open_alerts(user: User) -> int:
    from shouwang.warning.selectors.alerts import open_alert_count

    return open_alert_count(user=user)


def _pending_hand_overs(user: User) -> int:
    from shouwang.tracing.selectors.contacts import pending_incoming_count

    return pending_incoming_count(user=user)


def _overdue_signals(user: User) -> int:
    from shouwang.livelihood.selectors.signals import overdue_count

    return overdue_count(user)


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
    NavEntry("warning-alerts", _("预警处置"), "warning:alerts", "warning.read",
             badge=_open_alerts),
    NavEntry("notifications", _("我的通知"), "warning:notifications", "dashboard.read",
             badge=_unread_notifications),
    NavEntry("tracing-flows", _("输入与外溢"), "tracing:flows", "tracing.read"),
    NavEntry("tracing-investigations", _("流调与聚集"), "tracing:investigations", "tracing.read"),
    NavEntry("tracing-clusters", _("聚集性疫情"), "tracing:clusters", "tracing.read"),
    NavEntry("tracing-contacts", _("密接管理"), "tracing:contacts", "tracing.read"),
    NavEntry("tracing-handovers", _("协查移交"), "tracing:handovers", "tracing.read",
             badge=_pending_hand_overs),
    NavEntry("tracing-chains", _("传播链"), "tracing:chains", "tracing.read"),
    # --- risk (issue 6): each part adds its entries here
    NavEntry("risk-levels", _("风险等级"), "risk:levels", "risk.read"),
    NavEntry("risk-rules", _("风险等级规则"), "risk:rulesets", "risk.read"),
    NavEntry("risk-travel", _("出行管控政策"), "risk:travel", "risk.read"),
    # --- livelihood (issue 7): each part adds its entries here
    NavEntry("livelihood-households", _("农户台账"), "livelihood:households", "livelihood.read"),
    NavEntry("livelihood-signals", _("监测线索"), "livelihood:signals", "livelihood.read",
             badge=_overdue_signals),
    NavEntry("livelihood-statistics", _("监测帮扶统计"), "livelihood:statistics",
             "livelihood.read"),
    NavEntry("livelihood-rules", _("监测规则"), "livelihood:rules", "livelihood.read"),
    NavEntry("livelihood-flags", _("监测对象"), "livelihood:flags", "livelihood.read"),
    NavEntry("account", _("我的账号"), "accounts:account", "dashboard.read"),
]
