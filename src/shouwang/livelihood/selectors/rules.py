"""Reads of the monitoring rules and lines, scoped to the reader (decision 1270).

    ruleset_list(user, code="") / ruleset_get(user, ruleset_id) / ruleset_versions(user, code)
    ruleset_rows(rule_sets, day=None) -> list[RuleSetRow]   status and parameters in words
    threshold_list(user, year=None) / threshold_grid(user) -> ThresholdGrid

A reader (livelihood.read) sees the rule sets whose scope overlaps their jurisdiction (the
national ones, their province's and city's, and those of divisions inside their own; another
area's answers 404) and the national lines plus those of the provinces their jurisdiction
touches. The status of a version follows the monitoring pass's choice (selectors/monitoring.py
`rule_sets_in_force` / `rule_set_for`): in force when it is the rule set the pass would take
for its own scope today, future when it takes effect later, superseded otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from shouwang.core.scoping import jurisdiction_prefix
from shouwang.epi.livelihood_rules import RELAPSE_MONITORING_DEFAULTS, validate_params
from shouwang.geo.models import Division, Level
from shouwang.livelihood.models import MonitoringRuleSet, MonitoringRun, MonitoringThreshold
from shouwang.livelihood.selectors.access import may_read
from shouwang.livelihood.selectors.monitoring import rule_set_for, rule_sets_in_force
from shouwang.risk.selectors.rulesets import scope_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

    Reader = User | AnonymousUser

IN_FORCE = "in_force"
SUPERSEDED = "superseded"
FUTURE = "future"



# --- rule sets --------------------------------------------------------------------------------


def ruleset_list(user: Reader | None, *, code: str = "") -> QuerySet[MonitoringRuleSet]:
    q = scope_q(user) if may_read(user) else None
    if q is None:
        return MonitoringRuleSet.objects.none()
    qs = MonitoringRuleSet.objects.filter(q).select_related("created_by")
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("scope_prefix", "code", "-version")


def ruleset_get(user: Reader | None, ruleset_id: int) -> MonitoringRuleSet:
    try:
        return ruleset_list(user).get(pk=ruleset_id)
    except MonitoringRuleSet.DoesNotExist:
        raise Http404 from None


def ruleset_versions(user: Reader | None, code: str) -> list[MonitoringRuleSet]:
    """Every version of a code, newest first (empty when the code is not visible)."""
    return list(ruleset_list(user, code=code).order_by("-version"))


@dataclass(frozen=True)
class RuleSetRow:
    rule_set: MonitoringRuleSet
    status: str           # IN_FORCE / SUPERSEDED / FUTURE
    scope_name: str
    description: str


def status_of(rule_sets: list[MonitoringRuleSet], day: date | None = None) -> dict[int, str]:
    day = day or timezone.localdate()
    current = rule_sets_in_force(day)
    out: dict[int, str] = {}
    for rs in rule_sets:
        if rs.effective_from > day:
            out[rs.pk] = FUTURE
            continue
        chosen = rule_set_for(current, rs.scope_prefix)
        out[rs.pk] = IN_FORCE if chosen is not None and chosen.pk == rs.pk else SUPERSEDED
    return out


def scope_names(prefixes: set[str]) -> dict[str, str]:
    names = {"": str(_("全国"))}
    names.update(Division.objects.filter(prefix__in={p for p in prefixes if p})
                 .exclude(level=Level.NATION).values_list("prefix", "name"))
    return names


def ruleset_rows(rule_sets: list[MonitoringRuleSet], day: date | None = None
                 ) -> list[RuleSetRow]:
    found = status_of(rule_sets, day)
    names = scope_names({rs.scope_prefix for rs in rule_sets})
    return [RuleSetRow(rs, found[rs.pk], names.get(rs.scope_prefix, rs.scope_prefix),
                       describe_params(rs.kind, rs.params)) for rs in rule_sets]


# --- the parameters in words ------------------------------------------------------------------


def _names(values: list[str], words: dict[str, str]) -> str:
    return _("、").join(words.get(v, v) for v in values) or _("无")


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def describe_params(kind: str, params: dict[str, Any] | None) -> str:
    """The parameters of a rule set in plain words, in the reader's language."""
    if kind != "relapse_monitoring":
        shown = "; ".join(f"{k} = {v}" for k, v in sorted((params or {}).items()))
        return _("规则类型 %(kind)s：%(params)s。") % {"kind": kind, "params": shown or "—"}
    try:
        p = validate_params(kind, params or {})
    except ValueError:
        p = {**RELAPSE_MONITORING_DEFAULTS, **(params or {})}
    spending = {"medical": _("医疗"), "disaster": _("灾害"), "education": _("教育"),
                "other": pgettext("rigid spending", "其他")}
    guarantees = {"food_clothing": _("吃穿"), "education": _("义务教育"), "medical": _("基本医疗"),
                  "housing": _("住房安全"), "water": _("饮水安全")}
    v = {k: _num(p[k]) for k in p if not isinstance(p[k], list)}
    parts = [
        _("收入按近 %(window_months)s 个月的人均纯收入折算全年（至少 %(min_months)s 个月有数据）")
        % v + (_("，计入转移性收入") if p["count_transfers"] else _("，不计转移性收入")),
        _("低于当年监测标准的触发“收入低于监测标准”"),
        (_("较上年同期下降 %(drop_pct)s%% 及以上的触发“收入大幅下降”") if p["drop_against"]
         == "year_before" else _("较上一窗口期下降 %(drop_pct)s%% 及以上的触发“收入大幅下降”")) % v,
        _("%(kinds)s支出超过同期家庭收入的 %(spending_share_pct)s%% 的触发“刚性支出过大”")
        % {**v, "kinds": _names(p["rigid_kinds"], spending)},
        _("%(items)s任一项无保障的触发“保障缺失”")
        % {"items": _names(p["guarantees_required"], guarantees)},
    ]
    shock = []
    if p["shock_amount"] is not None:
        shock.append(_("超过 %(shock_amount)s 元") % v)
    if p["shock_share_pct"] is not None:
        shock.append(_("超过家庭年收入的 %(shock_share_pct)s%%") % v)
    if shock:
        parts.append(_("近 %(months)s 个月刚性支出%(limits)s的为突发严重困难户") % {
            "months": v["shock_months"], "limits": _("或").join(shock)})
    parts.append(_("脱贫 %(unstable_years)s 年内、收入低于监测标准 %(unstable_multiple)s 倍的为"
                   "脱贫不稳定户；从未登记为贫困户、收入低于监测标准 %(marginal_multiple)s 倍的为"
                   "边缘易致贫户") % v)
    parts.append((_("连续 %(elimination_months)s 个月窗口期收入不低于监测标准且保障均落实，"
                    "方可标注风险消除") if p["elimination_income"] == "window"
                  else _("连续 %(elimination_months)s 个月当月收入 × 12 不低于监测标准且保障均"
                         "落实，方可标注风险消除")) % v)
    return _("；").join(str(x) for x in parts) + _("。")


