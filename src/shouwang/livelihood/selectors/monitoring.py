"""What the monitoring rules see (decision 1230): the registry's households, incomes, shocks,
visits and thresholds turned into the households × months arrays of
shouwang.epi.livelihood_rules, and one household's evaluation.

    threshold_for(year, province_code) -> MonitoringThreshold | None
    threshold_table() -> ThresholdTable                 (cached lines for a pass)
    rule_set_in_force(division_code, on) -> MonitoringRuleSet | None
    rule_sets_in_force(on) / rule_set_for(rule_sets, division_code)   (the pass's variant)
    monitoring_inputs(household_ids, month, months=24) -> MonitoringInputs
    evaluate_inputs(inputs, rule_sets) -> list[Evaluated]
    household_evaluation(household, month=None) -> HouseholdEvaluation

Building the arrays (a handful of aggregate queries, never one per household):

- **Income** per capita per month by component = the household's amount / its active members
  (today's count), in multiples of 1/64 yuan (exact sums: a household exactly at the line is
  not "below" it by a rounding). A monthly record is that month's. A yearly record (month
  empty) is an estimate at a yearly rate: each month of that year *without a monthly record of
  that component* gets a twelfth of it (the remainder units to its first months). A month
  without any record of any component is not collected (NaN: the rules count it missing); in a
  month with some, an unrecorded component counts 0.
- **Shocks**: medical, disaster, education and other are household spending of the month they
  occurred in (SPENDING_KINDS; 0 where none). Job loss and migrant work interrupted are lost
  income: their amount, spread evenly over the months occurred_on … ended_on (or the month it
  occurred), is taken off the wages per capita *only where the wage figure is a yearly
  estimate* (a monthly wage record already shows the loss), never below 0.
- **Guarantees** per month: the household's five booleans, overridden from its month on by
  each FollowUpVisit newer than `guarantees_checked_on` (the latest on or before the month's
  end wins; keys of `visit.guarantees` are the model's field names; a key the visit does not
  give keeps the household's value).
- **Threshold** per household-month: the line of the month's year for the household's
  province (the province's own row, else the national one); months of a year without a line
  take month T's. Without a line for month T the household is not evaluated (`skipped`).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.db import connections
from django.db.models import Case, Count, FloatField, Q, Sum, Value, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from shouwang.core.errors import InvalidInput
from shouwang.epi.livelihood_rules import (
    COMPONENTS,
    SPENDING_KINDS,
    LivelihoodInputs,
    LivelihoodResult,
    evaluate,
    rule_kinds,
    validate_params,
)
from shouwang.livelihood.models import (
    GUARANTEES as GUARANTEE_FIELDS_LABELS,
)
from shouwang.livelihood.models import (
    FollowUpVisit,
    Household,
    IncomeComponent,
    IncomeRecord,
    Member,
    MonitoringRuleSet,
    MonitoringThreshold,
    Shock,
    ShockKind,
)
from shouwang.livelihood.selectors.monitoring_reasons import (  # re-exported
    GUARANTEE_LABELS as GUARANTEE_LABELS,
)
from shouwang.livelihood.selectors.monitoring_reasons import (
    TRIGGER_LABELS as TRIGGER_LABELS,
)
from shouwang.livelihood.selectors.monitoring_reasons import (
    flag_triggers as flag_triggers,
)
from shouwang.livelihood.selectors.monitoring_reasons import (
    reason_text as reason_text,
)
from shouwang.livelihood.selectors.monitoring_reasons import (
    target_group_for as target_group_for,
)

DEFAULT_MONTHS = 24
# Per-capita income is placed in multiples of 1/UNITS yuan (exact in float64): sums over any
# window are exact, so the rules' boundaries (exactly at the line) hold.
UNITS = 64
# Above this many ids the loaders filter by the id range (and the division prefix) and keep
# the ids asked for in numpy, instead of a long IN list.
IN_LIST_MAX = 500
GUARANTEE_FIELDS = tuple(name for name, _label in GUARANTEE_FIELDS_LABELS)
# Income components of the model in the order of the rules' COMPONENTS.
COMPONENT_INDEX = {IncomeComponent.WAGES.value: 0, IncomeComponent.OPERATING.value: 1,
                   IncomeComponent.PROPERTY.value: 2, IncomeComponent.TRANSFER.value: 3}
SPENDING_INDEX = {ShockKind.MEDICAL.value: SPENDING_KINDS.index("medical"),
                  ShockKind.DISASTER.value: SPENDING_KINDS.index("disaster"),
                  ShockKind.EDUCATION.value: SPENDING_KINDS.index("education"),
                  ShockKind.OTHER.value: SPENDING_KINDS.index("other")}
LOST_INCOME_KINDS = (ShockKind.JOB_LOSS.value, ShockKind.MIGRANT_WORK_INTERRUPTED.value)
WAGES = COMPONENTS.index("wages")

# Why a household was not evaluated (MonitoringRun.skipped keys).
SKIP_NO_THRESHOLD = "no_threshold"
SKIP_NO_MEMBERS = "no_members"
SKIP_NO_RULE_SET = "no_rule_set"
SKIP_UNKNOWN = "not_found"



# --- months ------------------------------------------------------------------------------------

def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_ordinal(year: int, month: int) -> int:
    return year * 12 + month - 1


def add_months(day: date, n: int) -> date:
    o = month_ordinal(day.year, day.month) + n
    return date(o // 12, o % 12 + 1, 1)


def last_complete_month(today: date | None = None) -> date:
    return add_months(month_start(today or timezone.localdate()), -1)


def province_of(division_code: str) -> str:
    return division_code[:2] + "0000"


# --- thresholds and rule sets ------------------------------------------------------------------

def threshold_for(year: int, province_code: str) -> MonitoringThreshold | None:
    """The monitoring line of `year` for a province: its own row, else the national one."""
    rows = {t.province_code: t for t in MonitoringThreshold.objects.filter(
        year=year, province_code__in=[province_code, ""])}
    return rows.get(province_code) or rows.get("")


@dataclass(frozen=True)
class ThresholdTable:
    """Every monitoring line, for a pass: {(year, province_code or ""): yuan}."""

    lines: Mapping[tuple[int, str], float]

    def amount(self, year: int, province_code: str) -> float | None:
        found = self.lines.get((year, province_code))
        return found if found is not None else self.lines.get((year, ""))


def threshold_table() -> ThresholdTable:
    return ThresholdTable({(y, p): float(a) for y, p, a in
                           MonitoringThreshold.objects.values_list("year", "province_code",
                                                                   "amount")})


def rule_sets_in_force(on: date) -> list[MonitoringRuleSet]:
    """Every rule set that may judge some household on `on`: per code, the latest version
    already effective (of a kind the rules know)."""
    known = set(rule_kinds())
    latest: dict[str, MonitoringRuleSet] = {}
    for rs in (MonitoringRuleSet.objects.filter(effective_from__lte=on)
               .order_by("code", "-effective_from", "-version")):
        latest.setdefault(rs.code, rs)
    return [rs for rs in latest.values() if rs.kind in known]


def rule_set_for(rule_sets: Iterable[MonitoringRuleSet],
                 division_code: str) -> MonitoringRuleSet | None:
    """Of the rule sets in force, the one for a household: its scope holds the household's
    division, the most specific scope wins, then the latest effective date and version."""
    best: MonitoringRuleSet | None = None
    for rs in rule_sets:
        if not division_code.startswith(rs.scope_prefix):
            continue
        if best is None or (len(rs.scope_prefix), rs.effective_from, rs.version) > (
                len(best.scope_prefix), best.effective_from, best.version):
            best = rs
    return best


def rule_set_in_force(division_code: str, on: date) -> MonitoringRuleSet | None:
    return rule_set_for(rule_sets_in_force(on), division_code)


def months_needed(params: Mapping[str, Any], kind: str = "relapse_monitoring") -> int:
    """Months of inputs a rule set needs to see everything it compares: its window plus the
    comparison lag, and the window plus the elimination run (24 for the defaults)."""
    p = validate_params(kind, params)
    w = int(p.get("window_months", 12))
    lag = 12 if p.get("drop_against", "year_before") == "year_before" else w
    return max(DEFAULT_MONTHS, w + lag, w + int(p.get("elimination_months", 6)) - 1)


# --- the inputs --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonitoringInputs:
    """The rules' inputs for the households that could be evaluated at month T (`month`, the
    first day; `months` months ending with it). Row i of `inputs` is `household_ids[i]`."""

    month: date
    months: int
    household_ids: NDArray[np.int64]
    division_codes: list[str]
    poverty_status: list[str]
    inputs: LivelihoodInputs
    skipped: dict[str, Any] = field(default_factory=dict)

    @property
    def first_month(self) -> date:
        return add_months(self.month, 1 - self.months)

    def month_of(self, index: int) -> date:
        """The first day of month `index` (0 … months-1; may lie beyond T)."""
        return add_months(self.first_month, index)


def _ids_q(field_name: str, ids: NDArray[np.int64], division_prefix: str) -> Q:
    if len(ids) <= IN_LIST_MAX:
        return Q(**{f"{field_name}__in": [int(i) for i in ids]})
    q = Q(**{f"{field_name}__gte": int(ids.min()), f"{field_name}__lte": int(ids.max())})
    if division_prefix:
        rel = "division_code" if field_name == "id" else field_name.replace(
            "_id", "__division_code")
        q &= Q(**{f"{rel}__startswith": division_prefix})
    return q


def _rows(ids: NDArray[np.int64], found: NDArray[np.int64]) -> tuple[NDArray[np.int64],
                                                                    NDArray[np.bool_]]:
    """Row of each found household id in `ids` (sorted), and which of them were asked for."""
    pos = np.searchsorted(ids, found)
    pos = np.minimum(pos, len(ids) - 1)
    return pos.astype(np.int64), ids[pos] == found


def _add_skip(skipped: dict[str, Any], reason: str, detail: str | None = None,
              n: int = 1) -> None:
    if detail is None:
        skipped[reason] = int(skipped.get(reason, 0)) + n
    else:
        bucket = skipped.setdefault(reason, {})
        bucket[detail] = int(bucket.get(detail, 0)) + n


def monitoring_inputs(household_ids: Sequence[int] | NDArray[Any], month: date,
                      months: int = DEFAULT_MONTHS, *, division_prefix: str = "",
                      thresholds: ThresholdTable | None = None) -> MonitoringInputs:
    """The rules' inputs of `household_ids` for the `months` months ending with `month`.

    Households that cannot be evaluated are left out and counted in `skipped`: no line for
    month T's year and their province ({"no_threshold": {"2026 420000": n}}), no active member
    ("no_members"), unknown ids ("not_found"). `division_prefix`: the ids all lie under it (a
    pass's chunk; lets the loaders filter by range)."""
    if months < 1:
        raise ValueError("months must be ≥ 1")
    t_month = month_start(month)
    first = add_months(t_month, 1 - months)
    first_o = month_ordinal(first.year, first.month)
    last_day = month_end(t_month)
    table = thresholds or threshold_table()
    ids = np.unique(np.asarray(household_ids, dtype=np.int64))
    skipped: dict[str, Any] = {}

    hh = list(Household.objects.filter(_ids_q("id", ids, division_prefix)).order_by()
              .values_list("id", "division_code", "poverty_status", "lifted_out_year",
                           "guarantees_checked_on", *GUARANTEE_FIELDS))
    if len(hh) and len(ids):
        asked = _rows(ids, np.array([r[0] for r in hh], dtype=np.int64))[1]
        hh = [r for r, ok in zip(hh, asked, strict=True) if ok]
    else:
        hh = []
    if len(hh) < len(ids):
        _add_skip(skipped, SKIP_UNKNOWN, n=len(ids) - len(hh))
    hh.sort(key=lambda r: r[0])
    counts = dict(Member.objects.filter(_ids_q("household_id", ids, division_prefix),
                                        active=True)
                  .values("household_id").annotate(n=Count("id"))
                  .values_list("household_id", "n"))
    keep: list[tuple[Any, ...]] = []
    for row in hh:
        province = province_of(row[1])
        if not counts.get(row[0]):
            _add_skip(skipped, SKIP_NO_MEMBERS)
        elif table.amount(t_month.year, province) is None:
            _add_skip(skipped, SKIP_NO_THRESHOLD, f"{t_month.year} {province}")
        else:
            keep.append(row)
    kept = np.array([r[0] for r in keep], dtype=np.int64)
    n, m = len(keep), months
    members = np.array([counts[r[0]] for r in keep], dtype=np.int32)
    years = [(add_months(first, k)).year for k in range(m)]

    # Thresholds per household-month (months of a year without a line take month T's).
    threshold = np.empty((n, m), dtype=np.float64)
    provinces = [province_of(r[1]) for r in keep]
    by_province: dict[str, NDArray[np.float64]] = {}
    for i, province in enumerate(provinces):
        row_line = by_province.get(province)
        if row_line is None:
            line_t = table.amount(t_month.year, province)
            assert line_t is not None
            row_line = np.array([table.amount(y, province) or line_t for y in years])
            by_province[province] = row_line
        threshold[i] = row_line

    guarantees = np.zeros(n, dtype=np.uint8)
    for b in range(len(GUARANTEE_FIELDS)):
        col = np.array([bool(r[5 + b]) for r in keep], dtype=bool)
        guarantees |= (col.astype(np.uint8) << b)
    g = np.repeat(guarantees[:, None], m, axis=1)
    lifted = np.array([r[3] or 0 for r in keep], dtype=np.int32)

    income = np.full((n, m, len(COMPONENTS)), np.nan, dtype=np.float64)
    yearly_wages = np.zeros((n, m), dtype=bool)   # wages there come from a yearly record
    # 0 = none recorded (the rules add the kinds of a month: a NaN kind would hide the others).
    spending = np.zeros((n, m, len(SPENDING_KINDS)), dtype=np.float64)
    if n:
        members_f = members.astype(np.float64)
        _fill_income(income, yearly_wages, kept, members_f, first, m, division_prefix)
        # Lost income (household yuan) off the yearly wage estimates, per capita.
        lost = _units(_fill_shocks(spending, kept, first, last_day, m, division_prefix)
                      / members_f[:, None]) / UNITS
        wages = income[:, :, WAGES]
        cut = yearly_wages & (lost > 0)
        wages[cut] = np.maximum(wages[cut] - lost[cut], 0.0)
        _fill_visits(g, kept, [r[4] for r in keep], first_o, last_day, division_prefix)

    inputs = LivelihoodInputs(
        income=income, spending=spending, members=members, threshold=threshold,
        guarantees=g, lifted_year=lifted, year=t_month.year)
    return MonitoringInputs(month=t_month, months=m, household_ids=kept,
                            division_codes=[r[1] for r in keep],
                            poverty_status=[r[2] for r in keep], inputs=inputs,
                            skipped=skipped)


def _units(yuan: NDArray[np.float64]) -> NDArray[np.float64]:
    """Yuan as a whole number of 1/UNITS yuan (a float holding an integer)."""
    return np.rint(yuan * UNITS)


def _fill_income(income: NDArray[np.float64], yearly_wages: NDArray[np.bool_],
                 kept: NDArray[np.int64], members: NDArray[np.float64], first: date, m: int,
                 division_prefix: str) -> None:
    """Per-capita amounts into `income`, in multiples of 1/UNITS yuan: a yearly record's twelve
    months add up exactly to its per-capita amount (the remainder units go to its first
    months), so a household exactly at the line is not "below" it by a rounding. One query;
    the amounts come as floats (no Decimal per row) and are placed with numpy."""
    first_o = month_ordinal(first.year, first.month)
    last = add_months(first, m - 1)
    # One row per household, year and month (0: the yearly records) with the four components
    # as columns (NULL: no record), read as the driver gives them: the ORM's per-row converters
    # and a Python pass per record would cost more than the query over a chunk's ~10^6 records.
    amount = Cast("amount", FloatField())
    qs = (IncomeRecord.objects.filter(_ids_q("household_id", kept, division_prefix),
                                      year__gte=first.year, year__lte=last.year)
          .annotate(m0=Coalesce("month", Value(0))).order_by()
          .values("household_id", "year", "m0")
          .annotate(**{f"c{i}": Sum(Case(When(component=name, then=amount),
                                         output_field=FloatField()))
                       for name, i in COMPONENT_INDEX.items()})
          .values_list("household_id", "year", "m0", "c0", "c1", "c2", "c3"))
    sql, params = qs.query.sql_with_params()
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return
    wide = np.array(rows, dtype=np.float64).reshape(len(rows), 7)   # None → NaN
    present = ~np.isnan(wide[:, 3:])
    at, comp_ix = np.nonzero(present)            # one entry per record
    pos, ok = _rows(kept, wide[at, 0].astype(np.int64))
    year, month = wide[at, 1].astype(np.int64), wide[at, 2].astype(np.int64)
    comp = comp_ix.astype(np.int64)
    value = _units(wide[at, 3 + comp_ix] / members[pos])   # per capita, in units
    k = year * 12 + month - 1 - first_o
    mon = ok & (month > 0) & (k >= 0) & (k < m)
    income[pos[mon], k[mon], comp[mon]] = value[mon] / UNITS
    has_month = np.zeros(income.shape, dtype=bool)
    has_month[pos[mon], k[mon], comp[mon]] = True
    yr = ok & (month == 0)
    for y in np.unique(year[yr]).tolist():
        lo = max(month_ordinal(y, 1) - first_o, 0)
        hi = min(month_ordinal(y, 12) - first_o, m - 1)
        sel = yr & (year == y)
        if hi < lo or not sel.any():
            continue
        p, c = pos[sel][:, None], comp[sel][:, None]
        ks = np.arange(lo, hi + 1)[None, :]
        free = ~has_month[p, ks, c]
        # Month j of the year (0 … 11) gets ⌊units / 12⌋, plus one for j < the remainder.
        base = np.floor(value[sel] / 12.0)
        extra = value[sel] - base * 12
        j = ks - (month_ordinal(y, 1) - first_o)
        share = (base[:, None] + (j < extra[:, None])) / UNITS
        income[p, ks, c] = np.where(free, share, income[p, ks, c])
        wages = comp[sel] == WAGES
        yearly_wages[p[wages, 0][:, None], ks] = free[wages]
    # A month with some component recorded counts the others as 0; with none it is missing.
    any_data: NDArray[np.bool_] = np.asarray(~np.isnan(income).all(axis=2))
    income[:] = np.where(any_data[:, :, None], np.nan_to_num(income, nan=0.0), np.nan)


def _fill_shocks(spending: NDArray[np.float64], kept: NDArray[np.int64], first: date,
                 last_day: date, m: int, division_prefix: str) -> NDArray[np.float64]:
    """Spending shocks into `spending` (household yuan); returns the lost income per household
    and month (household yuan) of job losses and interrupted migrant work."""
    first_o = month_ordinal(first.year, first.month)
    lost = np.zeros(spending.shape[:2], dtype=np.float64)
    rows = list(Shock.objects.filter(_ids_q("household_id", kept, division_prefix),
                                     occurred_on__lte=last_day)
                .filter(Q(occurred_on__gte=first) | Q(ended_on__gte=first))
                .annotate(value=Cast("amount", FloatField())).order_by()
                .values_list("household_id", "kind", "occurred_on", "ended_on", "value"))
    if not rows:
        return lost
    pos, ok = _rows(kept, np.fromiter((r[0] for r in rows), np.int64, len(rows)))
    spent_p, spent_k, spent_kind, spent_v = [], [], [], []
    for (_h, kind, occurred, ended, amount), p, good in zip(rows, pos, ok, strict=True):
        if not good:
            continue
        start = month_ordinal(occurred.year, occurred.month) - first_o
        if kind in LOST_INCOME_KINDS:
            end_day = ended or occurred
            end = month_ordinal(end_day.year, end_day.month) - first_o
            per_month = float(amount) / (end - start + 1)
            lo, hi = max(start, 0), min(end, m - 1)
            if lo <= hi:
                lost[p, lo:hi + 1] += per_month
        elif 0 <= start < m:
            spent_p.append(int(p))
            spent_k.append(start)
            spent_kind.append(SPENDING_INDEX[kind])
            spent_v.append(float(amount))
    if spent_p:
        idx = (np.array(spent_p), np.array(spent_k), np.array(spent_kind))
        np.add.at(spending, idx, np.array(spent_v))
    return lost


def _fill_visits(g: NDArray[np.uint8], kept: NDArray[np.int64],
                 checked_on: list[date | None], first_o: int, last_day: date,
                 division_prefix: str) -> None:
    """Override the guarantees from the month of each visit newer than the household's check."""
    rows = list(FollowUpVisit.objects.filter(_ids_q("household_id", kept, division_prefix),
                                             visited_on__lte=last_day)
                .exclude(guarantees={})
                .order_by("household_id", "visited_on", "id")
                .values_list("household_id", "visited_on", "guarantees"))
    if not rows:
        return
    pos, ok = _rows(kept, np.array([r[0] for r in rows], dtype=np.int64))
    m = g.shape[1]
    for (_h, visited, found), p, good in zip(rows, pos, ok, strict=True):
        checked = checked_on[int(p)]
        if not good or not isinstance(found, dict) or (checked is not None
                                                       and visited <= checked):
            continue
        k = max(month_ordinal(visited.year, visited.month) - first_o, 0)
        if k >= m:
            continue
        mask = int(g[p, k])
        for b, name in enumerate(GUARANTEE_FIELDS):
            if name in found and isinstance(found[name], bool):
                mask = mask | (1 << b) if found[name] else mask & ~(1 << b)
        g[p, k:] = mask


# --- evaluating --------------------------------------------------------------------------------

def take(inputs: LivelihoodInputs, rows: NDArray[np.int64]) -> LivelihoodInputs:
    """The inputs of some households (copies)."""
    return LivelihoodInputs(inputs.income[rows], inputs.spending[rows], inputs.members[rows],
                            inputs.threshold[rows], inputs.guarantees[rows],
                            inputs.lifted_year[rows], inputs.year)


@dataclass(frozen=True)
class Evaluated:
    """The households of MonitoringInputs judged by one rule set: `rows` into its arrays."""

    rule_set: MonitoringRuleSet
    rows: NDArray[np.int64]
    result: LivelihoodResult


def evaluate_inputs(mi: MonitoringInputs, rule_sets: Sequence[MonitoringRuleSet]
                    ) -> tuple[list[Evaluated], NDArray[np.int64]]:
    """Each household under the rule set in force for it; also the rows no rule set covers."""
    chosen: dict[int, list[int]] = defaultdict(list)
    by_pk: dict[int, MonitoringRuleSet] = {}
    none: list[int] = []
    cache: dict[str, MonitoringRuleSet | None] = {}
    for i, code in enumerate(mi.division_codes):
        if code not in cache:
            cache[code] = rule_set_for(rule_sets, code)
        rs = cache[code]
        if rs is None:
            none.append(i)
        else:
            by_pk[rs.pk] = rs
            chosen[rs.pk].append(i)
    out = []
    for pk, rows_list in chosen.items():
        rs = by_pk[pk]
        rows = np.array(rows_list, dtype=np.int64)
        sub = mi.inputs if len(rows) == mi.inputs.households else take(mi.inputs, rows)
        out.append(Evaluated(rs, rows, evaluate(rs.kind, rs.params, sub)))
    return out, np.array(none, dtype=np.int64)


@dataclass(frozen=True)
class HouseholdEvaluation:
    """One household judged at month T by the rule set in force for it."""

    household: Household
    month: date
    rule_set: MonitoringRuleSet
    numbers: dict[str, Any]
    flagged: bool
    triggers: list[str]
    groups: list[str]
    target_group: str
    reason: str
    eligible: bool
    good_months: int
    eligible_from: date
    elimination_reason: str
    income_annual: float | None = None
    threshold: float | None = None


def _refuse(field_name: str, message: str) -> InvalidInput:
    return InvalidInput({field_name: [message]}, message=message)


def household_evaluation(household: Household, month: date | None = None
                         ) -> HouseholdEvaluation:
    """Evaluate one household at `month` (None: the last complete month). Raises InvalidInput
    with a message the callers show when it cannot be judged: no rule set in force, no line
    for the year and province, no active member."""
    t_month = month_start(month) if month is not None else last_complete_month()
    rule_set = rule_set_in_force(household.division_code, month_end(t_month))
    if rule_set is None:
        raise _refuse("rule_set", _("%(month)s 没有适用于该户所在地区的监测规则，无法判定。") % {
            "month": f"{t_month:%Y-%m}"})
    mi = monitoring_inputs([household.pk], t_month,
                           months_needed(rule_set.params, rule_set.kind))
    if not len(mi.household_ids):
        if SKIP_NO_MEMBERS in mi.skipped:
            raise _refuse("members", _("该户没有在户成员，无法计算人均收入。"))
        if SKIP_NO_THRESHOLD in mi.skipped:
            raise _refuse("threshold", _("%(year)s 年度该省没有监测标准，请先录入监测标准。") % {
                "year": t_month.year})
        raise _refuse("household", _("未找到该农户。"))
    result = evaluate(rule_set.kind, rule_set.params, mi.inputs)
    numbers = result.explain(0)
    p = result.params
    last = mi.months - 1
    group = target_group_for(int(result.groups[0]), int(result.triggers[0]),
                             int(result.years_since_exit[0]), int(p.get("unstable_years", 5)),
                             household.poverty_status)
    flagged = bool(result.flagged[0])
    return HouseholdEvaluation(
        household=household, month=t_month, rule_set=rule_set, numbers=numbers,
        flagged=flagged, triggers=list(numbers["triggers"]), groups=list(numbers["groups"]),
        target_group=group, reason=reason_text(numbers, int(p.get("window_months", 12))),
        eligible=bool(result.eligible[0]), good_months=int(result.good_months[0]),
        eligible_from=add_months(t_month, int(result.eligible_from[0]) - last),
        elimination_reason=str(numbers["elimination"]["reason"]),
        income_annual=numbers["income_annual"], threshold=numbers["threshold"])
