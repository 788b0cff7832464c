"""What each capability lets a user do, in plain words for the home page.

A capability missing here is shown by its code, so a new one never breaks the page; the tests
insist that every capability a role holds has its words.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

CAPABILITY_TEXT: dict[str, str | Promise] = {
    "dashboard.read": _("使用工作台"),
    "geo.read": _("查看行政区划和地图"),
    "geo.write": _("维护行政区划数据"),
    "surveillance.read": _("查看辖区内的病例报告和监测数据"),
    "surveillance.write": _("填报和订正病例报告"),
    "surveillance.export": _("导出辖区内的病例数据"),
    "surveillance.lab_write": _("报告实验室检测结果"),
    "warning.read": _("查看辖区内的预警信号"),
    "warning.write": _("核实和处置预警信号"),
    "tracing.read": _("查看密切接触者和聚集性疫情"),
    "tracing.write": _("登记流调、密接和随访"),
    "risk.read": _("查看区域风险等级"),
    "risk.write": _("评定区域风险等级"),
    "risk.override": _("调整已评定的风险等级"),
    "certificates.read": _("核验健康证明"),
    "certificates.trust": _("管理健康证明的签发机构和信任列表"),
    "entry.read": _("查看入境人员"),
    "entry.write": _("登记和转运入境人员"),
    "community.read": _("查看网格、居家隔离和重点人群"),
    "community.write": _("登记入户走访和物资保障"),
    "livelihood.read": _("查看监测户和返贫风险"),
    "livelihood.write": _("登记家庭收支和帮扶措施"),
    "audit.read": _("查阅辖区内的审计日志"),
    "accounts.manage": _("管理辖区内的用户账号"),
}


def capability_text(capability: str) -> str:
    return str(CAPABILITY_TEXT.get(capability, capability))
