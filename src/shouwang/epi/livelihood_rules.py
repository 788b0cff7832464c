"""Relapse-into-poverty monitoring (防止返贫动态监测): the rules as pure functions over
households × months.

Like `risk_rules`, a rule set is a *kind* (a function registered here) plus *parameters*
(versioned data the app stores with every flag). One kind is built in, ``relapse_monitoring``,
after the 2021 guidance of the central rural work leading group (《关于健全防止返贫动态监测和帮扶
机制的指导意见》): a yearly monitoring threshold per province (e.g. 1.5 × the poverty line; the
caller maps province and year to a number per household-month), three target groups and four
triggers, evaluated at the last month of the inputs (month m-1).

Income is per-capita net income per month by component (wages, operating, property,
transfers). The *window income* of month t is the sum over months t-W+1 … t of the counted
components, annualised over the months with data: ``A = S × 12 / N`` (N months present, at
least ``min_months``; a month is missing when a counted component is NaN). Household spending
is per month by kind (medical, disaster loss, education, other rigid spending); NaN = none
recorded (counted 0).

Triggers (bits of `triggers`), at month T = m-1:

- ``INCOME_BELOW``: A < threshold (strictly: income exactly at the threshold is not below);
- ``INCOME_DROP``: the window income fell by at least ``drop_pct`` % against the window ending
  ``drop_lag`` months earlier (12: a year before; ``"previous_window"``: W) — A_prev > 0 and
  (A_prev − A) / A_prev × 100 ≥ drop_pct;
- ``RIGID_SPENDING``: rigid spending over the window > ``spending_share_pct`` % of the
  household's income over it (members × A × W / 12); any rigid spending against an income
  ≤ 0 fires (share +inf);
- ``GUARANTEE_LOST``: one of the required guarantees (两不愁三保障 and safe drinking water) is not
  secured in month T;
- ``SPENDING_SHOCK``: rigid spending in the last ``shock_months`` months > ``shock_amount`` yuan,
  or > ``shock_share_pct`` % of the household's annualised income (members × A).

Target groups (bits of `groups`; `group` is the first of them): unstable after exit (lifted
out within ``unstable_years`` years and A < ``unstable_multiple`` × threshold), marginal
(never registered poor and A < ``marginal_multiple`` × threshold), sudden severe difficulty
(the spending shock). A household is flagged when a trigger fires or it falls in a group.

Elimination (风险消除): the months ending at T in which the income was not below the threshold
(the window income, or the month's own × 12 with ``elimination_income`` "month") with every
required guarantee secured; eligible once there are ``elimination_months`` of them in a row.
`eligible_from` is the month index at which the run reached the count (≤ T: eligible; > T: the
earliest month it can be, if the run continues); `elimination_reason` says why not yet.

Comparisons are made in float64 without division (S × 12 < threshold × N …), so amounts in
whole yuan are exact at every boundary; the stored numbers are float32. Every household of
the result carries a reason code and the numbers behind it; `explain(i)` gives them as the app
stores them. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.rule_registry import RuleParamsError, RuleRegistry

__all__ = ["COMPONENTS", "GUARANTEES", "SPENDING_KINDS", "Elimination", "Group",
           "LivelihoodInputs", "LivelihoodInputsError", "LivelihoodResult", "Reason",
           "RuleParamsError", "Trigger", "evaluate", "relapse_monitoring",
           "relapse_monitoring_params", "validate_params", "window_income"]

COMPONENTS = ("wages", "operating", "property", "transfers")   # income[..., c]
# Operating income (a loss), net property and net transfer income may be negative.
NON_NEGATIVE_COMPONENTS = ("wages",)
SPENDING_KINDS = ("medical", "disaster", "education", "other")  # spending[..., k]
GUARANTEES = ("food_clothing", "education", "medical", "housing", "water")  # bit i = 1 << i
ALL_GUARANTEES = (1 << len(GUARANTEES)) - 1


class Trigger(IntEnum):
    """Bits of `LivelihoodResult.triggers`. Stored; keep them stable."""

    INCOME_BELOW = 1
    INCOME_DROP = 2
    RIGID_SPENDING = 4
    GUARANTEE_LOST = 8
    SPENDING_SHOCK = 16


class Group(IntEnum):
    """Bits of `LivelihoodResult.groups`; `group` holds the first one (0: none)."""

    UNSTABLE_AFTER_EXIT = 1  # 脱贫不稳定户
    MARGINAL = 2             # 边缘易致贫户
    SUDDEN_DIFFICULTY = 4    # 突发严重困难户


class Reason(IntEnum):
    """Why a household is (not) flagged: the first that applies. Stored; keep them stable."""

    NOT_FLAGGED = 1
    INSUFFICIENT_DATA = 2    # not flagged, but the window has too few months of income
    INCOME_BELOW = 3
    INCOME_DROP = 4
    RIGID_SPENDING = 5
    SPENDING_SHOCK = 6
    GUARANTEE_LOST = 7
    UNSTABLE_AFTER_EXIT = 8  # in the group without a trigger (unstable_multiple > 1)
    MARGINAL = 9             # likewise (marginal_multiple > 1)


class Elimination(IntEnum):
    """Whether the risk may be marked eliminated at month T, and why not."""

    ELIGIBLE = 1
    TOO_SHORT = 2            # good months in a row, fewer than required
    INCOME_BELOW = 3         # month T: income below the threshold
    GUARANTEE_MISSING = 4    # month T: a required guarantee not secured
    NO_DATA = 5              # month T: no income figure


TRIGGER_NAMES = {t.value: t.name.lower() for t in Trigger}
GROUP_NAMES = {g.value: g.name.lower() for g in Group}
REASON_NAMES = {r.value: r.name.lower() for r in Reason}
ELIMINATION_NAMES = {e.value: e.name.lower() for e in Elimination}


def bit_names(mask: int, names: Mapping[int, str]) -> list[str]:
    return [name for bit, name in names.items() if mask & bit]


class LivelihoodInputsError(ValueError):
    """Inputs the rules refuse: `errors` maps each bad field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class LivelihoodInputs:
    """Monthly inputs of `n` households over `m` consecutive months (month m-1 is evaluated).

    income      (n, m, 4) per-capita net income of the month, yuan, by `COMPONENTS`; NaN =
                not collected (the month is missing). Wages cannot be negative.
    spending    (n, m, 4) household spending of the month, yuan, by `SPENDING_KINDS`; NaN =
                none recorded. Never negative.
    members     (n,) household size, ≥ 1.
    threshold   (n,) or (n, m) the monitoring threshold, yuan per capita per year, > 0.
    guarantees  (n, m) uint8 bit mask of the `GUARANTEES` secured that month.
    lifted_year (n,) year the household was lifted out of poverty; 0 = never registered poor.
    year        the calendar year of month m-1.
    """

    income: NDArray[np.floating[Any]]
    spending: NDArray[np.floating[Any]]
    members: NDArray[np.integer[Any]]
    threshold: NDArray[np.floating[Any]]
    guarantees: NDArray[np.uint8]
    lifted_year: NDArray[np.integer[Any]]
    year: int

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        if self.income.ndim != 3 or self.income.shape[2] != len(COMPONENTS):
            raise LivelihoodInputsError({"income": f"must be (n, m, {len(COMPONENTS)})"})
        n, m, _ = self.income.shape
        if m < 1:
            raise LivelihoodInputsError({"income": "must cover at least one month"})
        shapes = {"spending": (n, m, len(SPENDING_KINDS)), "members": (n,),
                  "guarantees": (n, m), "lifted_year": (n,)}
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                errors[name] = f"must be {shape}, got {getattr(self, name).shape}"
        if self.threshold.shape not in ((n,), (n, m)):
            errors["threshold"] = f"must be ({n},) or ({n}, {m}), got {self.threshold.shape}"
        if errors:
            raise LivelihoodInputsError(errors)
        for c in NON_NEGATIVE_COMPONENTS:
            _refuse_negative(errors, f"income.{c}", self.income[:, :, COMPONENTS.index(c)])
        for k, kind in enumerate(SPENDING_KINDS):
            _refuse_negative(errors, f"spending.{kind}", self.spending[:, :, k])
        if n and int(self.members.min()) < 1:
            errors["members"] = _where_msg("must be ≥ 1", self.members < 1)
        bad = ~(self.threshold > 0) | ~np.isfinite(self.threshold)
        if bad.any():
            errors["threshold"] = _where_msg("must be a finite number > 0", bad)
        if n and int(self.guarantees.max(initial=0)) > ALL_GUARANTEES:
            errors["guarantees"] = f"bits above {ALL_GUARANTEES} set"
        if n and int(self.lifted_year.min()) < 0:
            errors["lifted_year"] = _where_msg("must be a year or 0", self.lifted_year < 0)
        if errors:
            raise LivelihoodInputsError(errors)

    @property
    def households(self) -> int:
        return int(self.income.shape[0])

    @property
    def months(self) -> int:
        return int(self.income.shape[1])

    def rows(self, start: int, stop: int) -> LivelihoodInputs:
        """Households start … stop-1 (views, not copies)."""
        s = slice(start, stop)
        return LivelihoodInputs(self.income[s], self.spending[s], self.members[s],
                                self.threshold[s], self.guarantees[s], self.lifted_year[s],
                                self.year)


