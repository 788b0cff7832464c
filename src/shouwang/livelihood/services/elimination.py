"""Marking a household's risk eliminated (风险消除), with the evidence (decision 1240).

    flag_eliminate(*, actor, flag_id, evidence_note, month=None) -> MonitoringFlag
    elimination_refusal(evaluation) -> str | None

The household is evaluated again at `month` (None: the last complete month) by
selectors.monitoring.household_evaluation — the rule set in force for it, over the registry's
incomes, shocks, visits and thresholds. The risk may be marked eliminated only when that
evaluation says so: the income has not been below the monitoring threshold, with every
required guarantee secured, for the rule set's `elimination_months` months in a row ending at
`month`. Otherwise InvalidInput with a field error ("elimination") saying why and from when it
could be, e.g. 自 2026 年 6 月起收入连续 3 个月达到监测标准且保障无缺失，需连续 6 个月；最早可于
2026 年 9 月标注。

The evidence stored with the flag (`elimination_evidence`): the evaluation's numbers (good months,
income, threshold, guarantees), the rule set's code and version, the month evaluated, the
measures and visits of the flag (ids, dates, categories, amounts) and the cadre's note. The flag
becomes eliminated (time, by whom), the household's monitoring status too, in one transaction
with an audit row. A relapse later is a new flag (services.flags.flag_open).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.livelihood.models import (
    GUARANTEES,
    AssistanceMeasure,
    FlagStatus,
    FollowUpVisit,
    Household,
    MonitoringFlag,
    MonitoringStatus,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.livelihood.selectors.monitoring import HouseholdEvaluation

WRITE = "livelihood.write"
NOTE_MAX = 2000
EVIDENCE_FORMAT = 1


def _month_label(day: date) -> str:
    return _("%(y)s 年 %(m)s 月") % {"y": day.year, "m": day.month}


def _add_months(day: date, n: int) -> date:
    o = day.year * 12 + day.month - 1 + n
    return date(o // 12, o % 12 + 1, 1)


def _yuan(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.0f}"


def required_months(evaluation: HouseholdEvaluation) -> int:
    from shouwang.epi.livelihood_rules import validate_params

    rule_set = evaluation.rule_set
    return int(validate_params(rule_set.kind, rule_set.params)["elimination_months"])


def elimination_refusal(evaluation: HouseholdEvaluation) -> str | None:
    """Why the risk cannot be marked eliminated at the evaluated month, and from when it could
    be (None: it can)."""
    if evaluation.eligible:
        return None
    from shouwang.livelihood.selectors.monitoring import GUARANTEE_LABELS

    need = required_months(evaluation)
    n = evaluation.good_months
    earliest = evaluation.eligible_from
    values = {"n": n, "need": need, "earliest": _month_label(earliest),
              "month": _month_label(evaluation.month),
              "since": _month_label(_add_months(evaluation.month, 1 - n)) if n else "",
              "income": _yuan(evaluation.income_annual),
              "threshold": _yuan(evaluation.threshold)}
    reason = evaluation.elimination_reason
    if reason == "too_short":
        return _("自 %(since)s起收入连续 %(n)s 个月达到监测标准且保障无缺失，需连续 %(need)s 个月；"
                 "最早可于 %(earliest)s标注。") % values
    if reason == "income_below":
        return _("%(month)s家庭人均纯收入折合全年 %(income)s 元，低于监测标准 %(threshold)s 元；"
                 "需收入连续 %(need)s 个月达到监测标准，最早可于 %(earliest)s标注。") % values
    if reason == "guarantee_missing":
        missing = [str(GUARANTEE_LABELS.get(g, g))
                   for g in evaluation.numbers.get("guarantees_missing") or []]
        return _("%(month)s%(missing)s尚未保障；需保障落实且收入连续 %(need)s 个月达到监测标准，"
                 "最早可于 %(earliest)s标注。") % {**values, "missing": "、".join(missing)}
    if reason == "no_data":
        return _("%(month)s没有收入数据，无法判定风险是否消除；请先录入该月收入。") % values
    return _("该户尚不满足风险消除条件（%(reason)s）。") % {"reason": reason}


def _evidence(flag: MonitoringFlag, evaluation: HouseholdEvaluation, note: str,
              household: Household) -> dict[str, Any]:
    numbers = evaluation.numbers
    measures = [{"id": m.pk, "category": m.category, "description": m.description,
                 "responsible_id": m.responsible_id, "started_on": m.started_on.isoformat(),
                 "ended_on": m.ended_on.isoformat() if m.ended_on else None,
                 "amount": str(m.amount) if m.amount is not None else None}
                for m in AssistanceMeasure.objects.filter(flag=flag).order_by("started_on", "id")]
    visits = [{"id": v.pk, "visited_on": v.visited_on.isoformat(), "visitor_id": v.visitor_id,
               "guarantees": v.guarantees}
              for v in FollowUpVisit.objects.filter(flag=flag).order_by("visited_on", "id")]
    rule_set = evaluation.rule_set
    return {
        "format": EVIDENCE_FORMAT,
        "evaluated_month": f"{evaluation.month:%Y-%m}",
        "rule_set": {"id": rule_set.pk, "code": rule_set.code, "version": rule_set.version,
                     "kind": rule_set.kind},
        "evaluation": {
            "eligible": evaluation.eligible,
            "good_months": evaluation.good_months,
            "required_months": required_months(evaluation),
            "eligible_from": f"{evaluation.eligible_from:%Y-%m}",
            "income_annual": evaluation.income_annual,
            "threshold": evaluation.threshold,
            "income_months": numbers.get("income_months"),
            "guarantees_missing": list(numbers.get("guarantees_missing") or []),
        },
        "numbers": numbers,
        "guarantees": {name: bool(getattr(household, name)) for name, _l in GUARANTEES},
        "guarantees_checked_on": (household.guarantees_checked_on.isoformat()
                                  if household.guarantees_checked_on else None),
        "measures": measures,
        "visits": visits,
        "note": note,
    }


def _evaluation_month(month: date | str | None, flag: MonitoringFlag) -> date | None:
    from shouwang.livelihood.selectors.monitoring import last_complete_month, month_start

    if month in (None, ""):
        return None
    if isinstance(month, date):
        day = month_start(month)
    else:
        try:
            day = date.fromisoformat(f"{str(month).strip()[:7]}-01")
        except ValueError:
            raise InvalidInput({"month": [_("月份格式应为 YYYY-MM。")]}) from None
    if day > last_complete_month():
        raise InvalidInput({"month": [_("评估月份须为已结束的月份（最晚 %(m)s）。") % {
            "m": f"{last_complete_month():%Y-%m}"}]})
    identified = month_start(timezone.localtime(flag.identified_at).date())
    if day < identified:
        raise InvalidInput({"month": [_("评估月份不能早于纳入监测的月份（%(m)s）。") % {
            "m": f"{identified:%Y-%m}"}]})
    return day


def flag_eliminate(*, actor: User, flag_id: int, evidence_note: str,
                   month: date | str | None = None) -> MonitoringFlag:
    """Mark the flag's risk eliminated when the evaluation at `month` allows it (see the
    module's docstring). Outside the actor's jurisdiction: NotFound; without
    livelihood.write: PermissionDenied; a flag already eliminated, a missing note or an
    evaluation that does not allow it: InvalidInput."""
    from shouwang.livelihood.selectors.monitoring import household_evaluation

    flag = (scoped(MonitoringFlag.objects.select_related("household"), actor)
            .filter(pk=flag_id).first())
    if flag is None or not in_jurisdiction(actor, flag.division_code):
        raise NotFound(f"flag {flag_id}")
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)
    errors: dict[str, list[str]] = {}
    if flag.status != FlagStatus.MONITORING:
        raise InvalidInput({"flag": [_("该户风险已于 %(d)s 标注消除。") % {
            "d": f"{timezone.localtime(flag.eliminated_at):%Y-%m-%d}"
            if flag.eliminated_at else "—"}]})
    note = (evidence_note or "").strip()
    if not note:
        errors["evidence_note"] = [_("请填写风险消除的核实情况（走访核实、帮扶成效等）。")]
    elif len(note) > NOTE_MAX:
        errors["evidence_note"] = [_("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}]
    day = _evaluation_month(month, flag)
    try:
        evaluation = household_evaluation(flag.household, day)
    except InvalidInput as exc:
        messages = [str(m) for ms in exc.fields.values() for m in ms] or [str(exc.message)]
        errors.setdefault("elimination", []).extend(messages)
    else:
        refusal = elimination_refusal(evaluation)
        if refusal is not None:
            errors.setdefault("elimination", []).append(refusal)
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        locked = MonitoringFlag.objects.select_for_update().get(pk=flag.pk)
        if locked.status != FlagStatus.MONITORING:
            raise InvalidInput({"flag": [_("该户风险已标注消除。")]})
        household = Household.objects.select_for_update().get(pk=locked.household_id)
        evidence = _evidence(locked, evaluation, note, household)
        now = timezone.now()
        MonitoringFlag.objects.filter(pk=locked.pk).update(
            status=FlagStatus.ELIMINATED, eliminated_at=now, eliminated_by=actor,
            elimination_evidence=evidence, version=F("version") + 1)
        Household.objects.filter(pk=household.pk).update(
            monitoring_status=MonitoringStatus.ELIMINATED, updated_at=now)
        locked.refresh_from_db()
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=locked,
                  division_code=locked.division_code,
                  summary=f"risk eliminated (flag {locked.pk}, "
                          f"{evidence['evaluation']['good_months']} good months to "
                          f"{evidence['evaluated_month']})",
                  changes={"status": [FlagStatus.MONITORING, FlagStatus.ELIMINATED],
                           "rule_set": f"{evaluation.rule_set.code} v{evaluation.rule_set.version}",
                           "evaluated_month": evidence["evaluated_month"],
                           "measures": [m["id"] for m in evidence["measures"]],
                           "visits": [v["id"] for v in evidence["visits"]]})
    return locked