def param_help() -> list[tuple[str, str, str]]:
    """(name, default as JSON-ish text, meaning) of relapse_monitoring's parameters, for the
    form."""
    words = {
        "window_months": _("收入窗口月数（1–36）"),
        "min_months": _("窗口内至少需要的有收入数据的月数"),
        "count_transfers": _("是否计入转移性收入（true/false）"),
        "drop_against": _("收入下降的比较对象：year_before 上年同期，previous_window 上一窗口期"),
        "drop_pct": _("收入下降触发比例（%）"),
        "spending_share_pct": _("刚性支出占同期家庭收入的触发比例（%）"),
        "rigid_kinds": _("计入的刚性支出：medical、disaster、education、other"),
        "guarantees_required": _("须保障的项目：food_clothing、education、medical、housing、"
                                 "water"),
        "unstable_years": _("脱贫后几年内算脱贫不稳定户"),
        "unstable_multiple": _("脱贫不稳定户的收入倍数（× 监测标准）"),
        "marginal_multiple": _("边缘易致贫户的收入倍数（× 监测标准）"),
        "shock_months": _("突发困难的观察月数"),
        "shock_amount": _("突发困难的支出金额（元；null 不启用）"),
        "shock_share_pct": _("突发困难的支出占年收入比例（%；null 不启用）"),
        "elimination_months": _("标注风险消除所需连续达标月数"),
        "elimination_income": _("风险消除的收入口径：window 窗口期收入，month 当月收入 × 12"),
    }
    return [(k, json.dumps(v, ensure_ascii=False), str(words.get(k, "")))
            for k, v in RELAPSE_MONITORING_DEFAULTS.items()]