def _where_msg(message: str, bad: NDArray[np.bool_]) -> str:
    first = np.argwhere(bad)[0].tolist()
    at = ("household {}, month {}" if len(first) == 2 else "household {}").format(*first)
    return f"{message}: {int(bad.sum())} value(s), first at {at}"


def _refuse_negative(errors: dict[str, str], name: str, values: NDArray[Any]) -> None:
    bad = values < 0  # NaN compares false: missing is not negative
    if bad.any():
        errors[name] = _where_msg("cannot be negative", bad)


@dataclass(frozen=True)
class LivelihoodResult:
    """Per household at month T = m-1: the flag, its reason and the numbers it quotes."""

    flagged: NDArray[np.bool_]
    triggers: NDArray[np.uint8]            # Trigger bits
    groups: NDArray[np.uint8]              # Group bits
    group: NDArray[np.uint8]               # the first Group bit, 0 = none
    reason: NDArray[np.uint8]              # Reason
    income_annual: NDArray[np.float32]     # A, yuan per capita per year (NaN: too few months)
    income_months: NDArray[np.uint8]       # N, months with income in the window
    threshold: NDArray[np.float32]         # month T's threshold
    income_prior: NDArray[np.float32]      # A of the comparison window (NaN: none)
    drop_pct: NDArray[np.float32]          # (A_prior − A) / A_prior × 100 (NaN: no comparison)
    household_income: NDArray[np.float32]  # members × A × W / 12: the window's, household
    rigid_spending: NDArray[np.float32]    # household rigid spending over the window
    spending_share_pct: NDArray[np.float32]  # of the household income over the window
    shock_spending: NDArray[np.float32]    # household rigid spending, last shock_months
    guarantees_missing: NDArray[np.uint8]  # required guarantees not secured in month T
    years_since_exit: NDArray[np.int16]    # -1: never registered poor
    good_months: NDArray[np.uint8]         # months in a row ending at T meeting elimination
    eligible: NDArray[np.bool_]
    eligible_from: NDArray[np.int16]       # month index the run reaches the count
    elimination_reason: NDArray[np.uint8]  # Elimination
    params: Mapping[str, Any] = field(default_factory=dict)

    def explain(self, i: int) -> dict[str, Any]:
        """One household's rule numbers and reasons, as stored with a flag."""

        def num(a: NDArray[Any]) -> float | None:
            v = float(a[i])
            return None if np.isnan(v) else round(v, 2)

        return {
            "flagged": bool(self.flagged[i]),
            "reason": REASON_NAMES[int(self.reason[i])],
            "triggers": bit_names(int(self.triggers[i]), TRIGGER_NAMES),
            "groups": bit_names(int(self.groups[i]), GROUP_NAMES),
            "income_annual": num(self.income_annual),
            "income_months": int(self.income_months[i]),
            "threshold": num(self.threshold),
            "income_prior": num(self.income_prior),
            "drop_pct": num(self.drop_pct),
            "rigid_spending": num(self.rigid_spending),
            "household_income": num(self.household_income),
            # None (not infinity, which JSON cannot hold) when there is no income figure or
            # the household income is ≤ 0: household_income says which.
            "spending_share_pct": (round(float(self.spending_share_pct[i]), 2)
                                   if np.isfinite(self.spending_share_pct[i]) else None),
            "shock_spending": num(self.shock_spending),
            "guarantees_missing": [g for b, g in enumerate(GUARANTEES)
                                   if int(self.guarantees_missing[i]) >> b & 1],
            "years_since_exit": int(self.years_since_exit[i]),
            "elimination": {"eligible": bool(self.eligible[i]),
                            "reason": ELIMINATION_NAMES[int(self.elimination_reason[i])],
                            "good_months": int(self.good_months[i]),
                            "eligible_from_month": int(self.eligible_from[i])},
        }

    @staticmethod
    def concat(parts: Sequence[LivelihoodResult]) -> LivelihoodResult:
        """The results of consecutive chunks of households as one."""
        arrays = {f.name: np.concatenate([getattr(p, f.name) for p in parts])
                  for f in fields(LivelihoodResult) if f.name != "params"}
        return LivelihoodResult(**arrays, params=parts[0].params if parts else {})


