"""The words of the monitoring (decision 1230): trigger and guarantee labels, the reason a
flag stores (one sentence from the rule's reason code and numbers) and the target group a flag
takes when the rule gives none. No database access; selectors.monitoring re-exports them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from shouwang.epi.livelihood_rules import GROUP_NAMES, Trigger
from shouwang.livelihood.models import MonitoringFlag, PovertyStatus, TargetGroup

TRIGGER_LABELS: dict[str, Any] = {
    "income_below": gettext_lazy("人均纯收入低于监测标准"),
    "income_drop": gettext_lazy("收入大幅缩减"),
    "rigid_spending": gettext_lazy("刚性支出超过收入能力"),
    "guarantee_lost": gettext_lazy("“两不愁三保障”及饮水安全未保障"),
    "spending_shock": gettext_lazy("突发大额刚性支出"),
}
GUARANTEE_LABELS: dict[str, Any] = {
    "food_clothing": gettext_lazy("不愁吃、不愁穿"),
    "education": gettext_lazy("义务教育有保障"),
    "medical": gettext_lazy("基本医疗有保障"),
    "housing": gettext_lazy("住房安全有保障"),
    "water": gettext_lazy("饮水安全有保障"),
}


def target_group_for(group_bits: int, trigger_bits: int, years_since_exit: int,
                     unstable_years: int, poverty_status: str) -> str:
    """The target group a flag takes: the rule's first group; when it gives none (e.g. only a
    guarantee lost or the income dropped), lifted out within `unstable_years` → unstable after
    exit; a spending shock or rigid spending → sudden severe difficulty; otherwise lifted out →
    unstable after exit, never registered poor → marginal (decision 1230)."""
    for bit, name in GROUP_NAMES.items():
        if group_bits & bit:
            return name
    lifted = poverty_status == PovertyStatus.LIFTED_OUT or years_since_exit >= 0
    if lifted and 0 <= years_since_exit <= unstable_years:
        return TargetGroup.UNSTABLE_AFTER_EXIT.value
    if trigger_bits & (Trigger.SPENDING_SHOCK | Trigger.RIGID_SPENDING):
        return TargetGroup.SUDDEN_DIFFICULTY.value
    return (TargetGroup.UNSTABLE_AFTER_EXIT.value if lifted else TargetGroup.MARGINAL.value)


# One sentence per reason code (translated once per household, not all of them).
REASON_TEXTS: dict[str, Any] = {
    "income_below": gettext_lazy("近%(w)s个月家庭人均纯收入折合全年 %(income)s 元，低于监测标准 "
                                 "%(threshold)s 元。"),
    "income_drop": gettext_lazy("近%(w)s个月家庭人均纯收入折合全年 %(income)s 元，较上年同期 "
                                "%(prior)s 元下降 %(drop)s%%。"),
    "rigid_spending": gettext_lazy("近%(w)s个月刚性支出 %(spending)s 元，占家庭纯收入的 "
                                   "%(share)s%%。"),
    "spending_shock": gettext_lazy("近期发生大额刚性支出 %(shock)s 元，家庭出现突发严重困难。"),
    "guarantee_lost": gettext_lazy("%(missing)s未达标。"),
    "unstable_after_exit": gettext_lazy("脱贫户家庭人均纯收入折合全年 %(income)s 元，收入不稳定。"),
    "marginal": gettext_lazy("一般农户家庭人均纯收入折合全年 %(income)s 元，存在致贫风险。"),
    "insufficient_data": gettext_lazy("近%(w)s个月仅有 %(months)s 个月收入数据，数据不足，"
                                      "无法判定。"),
    "not_flagged": gettext_lazy("未触发监测条件：家庭人均纯收入折合全年 %(income)s 元，监测标准 "
                                "%(threshold)s 元。"),
}
ALSO_TEXT = gettext_lazy("另触发：%(names)s。")


def _yuan(v: Any) -> str:
    return "—" if v is None else f"{float(v):,.0f}"


def reason_text(numbers: Mapping[str, Any], window_months: int = 12,
                language: str | None = None) -> str:
    """The reason a household is (not) flagged, as one sentence from the rule's reason code and
    numbers (the triggers beyond the first appended), in `language` — by default the platform's
    (Chinese: the reason a flag stores does not depend on who happened to open it; a page may
    render `numbers` again in the reader's language with `language=get_language()`)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _reason_text(numbers, window_months)


def flag_reason(flag: MonitoringFlag, language: str | None = None) -> str:
    """A flag's reason in `language` (default: the active one, the reader's): rendered again from
    the rule's numbers it stores (the stored sentence is in the platform's language), with the
    window of its rule set; as stored when the numbers carry no reason code."""
    numbers = flag.numbers or {}
    if not numbers.get("reason"):
        return flag.reason
    window = int((flag.rule_set.params or {}).get("window_months", 12))
    return reason_text(numbers, window, language=language or translation.get_language())


def _reason_text(numbers: Mapping[str, Any], window_months: int) -> str:
    reason = numbers.get("reason", "")
    v = {"income": _yuan(numbers.get("income_annual")),
         "threshold": _yuan(numbers.get("threshold")),
         "prior": _yuan(numbers.get("income_prior")),
         "drop": f"{float(numbers.get('drop_pct') or 0):.1f}",
         "spending": _yuan(numbers.get("rigid_spending")),
         "share": ("—" if numbers.get("spending_share_pct") is None
                   else f"{float(numbers['spending_share_pct']):.1f}"),
         "shock": _yuan(numbers.get("shock_spending")),
         "months": numbers.get("income_months", 0), "w": window_months,
         "missing": translation.gettext("、").join(str(GUARANTEE_LABELS.get(g, g))
                             for g in numbers.get("guarantees_missing") or [])}
    text = str(REASON_TEXTS.get(reason, REASON_TEXTS["not_flagged"])) % v
    main_trigger = reason if reason in TRIGGER_LABELS else ""
    others = [str(TRIGGER_LABELS[t]) for t in numbers.get("triggers") or []
              if t in TRIGGER_LABELS and t != main_trigger]
    if others and reason != "not_flagged":
        text += str(ALSO_TEXT) % {"names": "、".join(others)}
    return text[:400]


def flag_triggers(evaluation_triggers: Sequence[str], groups: Sequence[str]) -> list[str]:
    """The names a flag stores: the rule's triggers, else its groups."""
    return list(evaluation_triggers) or list(groups)


