"""The work areas the home page summarises, each shown only to users who hold its capability.

An area that is not built yet says so plainly instead of showing a number: an officer must never
mistake "no data because the feature does not exist" for "no cases in my county". When a later
capability arrives, it gives its area a `count` (a scoped selector) and a `url_name`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

if TYPE_CHECKING:
    from shouwang.accounts.models import User


def _users_in_jurisdiction(user: User) -> int:
    from shouwang.accounts.selectors import user_list

    return user_list(viewer=user).count()


def _audit_events_in_jurisdiction(user: User) -> int:
    from shouwang.core.selectors import audit_event_list

    return audit_event_list(user=user).count()


def _open_alerts(user: User) -> int:
    from shouwang.warning.selectors.alerts import open_alert_count

    return open_alert_count(user=user)


RECENT_DAYS = 30


def _recent_case_reports(user: User) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from shouwang.surveillance.selectors.cases import CaseFilters, case_list

    since = timezone.localdate() - timedelta(days=RECENT_DAYS - 1)
    return case_list(user=user, filters=CaseFilters(reported_from=since)).count()


def _latest_case_report_day(user: User) -> date | None:
    from django.db.models import Max
    from django.utils import timezone

    from shouwang.surveillance.selectors.cases import CaseFilters, case_list

    latest = case_list(user=user, filters=CaseFilters()).aggregate(
        latest=Max("reported_at"))["latest"]
    return None if latest is None else timezone.localdate(latest)


@dataclass(frozen=True)
class Area:
    key: str
    capability: str
    title: str | Promise
    # Shown when the area has no records for the user: "%(division)s" is the user's division.
    empty: str | Promise
    url_name: str | None = None
    count: Callable[[User], int] | None = None
    # "%(count)d" records, "%(division)s" the division; used when `count` gives more than zero.
    count_text: str | Promise | None = None
    # When `count` gives zero: the day of the latest older record, said with "%(day)s" after the
    # empty text (a quiet month is not the same as never having had a case).
    latest: Callable[[User], date | None] | None = None
    latest_text: str | Promise | None = None


AREAS: list[Area] = [
    Area("surveillance", "surveillance.read", _("病例监测"),
         _("%(division)s近 30 天没有病例报告。"),
         url_name="surveillance:case-list", count=_recent_case_reports,
         count_text=ngettext_lazy("%(division)s近 30 天报告病例 %(count)d 例。",
                                  "%(division)s近 30 天报告病例 %(count)d 例。", "count"),
         latest=_latest_case_report_day, latest_text=_("最近一例报告于 %(day)s。")),
    Area("warning", "warning.read", _("预警"),
         _("%(division)s没有待核实的预警信号。"),
         url_name="warning:alerts", count=_open_alerts,
         count_text=ngettext_lazy("%(division)s有 %(count)d 条预警待核实。",
                                  "%(division)s有 %(count)d 条预警待核实。", "count")),
    Area("tracing", "tracing.read", _("流调与密接"),
         _("%(division)s还没有密切接触者或聚集性疫情记录。流行病学调查将随流调功能上线。")),
    Area("risk", "risk.read", _("风险等级"),
         _("%(division)s还没有发布风险等级。每日区域风险等级将随风险评估功能上线。")),
    Area("entry", "entry.read", _("入境人员"),
         _("%(division)s还没有入境人员记录。入境人员闭环管理将随口岸功能上线。")),
    Area("community", "community.read", _("社区防控"),
         _("%(division)s还没有网格、居家隔离或重点人群记录。社区防控将随社区功能上线。")),
    Area("livelihood", "livelihood.read", _("防返贫监测"),
         _("%(division)s还没有监测户记录。家庭收支与返贫风险监测将随防返贫功能上线。")),
    Area("certificates", "certificates.read", _("健康证明"),
         _("%(division)s还没有签发健康证明。证明的签发与核验将随健康证明功能上线。")),
    Area("users", "accounts.manage", _("用户管理"),
         _("%(division)s还没有其他账号。"),
         url_name="accounts:user-list", count=_users_in_jurisdiction,
         count_text=ngettext_lazy("%(division)s共有 %(count)d 个账号。",
                                  "%(division)s共有 %(count)d 个账号。", "count")),
    Area("audit", "audit.read", _("审计日志"),
         _("%(division)s还没有审计记录。"),
         url_name="core:audit-list", count=_audit_events_in_jurisdiction,
         count_text=ngettext_lazy("%(division)s共有 %(count)d 条审计记录。",
                                  "%(division)s共有 %(count)d 条审计记录。", "count")),
]