RuleKind = Callable[[LivelihoodInputs, Mapping[str, Any]], LivelihoodResult]

# --- relapse_monitoring -----------------------------------------------------------------------

RELAPSE_MONITORING_DEFAULTS: dict[str, Any] = {
    "window_months": 12,
    "min_months": 9,               # months with income the window needs
    "count_transfers": True,
    "drop_against": "year_before",  # the window ending 12 months earlier; or "previous_window"
    "drop_pct": 30.0,
    "spending_share_pct": 50.0,
    "rigid_kinds": list(SPENDING_KINDS),
    "guarantees_required": list(GUARANTEES),
    "unstable_years": 5,
    "unstable_multiple": 1.0,
    "marginal_multiple": 1.0,
    "shock_months": 3,
    "shock_amount": 20000.0,       # yuan per household; null: no amount trigger
    "shock_share_pct": 50.0,       # % of annual household income; null: no share trigger
    "elimination_months": 6,
    "elimination_income": "window",  # or "month": the month's own income × 12
}


def relapse_monitoring_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters with defaults filled in, checked; RuleParamsError names each bad one."""
    unknown = set(params) - set(RELAPSE_MONITORING_DEFAULTS)
    merged = {**RELAPSE_MONITORING_DEFAULTS, **params}
    errors: dict[str, str] = {k: "unknown parameter" for k in sorted(unknown)}

    def whole(name: str, lo: int, hi: int) -> bool:
        v = merged[name]
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            errors[name] = f"must be a whole number from {lo} to {hi}"
            return False
        return True

    def number(name: str, lo: float, hi: float, *, nullable: bool = False) -> None:
        v = merged[name]
        if v is None and nullable:
            return
        if (isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v)
                or not lo <= v <= hi):
            errors[name] = f"must be a number from {lo:g} to {hi:g}" + (
                " or null" if nullable else "")

    def subset(name: str, allowed: tuple[str, ...]) -> None:
        v = merged[name]
        if (isinstance(v, str) or not isinstance(v, Sequence)
                or not set(v) <= set(allowed) or len(set(v)) != len(v)):
            errors[name] = f"must be a list of distinct names among {', '.join(allowed)}"

    if whole("window_months", 1, 36) and whole("min_months", 1, 36) \
            and merged["min_months"] > merged["window_months"]:
        errors["min_months"] = "must not exceed window_months"
    if not isinstance(merged["count_transfers"], bool):
        errors["count_transfers"] = "must be true or false"
    if merged["drop_against"] not in ("year_before", "previous_window"):
        errors["drop_against"] = "must be 'year_before' or 'previous_window'"
    number("drop_pct", 0.0, 100.0)
    number("spending_share_pct", 0.0, 10000.0)
    subset("rigid_kinds", SPENDING_KINDS)
    subset("guarantees_required", GUARANTEES)
    whole("unstable_years", 0, 100)
    number("unstable_multiple", 0.0, 10.0)
    number("marginal_multiple", 0.0, 10.0)
    whole("shock_months", 1, 36)
    number("shock_amount", 0.0, 1e9, nullable=True)
    number("shock_share_pct", 0.0, 10000.0, nullable=True)
    whole("elimination_months", 1, 36)
    if merged["elimination_income"] not in ("window", "month"):
        errors["elimination_income"] = "must be 'window' or 'month'"
    if errors:
        raise RuleParamsError(errors)
    merged["rigid_kinds"] = list(merged["rigid_kinds"])
    merged["guarantees_required"] = list(merged["guarantees_required"])
    return merged


DEFAULT_CHUNK = 200_000  # households per pass: ~1 KB of temporaries each at 24 months


def relapse_monitoring(inputs: LivelihoodInputs, params: Mapping[str, Any],
                       chunk: int = DEFAULT_CHUNK) -> LivelihoodResult:
    """Flags, triggers, groups and elimination of every household at month m-1, computed
    `chunk` households at a time (the result does not depend on `chunk`)."""
    p = relapse_monitoring_params(params)
    if chunk < 1:
        raise ValueError("chunk must be ≥ 1")
    n = inputs.households
    parts = [_monitor(inputs.rows(s, min(s + chunk, n)), p) for s in range(0, n, chunk)]
    if not parts:
        parts = [_monitor(inputs, p)]
    return LivelihoodResult.concat(parts) if len(parts) > 1 else parts[0]


def _window(cs: NDArray[Any], end: NDArray[Any] | int, w: int) -> NDArray[Any]:
    """Sums over the w months ending at `end` (inclusive) from a zero-padded cumulative sum
    along axis 1; months before 0 count nothing."""
    end_arr = np.asarray(end)
    start = np.maximum(end_arr + 1 - w, 0)
    if end_arr.ndim == 0:
        return np.asarray(cs[:, int(end_arr) + 1] - cs[:, int(start)])
    return np.asarray(cs[:, end_arr + 1] - cs[:, start])


def window_income(inputs: LivelihoodInputs, params: Mapping[str, Any]) -> NDArray[np.float32]:
    """(n, m) the annualised per-capita window income A of every month (NaN where the window
    has fewer than ``min_months`` months with income): the series behind `income_annual`, for
    a household's chart. Meant for a page's households, not the national pass."""
    p = relapse_monitoring_params(params)
    w, min_n = int(p["window_months"]), int(p["min_months"])
    cs, cn, _month, _present = _cumulative_income(inputs, p)
    months = np.arange(inputs.months)
    s_all, n_all = _window(cs, months, w), _window(cn, months, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_all >= min_n, s_all * 12 / n_all, np.nan).astype(np.float32)


def _cumulative_income(inp: LivelihoodInputs, p: Mapping[str, Any]) -> tuple[
        NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Zero-padded cumulative sums along the months of the counted income and of the months
    present, the month's income (NaN: missing) and whether it is present."""
    ncomp = len(COMPONENTS) if p["count_transfers"] else len(COMPONENTS) - 1
    month_inc = inp.income[:, :, :ncomp].sum(axis=2, dtype=np.float64)   # NaN if any missing
    present = ~np.isnan(month_inc)
    zero_col = np.zeros((inp.households, 1))
    cs = np.concatenate([zero_col, np.cumsum(np.where(present, month_inc, 0.0), axis=1)], 1)
    cn = np.concatenate([zero_col, np.cumsum(present, axis=1, dtype=np.float64)], 1)
    return cs, cn, month_inc, present


