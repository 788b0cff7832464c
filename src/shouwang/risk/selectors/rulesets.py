"""Reads of the rule sets: the list (with what is in force today, per scope), one rule set, the
versions of a code, and their parameters in words. Decision 1120.

Scoped: an officer sees the rule sets that apply somewhere in their jurisdiction — the
national ones, their province's, and those of divisions inside their own; a rule set of another
area answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.scoping import jurisdiction_prefix, prefix_q
from shouwang.geo.models import Division, Level
from shouwang.risk.models import RuleSet
from shouwang.risk.selectors.levels import rule_set_for_area, rule_sets_in_force
from shouwang.surveillance.models import Classification

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

PREFIX_LENGTHS = (0, 2, 4, 6, 9, 12)

IN_FORCE = "in_force"          # judges at least one division level of its scope today
SUPERSEDED = "superseded"      # an older version, or a code another rule set replaced
SCHEDULED = "scheduled"        # effective from a later day


def scope_q(user: User | AnonymousUser | None, field: str = "scope_prefix") -> Q | None:
    """Rows whose scope overlaps the user's jurisdiction (above it or inside it); None: none."""
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return None
    above = [prefix[:n] for n in PREFIX_LENGTHS if n <= len(prefix)]
    return Q(**{f"{field}__in": above}) | prefix_q(field, prefix)


def ruleset_list(*, user: User | AnonymousUser | None, disease: str = "",
                 code: str = "") -> QuerySet[RuleSet]:
    q = scope_q(user)
    if q is None:
        return RuleSet.objects.none()
    qs = RuleSet.objects.filter(q).select_related("disease", "created_by")
    if disease:
        qs = qs.filter(disease_id=disease)
    if code:
        qs = qs.filter(code=code)
    return qs.order_by("disease_id", "scope_prefix", "code", "-version")


def ruleset_get(*, user: User | AnonymousUser | None, ruleset_id: int) -> RuleSet:
    try:
        return ruleset_list(user=user).get(pk=ruleset_id)
    except RuleSet.DoesNotExist:
        raise Http404 from None


def ruleset_versions(*, user: User | AnonymousUser | None, code: str) -> list[RuleSet]:
    """Every version of a code, newest first (empty when the code is not visible)."""
    return list(ruleset_list(user=user, code=code).order_by("-version"))


@dataclass(frozen=True)
class RuleSetRow:
    rule_set: RuleSet
    status: str                  # IN_FORCE / SUPERSEDED / SCHEDULED
    judges: tuple[str, ...]      # the division levels of its scope it judges today
    scope_name: str
    description: str


def statuses(rule_sets: list[RuleSet], day: date | None = None
             ) -> dict[int, tuple[str, tuple[str, ...]]]:
    """{id: (status, levels judged)} on `day` (default today). A version is in force when it
    is its code's latest effective one and, in its own scope, the rule set that judges one of
    its levels (selectors.levels.rule_set_for_area)."""
    day = day or timezone.localdate()
    out: dict[int, tuple[str, tuple[str, ...]]] = {}
    in_force: dict[str, list[RuleSet]] = {}
    for rs in rule_sets:
        if rs.disease_id not in in_force:
            in_force[rs.disease_id] = rule_sets_in_force(rs.disease_id, day)
    for rs in rule_sets:
        if rs.effective_from > day:
            out[rs.pk] = (SCHEDULED, ())
            continue
        current = in_force[rs.disease_id]
        judged = tuple(level for level in rs.levels
                       if (chosen := rule_set_for_area(current, rs.scope_prefix, level))
                       is not None and chosen.pk == rs.pk)
        out[rs.pk] = (IN_FORCE if judged else SUPERSEDED, judged)
    return out


def scope_names(prefixes: set[str]) -> dict[str, str]:
    names = {"": str(_("全国"))}
    wanted = {p for p in prefixes if p}
    names.update(Division.objects.filter(prefix__in=wanted).exclude(level=Level.NATION)
                 .values_list("prefix", "name"))
    return names


def ruleset_rows(rule_sets: list[RuleSet], day: date | None = None) -> list[RuleSetRow]:
    found = statuses(rule_sets, day)
    names = scope_names({rs.scope_prefix for rs in rule_sets})
    return [RuleSetRow(rs, found[rs.pk][0], found[rs.pk][1],
                       names.get(rs.scope_prefix, rs.scope_prefix), describe_params(rs))
            for rs in rule_sets]


# --- the parameters in words ------------------------------------------------------------------

def level_words(levels: list[str]) -> str:
    words = {"county": _("县（区）"), "township": _("乡镇（街道）"), "village": _("村（社区）")}
    return _("、").join(str(words.get(lv, lv)) for lv in levels)


def classification_words(values: list[str]) -> str:
    labels = dict(Classification.choices)
    return _("、").join(str(labels.get(v, v)) for v in values)


def describe_params(rule_set: RuleSet | None = None, *, kind: str = "",
                    params: dict[str, Any] | None = None) -> str:
    """The parameters in plain words, in the reader's language: "窗口期 14 天；累计病例超过 50
    例且 14 天内发生聚集性疫情为高风险 …"."""
    if rule_set is not None:
        kind, params = rule_set.kind, rule_set.params
    params = dict(params or {})
    counted = classification_words(list(params.pop("classifications", [])))
    if kind != "window_threshold":
        shown = "; ".join(f"{k} = {v}" for k, v in sorted(params.items()))
        return _("规则类型 %(kind)s：%(params)s；计入：%(counted)s。") % {
            "kind": kind, "params": shown or "—", "counted": counted or "—"}
    v = {"window": params.get("window_days", 14), "threshold": params.get("high_threshold", 0),
         "counted": counted or "—"}
    v["count"] = (_("%(window)s 天内病例") % v if params.get("high_count") == "window"
                  else _("累计病例"))
    parts = [_("计入%(counted)s；窗口期 %(window)s 天：从未有病例或连续 %(window)s 天无新增为"
               "低风险") % v]
    if params.get("high_needs_cluster", True):
        parts.append(_("%(count)s超过 %(threshold)s 例且 %(window)s 天内发生聚集性疫情为高风险")
                     % v)
    else:
        parts.append(_("%(count)s超过 %(threshold)s 例为高风险（不要求聚集性疫情）") % v)
    parts.append(_("其余 %(window)s 天内有新增病例的为中风险") % v)
    steps = params.get("step_down_days")
    if steps:
        parts.append(_("高风险连续 %(high)s 天无新增降为中风险，中风险再连续 %(medium)s 天无新增"
                       "降为低风险") % {"high": steps.get("high"), "medium": steps.get("medium")})
    else:
        parts.append(_("窗口期内无新增即随规则降级"))
    return _("；").join(str(p) for p in parts) + _("。")