# --- thresholds -------------------------------------------------------------------------------


def _province_q(user: Reader | None) -> Q | None:
    """National rows, and the rows of the provinces the reader's jurisdiction touches."""
    if not may_read(user):
        return None
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return None
    if not prefix:
        return Q()
    return Q(province_code="") | Q(province_code__startswith=prefix[:2])


def threshold_list(user: Reader | None, *, year: int | None = None
                   ) -> QuerySet[MonitoringThreshold]:
    q = _province_q(user)
    if q is None:
        return MonitoringThreshold.objects.none()
    qs = MonitoringThreshold.objects.filter(q)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "province_code")


@dataclass(frozen=True)
class ThresholdCell:
    row: MonitoringThreshold | None      # the area's own row
    in_force: MonitoringThreshold | None  # its own, else the national one
    used: bool                            # a stored pass has used it: it is fixed


@dataclass(frozen=True)
class ThresholdGrid:
    years: list[int]
    columns: list[tuple[str, str]]       # (province code or "", name)
    cells: dict[tuple[int, str], ThresholdCell]

    def cell(self, year: int, code: str) -> ThresholdCell:
        return self.cells[(year, code)]

    @property
    def rows(self) -> list[tuple[int, list[ThresholdCell]]]:
        return [(y, [self.cells[(y, c)] for c, _n in self.columns]) for y in self.years]


def _provinces_for(user: Reader | None) -> list[Division]:
    prefix = jurisdiction_prefix(user) or ""
    qs = Division.objects.filter(level=Level.PROVINCE)
    if prefix:
        qs = qs.filter(prefix=prefix[:2])
    return list(qs.order_by("code"))


def threshold_grid(user: Reader | None) -> ThresholdGrid:
    """Years × (national, provinces): each cell the area's own line, the line in force there
    and whether a pass has used it. A national reader's columns are the provinces that have a
    line of their own; a provincial (or lower) reader's their province."""
    rows = list(threshold_list(user))
    if not rows and not may_read(user):
        return ThresholdGrid([], [], {})
    own = {(t.year, t.province_code): t for t in rows}
    provinces = _provinces_for(user)
    if not jurisdiction_prefix(user):
        having = {t.province_code for t in rows if t.province_code}
        provinces = [d for d in provinces if d.code in having]
    columns = [("", str(_("全国")))] + [(d.code, d.name) for d in provinces]
    years = sorted({t.year for t in rows}, reverse=True)
    last_run = _last_runs()
    keys = set(MonitoringThreshold.objects.values_list("year", "province_code"))
    cells: dict[tuple[int, str], ThresholdCell] = {}
    for year in years:
        national = own.get((year, ""))
        for code, _name in columns:
            mine = own.get((year, code)) if code else national
            in_force = mine or national
            used = in_force is not None and _used(year, code, last_run, keys)
            cells[(year, code)] = ThresholdCell(mine, in_force, used)
    return ThresholdGrid(years, columns, cells)


def _last_runs() -> dict[str, date]:
    """The last month evaluated per pass scope prefix."""
    return {p: m for p, m in MonitoringRun.objects.values("division_prefix")
            .annotate(m=Max("month")).values_list("division_prefix", "m")}


def _used(year: int, code: str, last_run: dict[str, date],
          keys: set[tuple[int, str]]) -> bool:
    """Whether a pass of `year` or later judged households of the column (the province, or,
    for the national column, where no provincial line stands) — services/rules.py's rule."""
    for prefix, month in last_run.items():
        if month.year < year:
            continue
        if code:
            if not prefix or prefix.startswith(code[:2]):
                return True
        elif not prefix or (year, prefix[:2] + "0000") not in keys:
            return True
    return False
