"""Why an area has its level, in plain words and the reader's language, from the stored numbers.

    reason_text(reason_code, inputs) -> str      # the active language
    area_reason(area_risk) -> str                # an AreaRisk row (its override's reason if any)

`AreaRisk.reason` keeps the Chinese text as it was published; pages and the API render it again
from `reason_code` and `inputs` so an English reader reads English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.epi.risk_rules import REASON_NAMES, Reason

if TYPE_CHECKING:
    from shouwang.risk.models import AreaRisk

OVERRIDE = "override"


def reason_code_of(code: int) -> str:
    """The stored name of a shouwang.epi.risk_rules.Reason value ("quiet_window" …)."""
    return REASON_NAMES[int(code)]


def _level_word(level: str) -> str:
    from shouwang.risk.models import RiskLevel

    return str(RiskLevel(level).label)


def reason_text(reason_code: str, inputs: dict[str, Any]) -> str:
    """One sentence with the numbers. `inputs` holds the explain() numbers plus window_days,
    threshold and, for held/stepped levels, step_days and level/from_level."""
    v = {
        "window": inputs.get("window_days", 14),
        "new": inputs.get("new_in_window", 0),
        "cumulative": inputs.get("cumulative", 0),
        "counted": inputs.get("counted", inputs.get("cumulative", 0)),
        "threshold": inputs.get("threshold", 0),
        "quiet": max(int(inputs.get("quiet_days", 0) or 0), 0),
        "streak": inputs.get("streak", 0),
        "steps": inputs.get("step_days", 0),
    }
    scope = (_("%(window)s 天内") % v if inputs.get("high_count") == "window"
             else _("累计"))
    v["scope"] = scope
    if reason_code == Reason.NO_CASE.name.lower():
        return _("无确诊病例")
    if reason_code == Reason.QUIET_WINDOW.name.lower():
        return _("连续 %(window)s 天无新增确诊病例（累计 %(cumulative)s 例）") % v
    if reason_code == Reason.UNDER_THRESHOLD.name.lower():
        return _("%(window)s 天内新增 %(new)s 例，%(scope)s %(counted)s 例，未超过 "
                 "%(threshold)s 例") % v
    if reason_code == Reason.NO_CLUSTER.name.lower():
        return _("%(scope)s %(counted)s 例，超过 %(threshold)s 例，但 %(window)s 天内未发生"
                 "聚集性疫情（%(window)s 天内新增 %(new)s 例）") % v
    if reason_code == Reason.OVER_THRESHOLD.name.lower():
        return _("%(scope)s %(counted)s 例，超过 %(threshold)s 例，且 %(window)s 天内发生"
                 "聚集性疫情（%(window)s 天内新增 %(new)s 例）") % v
    if reason_code == Reason.HELD.name.lower():
        v["level"] = _level_word(inputs.get("level", "high"))
        return _("维持%(level)s：已连续 %(streak)s 天无新增，满 %(steps)s 天方可降级") % v
    if reason_code == Reason.STEPPED_DOWN.name.lower():
        v["level"] = _level_word(inputs.get("level", "medium"))
        return _("连续 %(steps)s 天无新增，降为%(level)s") % v
    return reason_code


def reason_text_zh(reason_code: str, inputs: dict[str, Any]) -> str:
    """The Chinese text stored as published, whatever the active language."""
    with translation.override("zh-hans"):
        return reason_text(reason_code, inputs)


def area_reason(area: AreaRisk) -> str:
    """The reason of a stored level in the reader's language; an override explains itself."""
    if area.override_id is not None and area.override is not None:
        return _("人工调整：%(reason)s") % {"reason": area.override.reason}
    return reason_text(area.reason_code, area.inputs)