def _monitor(inp: LivelihoodInputs, p: Mapping[str, Any]) -> LivelihoodResult:
    n, m = inp.households, inp.months
    last = m - 1
    w, min_n = int(p["window_months"]), int(p["min_months"])
    cs, cn, month_inc, present = _cumulative_income(inp, p)
    zero_col = np.zeros((n, 1))
    thr64 = inp.threshold.astype(np.float64)
    thr_all = np.broadcast_to(thr64[:, None] if thr64.ndim == 1 else thr64, (n, m))
    thr = thr_all[:, last]
    members = inp.members.astype(np.float64)

    # The window of the last month, annualised: A = S × 12 / N (ann = s_win × 12 / n_win).
    s_win, n_win = _window(cs, last, w), _window(cn, last, w)
    valid = n_win >= min_n
    with np.errstate(invalid="ignore", divide="ignore"):
        ann = np.where(valid, s_win * 12 / n_win, np.nan)
    below = valid & (s_win * 12 < thr * n_win)

    lag = 12 if p["drop_against"] == "year_before" else w
    if last - lag >= 0:
        s_prev, n_prev = _window(cs, last - lag, w), _window(cn, last - lag, w)
    else:
        s_prev, n_prev = np.zeros(n), np.zeros(n)
    prior_ok = valid & (n_prev >= min_n) & (s_prev > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ann_prior = np.where(n_prev >= min_n, s_prev * 12 / n_prev, np.nan)
        drop_pct = np.where(prior_ok, (ann_prior - ann) / ann_prior * 100, np.nan)
    # (A_p − A) / A_p ≥ x/100  ⇔  (Sp·N − S·Np)·100 ≥ x·Sp·N   (N, Np, Sp > 0)
    drop = prior_ok & ((s_prev * n_win - s_win * n_prev) * 100
                       >= float(p["drop_pct"]) * s_prev * n_win)

    kinds = [SPENDING_KINDS.index(k) for k in p["rigid_kinds"]]
    rigid_month = np.nansum(inp.spending[:, :, kinds], axis=2, dtype=np.float64)
    rs = np.concatenate([zero_col, np.cumsum(rigid_month, axis=1)], 1)
    rig = _window(rs, last, w)
    # Household income over the window: members × A × w / 12 = members × S × w / N.
    with np.errstate(invalid="ignore", divide="ignore"):
        hh_window = np.where(valid, members * s_win * w / n_win, np.nan)
        share = np.where(valid, np.where(hh_window > 0, rig / hh_window * 100,
                                         np.where(rig > 0, np.inf, 0.0)), np.nan)
    # R / (members·S·w/N) > y/100  ⇔  R·100·N > y·members·S·w ; income ≤ 0: any spending
    y_share = float(p["spending_share_pct"])
    rigid = valid & (rig > 0) & ((s_win <= 0) | (rig * 100 * n_win > y_share * members * s_win * w))

    shock_m = int(p["shock_months"])
    shk = _window(rs, last, shock_m)
    shock = np.zeros(n, bool)
    if p["shock_amount"] is not None:
        shock |= shk > float(p["shock_amount"])
    if p["shock_share_pct"] is not None:
        # Sh > y% of members × A  ⇔  Sh·100·N > y·members·S·12 ; income ≤ 0: any spending
        y_shock = float(p["shock_share_pct"])
        shock |= valid & (shk > 0) & ((s_win <= 0)
                                      | (shk * 100 * n_win > y_shock * members * s_win * 12))

    required = sum(1 << GUARANTEES.index(g) for g in p["guarantees_required"])
    g_all = inp.guarantees.astype(np.uint8)
    missing = ((~g_all[:, last]) & required).astype(np.uint8)
    lost = missing != 0

    triggers = (below * Trigger.INCOME_BELOW + drop * Trigger.INCOME_DROP
                + rigid * Trigger.RIGID_SPENDING + lost * Trigger.GUARANTEE_LOST
                + shock * Trigger.SPENDING_SHOCK).astype(np.uint8)

    lifted = inp.lifted_year.astype(np.int64)
    since = np.where(lifted > 0, inp.year - lifted, -1)
    unstable = ((lifted > 0) & (since >= 0) & (since <= int(p["unstable_years"])) & valid
                & (s_win * 12 < float(p["unstable_multiple"]) * thr * n_win))
    marginal = (lifted == 0) & valid & (s_win * 12 < float(p["marginal_multiple"]) * thr * n_win)
    groups = (unstable * Group.UNSTABLE_AFTER_EXIT + marginal * Group.MARGINAL
              + shock * Group.SUDDEN_DIFFICULTY).astype(np.uint8)
    group = np.select([unstable, marginal, shock],
                      [Group.UNSTABLE_AFTER_EXIT, Group.MARGINAL, Group.SUDDEN_DIFFICULTY],
                      0).astype(np.uint8)
    flagged = (triggers != 0) | (groups != 0)
    reason = np.select(
        [below, drop, rigid, shock, lost, unstable, marginal, ~valid],
        [Reason.INCOME_BELOW, Reason.INCOME_DROP, Reason.RIGID_SPENDING,
         Reason.SPENDING_SHOCK, Reason.GUARANTEE_LOST, Reason.UNSTABLE_AFTER_EXIT,
         Reason.MARGINAL, Reason.INSUFFICIENT_DATA], Reason.NOT_FLAGGED).astype(np.uint8)

    # Elimination: good months in a row ending at last.
    if p["elimination_income"] == "window":
        months = np.arange(m)
        s_all, n_all = _window(cs, months, w), _window(cn, months, w)
        has = n_all >= min_n
        inc_ok = has & (s_all * 12 >= thr_all * n_all)
    else:
        has = present
        inc_ok = present & (month_inc * 12 >= thr_all)
    g_ok = (g_all & required) == required
    good = inc_ok & g_ok
    last_bad = np.where(~good, np.arange(m), -1).max(axis=1, initial=-1)
    run = last - last_bad
    need = int(p["elimination_months"])
    eligible = run >= need
    eligible_from = (last - run + need).astype(np.int16)
    elim = np.select(
        [eligible, good[:, last], ~has[:, last], ~inc_ok[:, last]],
        [Elimination.ELIGIBLE, Elimination.TOO_SHORT, Elimination.NO_DATA,
         Elimination.INCOME_BELOW], Elimination.GUARANTEE_MISSING).astype(np.uint8)

    return LivelihoodResult(
        flagged=flagged, triggers=triggers, groups=groups, group=group, reason=reason,
        income_annual=ann.astype(np.float32), income_months=n_win.astype(np.uint8),
        threshold=thr.astype(np.float32), income_prior=ann_prior.astype(np.float32),
        drop_pct=drop_pct.astype(np.float32), household_income=hh_window.astype(np.float32),
        rigid_spending=rig.astype(np.float32),
        spending_share_pct=share.astype(np.float32), shock_spending=shk.astype(np.float32),
        guarantees_missing=missing, years_since_exit=since.astype(np.int16),
        good_months=np.minimum(run, 255).astype(np.uint8), eligible=eligible,
        eligible_from=eligible_from, elimination_reason=elim, params=p)


# --- the registry -----------------------------------------------------------------------------

_REGISTRY: RuleRegistry[LivelihoodInputs, LivelihoodResult] = RuleRegistry()
_REGISTRY.register("relapse_monitoring", relapse_monitoring, relapse_monitoring_params)


def register_rule_kind(name: str, evaluate: RuleKind,
                       validate: Callable[[Mapping[str, Any]], dict[str, Any]]) -> None:
    """Add a kind: `evaluate(inputs, params)` and `validate(params)` (defaults filled in;
    RuleParamsError naming each bad parameter)."""
    _REGISTRY.register(name, evaluate, validate)


def rule_kinds() -> list[str]:
    return _REGISTRY.kinds()


def validate_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return _REGISTRY.validate(kind, params)


def evaluate(kind: str, params: Mapping[str, Any], inputs: LivelihoodInputs) -> LivelihoodResult:
    """Every household's flag under one rule set."""
    return _REGISTRY.evaluate(kind, params, inputs)
