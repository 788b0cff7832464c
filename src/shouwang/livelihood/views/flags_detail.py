"""The flag's page — the household's monitoring dossier (decision 1240):

/livelihood/flags/<id>/ — the household (link to the registry), the rule set and version that
found it, the target group, the triggers and the numbers as a table with the reason (in the
reader's language), the signal behind it; a chart of the household's monthly per-capita income
against the monitoring threshold over the last 24 months; the measures (list, add, end), the
follow-up visits (list, add with the five guarantees as seen) and the elimination panel (good
months N of M, the earliest month, the form with the evidence note; a refusal shows why).

Forms post to the page itself (`action=`): 302 back with a message on success, the page with
the field errors (422) otherwise. A flag outside the reader's jurisdiction answers 404; a
reader without livelihood.write sees the dossier without the forms (a POST: 403).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.record_actions import field_errors
from shouwang.livelihood.models import (
    GUARANTEES,
    AssistanceCategory,
    FlagStatus,
    MonitoringFlag,
    TargetGroup,
)
from shouwang.livelihood.selectors import assistance as sel
from shouwang.livelihood.selectors.monitoring_reasons import flag_reason
from shouwang.livelihood.services.assistance import measure_add, measure_end, visit_record
from shouwang.livelihood.services.elimination import (
    elimination_refusal,
    flag_eliminate,
    required_months,
)

READ = "livelihood.read"
WRITE = "livelihood.write"
CHART_MONTHS = 24

NUMBER_LABELS: dict[str, Any] = {
    "income_annual": gettext_lazy("人均纯收入（折合全年，元）"),
    "threshold": gettext_lazy("监测标准（元/人·年）"),
    "income_months": gettext_lazy("有收入数据的月数"),
    "income_prior": gettext_lazy("上年同期人均纯收入（元）"),
    "drop_pct": gettext_lazy("收入降幅（%）"),
    "household_income": gettext_lazy("家庭纯收入（元）"),
    "rigid_spending": gettext_lazy("刚性支出（元）"),
    "spending_share_pct": gettext_lazy("刚性支出占收入比例（%）"),
    "shock_spending": gettext_lazy("近期大额刚性支出（元）"),
    "guarantees_missing": gettext_lazy("未保障项目"),
    "years_since_exit": gettext_lazy("脱贫年限（年）"),
}
# Keys of the numbers shown elsewhere on the page (or internal to the rules).
HIDDEN_NUMBERS = frozenset({"flagged", "reason", "triggers", "groups", "elimination"})
CATEGORY_LABELS = dict(AssistanceCategory.choices)
ANCHORS = {"measure": "#measures", "measure_end": "#measures", "visit": "#visits",
           "eliminate": "#elimination"}


def _monitoring() -> Any:
    """The monitoring selectors (the monitoring part's module, imported when used)."""
    from shouwang.livelihood.selectors import monitoring

    return monitoring


def _number_rows(numbers: Mapping[str, Any]) -> list[tuple[str, str]]:
    mon = _monitoring()
    rows: list[tuple[str, str]] = []
    for key, value in numbers.items():
        if key in HIDDEN_NUMBERS or isinstance(value, Mapping):
            continue
        if key == "guarantees_missing":
            text = _("、").join(str(mon.GUARANTEE_LABELS.get(g, g)) for g in value or []) or "—"
        elif key == "years_since_exit" and isinstance(value, int) and value < 0:
            text = _("非脱贫户")
        elif isinstance(value, float):
            text = f"{value:,.2f}"
        elif value is None:
            text = "—"
        elif isinstance(value, list):
            text = "、".join(map(str, value))
        else:
            text = str(value)
        rows.append((str(NUMBER_LABELS.get(key, key)), text))
    return rows


def _trigger_labels(names: list[str]) -> list[str]:
    mon = _monitoring()
    groups = dict(TargetGroup.choices)
    return [str(mon.TRIGGER_LABELS.get(n) or groups.get(n) or n) for n in names or []]


def _chart(flag: MonitoringFlag, rule_set: Any) -> dict[str, Any] | None:
    """The household's income by month (per capita, annualised) against the threshold."""
    from shouwang.epi.livelihood_rules import validate_params, window_income

    mon = _monitoring()
    month = mon.last_complete_month()
    mi = mon.monitoring_inputs([flag.household_id], month, CHART_MONTHS)
    if not len(mi.household_ids):
        return None
    params = validate_params(rule_set.kind, rule_set.params)
    parts = 4 if params.get("count_transfers", True) else 3
    income = mi.inputs.income[0, :, :parts].sum(axis=1)
    window = window_income(mi.inputs, rule_set.params)[0]

    def series(values: Any) -> list[float | None]:
        return [None if np.isnan(v) else round(float(v), 2) for v in values]

    return {"months": [f"{mi.month_of(k):%Y-%m}" for k in range(mi.months)],
            "month_income": series(income * 12),
            "window_income": series(window),
            "threshold": series(mi.inputs.threshold[0]),
            "labels": {"month": str(_("当月人均纯收入（折合全年）")),
                       "window": str(_("近12个月人均纯收入（折合全年）")),
                       "threshold": str(_("监测标准")), "yuan": str(_("元/人·年"))}}


def _evaluation(flag: MonitoringFlag) -> tuple[Any | None, str]:
    """The household's evaluation now (None and the reason when it cannot be judged)."""
    try:
        return _monitoring().household_evaluation(flag.household), ""
    except InvalidInput as exc:
        return None, " ".join(str(m) for ms in exc.fields.values() for m in ms) or str(
            exc.message or "")


def _panel(flag: MonitoringFlag) -> dict[str, Any]:
    if flag.status == FlagStatus.ELIMINATED:
        return {"evidence": flag.elimination_evidence}
    evaluation, problem = _evaluation(flag)
    if evaluation is None:
        return {"problem": problem}
    need = required_months(evaluation)
    good = min(evaluation.good_months, need)
    return {"evaluation": evaluation, "need": need, "good": evaluation.good_months,
            "bar": good,
            "refusal": elimination_refusal(evaluation),
            "earliest": evaluation.eligible_from}


def _render(request: AuthedRequest, flag: MonitoringFlag, *, action: str = "",
            errors: dict[str, list[str]] | None = None, form: dict[str, str] | None = None,
            status: int = 200) -> HttpResponse:
    household = flag.household
    can_write = request.user.has_capability(WRITE)
    panel = _panel(flag)
    evaluation = panel.get("evaluation")
    try:
        chart = _chart(flag, evaluation.rule_set if evaluation is not None else flag.rule_set)
    except InvalidInput:
        chart = None
    explained = flag_reason(flag)
    measures = list(sel.measures_of(flag))
    visits = list(sel.visits_of(flag))
    guarantee_labels = dict(GUARANTEES)
    visit_rows = []
    for v in visits:
        lost = [str(guarantee_labels[k]) for k, ok in v.guarantees.items()
                if k in guarantee_labels and not ok]
        visit_rows.append({"visit": v, "lost": lost, "lost_text": _("、").join(lost)})
    return render(request, "livelihood/flag_detail.html", {
        "flag": flag, "h": household, "can_write": can_write,
        "open": flag.status == FlagStatus.MONITORING,
        "group_label": dict(TargetGroup.choices).get(flag.target_group, flag.target_group),
        "status_label": dict(FlagStatus.choices).get(flag.status, flag.status),
        "triggers": _trigger_labels(list(flag.triggers or [])),
        "number_rows": _number_rows(flag.numbers or {}), "explained": explained,
        "chart": chart, "panel": panel, "measures": [
            {"m": m, "category_label": CATEGORY_LABELS.get(m.category, m.category),
             "open": m.ended_on is None or m.ended_on > timezone.localdate()}
            for m in measures],
        "visit_rows": visit_rows, "categories": AssistanceCategory.choices,
        "responsibles": sel.responsible_choices(flag) if can_write else [],
        "guarantee_rows": [(name, label, getattr(household, name)) for name, label in GUARANTEES],
        "today": timezone.localdate(), "action": action, "errors": errors or {},
        "form": form or {}}, status=status)


def _post(request: AuthedRequest, flag: MonitoringFlag) -> tuple[str, dict[str, list[str]],
                                                                 dict[str, str], str]:
    action = request.POST.get("action", "")
    form = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    p = request.POST
    calls: dict[str, tuple[Callable[[], Any], str]] = {
        "measure": (lambda: measure_add(actor=request.user, flag_id=flag.pk, data={
            k: p.get(k, "") for k in ("category", "description", "responsible", "started_on",
                                      "ended_on", "amount")}), _("帮扶措施已登记。")),
        "measure_end": (lambda: measure_end(actor=request.user,
                                            measure_id=_int(p.get("measure")),
                                            ended_on=p.get("ended_on", "")),
                        _("帮扶措施已结束。")),
        "visit": (lambda: visit_record(actor=request.user, household_id=flag.household_id, data={
            "visited_on": p.get("visited_on", ""), "notes": p.get("notes", ""),
            "guarantees": {name: p.get(name) == "on" for name, _l in GUARANTEES}}),
            _("走访记录已保存。")),
        "eliminate": (lambda: flag_eliminate(actor=request.user, flag_id=flag.pk,
                                             evidence_note=p.get("evidence_note", ""),
                                             month=p.get("month") or None),
                      _("已标注风险消除，依据已保存。")),
    }
    if action not in calls:
        return action, {"action": [_("未知的操作。")]}, form, ""
    call, done = calls[action]
    try:
        call()
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        return action, field_errors(exc), form, ""
    return action, {}, form, done


def _int(raw: str | None) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


@require_capability(READ)
def flag_detail(request: AuthedRequest, flag_id: int) -> HttpResponse:
    flag = sel.flag_get(user=request.user, flag_id=flag_id)
    if request.method != "POST":
        return _render(request, flag)
    if not request.user.has_capability(WRITE):
        raise PermissionDenied(WRITE)
    action, errors, form, done = _post(request, flag)
    if errors:
        return _render(request, sel.flag_get(user=request.user, flag_id=flag_id), action=action,
                       errors=errors, form=form, status=422)
    messages.success(request, done)
    anchor = ANCHORS.get(action, "")
    return HttpResponseRedirect(reverse("livelihood:flag", args=[flag_id]) + anchor)

