"""Area risk levels (分区分级): the rule sets as pure functions over divisions × days.

A rule set is a *kind* (a function registered here under a name) plus *parameters* (versioned
data stored with every level it produced). Two kinds are built in:

``window_threshold``
    The county rule of February 2020 (国务院联防联控机制, 2020-02-17) and the finer sub-county
    rule of the later prevention plans share one shape, over a window of W days:

    - low: no case ever, or no new case in the last W days;
    - high: the counted cases (the cumulative total, or the window's total when
      ``high_count`` is ``"window"``) exceed ``high_threshold`` and a cluster occurred within
      the window (or no cluster is required: ``high_needs_cluster`` false);
    - medium: every other area with a new case in the window.

    With ``step_down_days`` an area does not follow the window down: a high area steps down to
    medium after that many consecutive days without a new case, a medium one to low after
    its own count more (the 2022 plan: high → medium after 7 quiet days, medium → low after 3
    more), whatever the window still says. It rises at once when the window rule gives a higher
    level on a day with a new case, or when the rule's verdict itself rose (a cluster entered
    the window); on a quiet day an unchanged verdict does not undo a step down. With counts at
    least the window (the sub-county default: 14 and 14) the level is never below the window
    rule's. Without ``step_down_days`` the level is exactly the window rule's (the 2020 county
    rule).

A health commission's own rule is either new parameters of a built-in kind (data only) or a
new kind: a function with the signature of `window_threshold` registered with
`register_rule_kind` (and named in ``SHOUWANG_RISK_RULE_KINDS`` so the platform imports it).

Every cell of the result carries a reason code (`Reason`) and the numbers behind it, so a
level can explain itself in any language. Nothing here imports Django.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

# Re-exported: the services catch the parameter errors of a rule kind from this module.
from shouwang.epi.rule_registry import RuleParamsError as RuleParamsError
from shouwang.epi.rule_registry import RuleRegistry

LOW, MEDIUM, HIGH = 0, 1, 2
LEVEL_NAMES = ("low", "medium", "high")


class Reason(IntEnum):
    """Why a cell has its level. The codes are stored; keep them stable."""

    NO_CASE = 1            # low: no case ever
    QUIET_WINDOW = 2       # low: no new case in the window
    UNDER_THRESHOLD = 3    # medium: new cases, count ≤ threshold
    NO_CLUSTER = 4         # medium: count > threshold, no cluster in the window
    OVER_THRESHOLD = 5     # high: count > threshold and a cluster (or none required)
    HELD = 6               # kept at its level: fewer quiet days than the step-down needs
    STEPPED_DOWN = 7       # stepped down one level after enough quiet days


REASON_NAMES = {r.value: r.name.lower() for r in Reason}


@dataclass(frozen=True)
class RiskInputs:
    """Daily inputs of `n` areas over `d` consecutive days (day 0 … d-1).

    ``new_cases[i, t]`` counts the cases of area i that the rule counts, dated day t; the
    window of day t is days t-W+1 … t. Days before day 0 enter through ``history``: the same
    counts for the H days before day 0 (H ≥ the window and ≥ the longest step-down, so that
    the first day's window and quiet streak are right), ``cumulative_before`` (all cases
    before the history starts) and ``cluster`` likewise covers history + days.
    """

    new_cases: NDArray[np.int64]          # (n, d)
    history: NDArray[np.int64]            # (n, h)  counts of the h days before day 0
    cumulative_before: NDArray[np.int64]  # (n,)    cases before the history
    cluster: NDArray[np.bool_]            # (n, h + d) a cluster occurred (was active) that day
    # (n,) the level on day -1 when stored; -1 for an area never computed (it then starts from
    # the rule's level of day -1). None: every area unknown.
    previous_level: NDArray[np.int8] | None = None
    # (n,) quiet days counted at that level on day -1 (a step down restarts the count); only
    # step-down rules read it. Without it the quiet days since the last case are used.
    previous_streak: NDArray[np.int64] | None = None
    # (n,) for areas with cases before the history: days from the last of them to the
    # history's first day (≥ 1; 0 = none). Without it 1 is assumed and the quiet days of an
    # area whose last case precedes the history are a lower bound.
    last_case_gap: NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        n, d = self.new_cases.shape
        h = self.history.shape[1]
        if self.history.shape[0] != n or self.cumulative_before.shape != (n,):
            raise ValueError("history and cumulative_before must have one row per area")
        if self.cluster.shape != (n, h + d):
            raise ValueError(f"cluster must be ({n}, {h + d}), got {self.cluster.shape}")
        for name in ("previous_level", "previous_streak", "last_case_gap"):
            value = getattr(self, name)
            if value is not None and value.shape != (n,):
                raise ValueError(f"{name} must have one entry per area")


@dataclass(frozen=True)
class RiskResult:
    """Per area and day: the level, its reason and the numbers the reason quotes."""

    level: NDArray[np.int8]             # (n, d) LOW / MEDIUM / HIGH
    reason: NDArray[np.int8]            # (n, d) Reason codes
    new_in_window: NDArray[np.int64]    # (n, d)
    cumulative: NDArray[np.int64]       # (n, d) through day t
    counted: NDArray[np.int64]          # (n, d) what was compared with the threshold
    cluster_in_window: NDArray[np.bool_]  # (n, d)
    quiet_days: NDArray[np.int64]       # (n, d) consecutive days without a new case up to t
                                        # (-1: no case ever)
    streak: NDArray[np.int64]           # (n, d) quiet days counted at the cell's level
    params: Mapping[str, Any] = field(default_factory=dict)

    def explain(self, i: int, t: int) -> dict[str, Any]:
        """The numbers of one cell, as stored with the level."""
        return {
            "new_in_window": int(self.new_in_window[i, t]),
            "cumulative": int(self.cumulative[i, t]),
            "counted": int(self.counted[i, t]),
            "cluster_in_window": bool(self.cluster_in_window[i, t]),
            "quiet_days": int(self.quiet_days[i, t]),
            "streak": int(self.streak[i, t]),
        }


RuleKind = Callable[[RiskInputs, Mapping[str, Any]], RiskResult]

# --- window_threshold -------------------------------------------------------------------------

WINDOW_THRESHOLD_DEFAULTS: dict[str, Any] = {
    "window_days": 14,
    "high_threshold": 50,
    "high_count": "cumulative",   # or "window"
    "high_needs_cluster": True,
    "step_down_days": None,       # or {"high": 7, "medium": 3}
}


def window_threshold_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters with defaults filled in, checked; RuleParamsError names each bad one."""
    unknown = set(params) - set(WINDOW_THRESHOLD_DEFAULTS) - {"classifications"}
    merged = {**WINDOW_THRESHOLD_DEFAULTS, **params}
    errors: dict[str, str] = {k: "unknown parameter" for k in sorted(unknown)}

    def positive_int(name: str, value: Any, upper: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= upper:
            errors[name] = f"must be a whole number from 1 to {upper}"

    positive_int("window_days", merged["window_days"], 90)
    threshold = merged["high_threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        errors["high_threshold"] = "must be a whole number ≥ 0"
    if merged["high_count"] not in ("cumulative", "window"):
        errors["high_count"] = "must be 'cumulative' or 'window'"
    if not isinstance(merged["high_needs_cluster"], bool):
        errors["high_needs_cluster"] = "must be true or false"
    steps = merged["step_down_days"]
    if steps is not None:
        if not isinstance(steps, Mapping) or set(steps) != {"high", "medium"}:
            errors["step_down_days"] = "must be null or {\"high\": days, \"medium\": days}"
        else:
            for key in ("high", "medium"):
                positive_int(f"step_down_days.{key}", steps[key], 90)
    if errors:
        raise RuleParamsError(errors)
    return merged


def history_days_needed(params: Mapping[str, Any]) -> int:
    """How many days before the first evaluated day the inputs must cover."""
    p = window_threshold_params(params)
    steps = p["step_down_days"] or {}
    return int(max(p["window_days"], *(v for v in steps.values()), 1))


def window_threshold(inputs: RiskInputs, params: Mapping[str, Any]) -> RiskResult:
    p = window_threshold_params(params)
    w = int(p["window_days"])
    h = inputs.history.shape[1]
    if h < w - 1:
        raise ValueError(f"the inputs need at least {w - 1} days of history, have {h}")
    n, d = inputs.new_cases.shape
    counts = np.concatenate([inputs.history, inputs.new_cases], axis=1).astype(np.int64)
    csum = np.cumsum(counts, axis=1)
    cumulative_all = inputs.cumulative_before[:, None] + csum
    # Window sums over days t-w+1 … t of the full (history + days) series, for day -1 (the
    # rule's verdict the day before, which the step-down compares with; its window lacks a day
    # when the history is only w-1 long) and the days evaluated.
    padded = np.concatenate([np.zeros((n, 1), np.int64), csum], axis=1)
    first = max(h - 1, 0)
    idx = np.arange(first, h + d)
    new_in_window = padded[:, idx + 1] - padded[:, np.maximum(idx + 1 - w, 0)]
    cumulative = cumulative_all[:, idx]
    cl = inputs.cluster.astype(np.int64)
    cl_sum = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(cl, axis=1)], axis=1)
    cluster_in_window = (cl_sum[:, idx + 1] - cl_sum[:, np.maximum(idx + 1 - w, 0)]) > 0

    counted = cumulative if p["high_count"] == "cumulative" else new_in_window
    over = counted > int(p["high_threshold"])
    high = over & (cluster_in_window | (not p["high_needs_cluster"])) & (new_in_window > 0)
    rule_level = np.where(new_in_window > 0, np.where(high, HIGH, MEDIUM), LOW).astype(np.int8)
    rule_reason = np.select(
        [cumulative == 0, new_in_window == 0, high, over],
        [Reason.NO_CASE, Reason.QUIET_WINDOW, Reason.OVER_THRESHOLD, Reason.NO_CLUSTER],
        Reason.UNDER_THRESHOLD).astype(np.int8)
    gap = (inputs.last_case_gap if inputs.last_case_gap is not None
           else np.ones(n, np.int64))
    quiet = _quiet_days(counts, cumulative_all, gap)[:, idx]
    # Day -1 (when there is history) is only the rule's verdict the day before.
    rule_prev = rule_level[:, 0] if h > 0 else np.full(n, LOW, np.int8)
    s = 1 if h > 0 else 0
    new_in_window, cumulative, counted = new_in_window[:, s:], cumulative[:, s:], counted[:, s:]
    cluster_in_window, quiet = cluster_in_window[:, s:], quiet[:, s:]
    rule_level, rule_reason = rule_level[:, s:], rule_reason[:, s:]
    steps = p["step_down_days"]
    if not steps:
        return RiskResult(rule_level, rule_reason, new_in_window, cumulative, counted,
                          cluster_in_window, quiet, np.maximum(quiet, 0), p)
    level, reason, streak = _with_step_down(rule_level, rule_reason, rule_prev, counts[:, h:],
                                            quiet, inputs.previous_level,
                                            inputs.previous_streak, steps)
    return RiskResult(level, reason, new_in_window, cumulative, counted, cluster_in_window,
                      quiet, streak, p)


def _quiet_days(counts: NDArray[np.int64], cumulative: NDArray[np.int64],
                gap: NDArray[np.int64]) -> NDArray[np.int64]:
    """Days since the last day with a case (0 on a day with one), -1 before the first case.
    `gap`: days from the last case before the series to its first day (≥ 1 where known)."""
    n, total = counts.shape
    day = np.broadcast_to(np.arange(total), (n, total))
    last = np.where(counts > 0, day, -1)
    last = np.maximum.accumulate(last, axis=1)
    quiet = day - last
    # A case before the history started: `gap` days before its first day.
    before = (last < 0) & (cumulative > 0)
    quiet = np.where(before, day + np.maximum(gap, 1)[:, None], quiet)
    return np.where((last < 0) & (cumulative == 0), -1, quiet).astype(np.int64)


def _with_step_down(rule_level: NDArray[np.int8], rule_reason: NDArray[np.int8],
                    rule_prev: NDArray[np.int8], counts: NDArray[np.int64],
                    quiet: NDArray[np.int64], previous: NDArray[np.int8] | None,
                    previous_streak: NDArray[np.int64] | None, steps: Mapping[str, int],
                    ) -> tuple[NDArray[np.int8], NDArray[np.int8], NDArray[np.int64]]:
    """Hysteresis, one day at a time (vectorised over areas).

    A level rises at once to the rule's on a day with a new case, or when the rule's verdict
    rose since the day before; it falls one step after `steps[level]` consecutive days without
    a new case, counted from the later of the last case and the last step, whatever the window
    still says. Reasons: a step, or a level below the rule's, is STEPPED_DOWN; a level above
    the rule's without a step is HELD; otherwise the rule's own reason."""
    n, d = rule_level.shape
    need = np.array([0, steps["medium"], steps["high"]], np.int64)
    level = np.empty((n, d), np.int8)
    reason = rule_reason.copy()
    # An area never computed starts from the rule's verdict of day -1.
    if previous is None:
        current = rule_prev.astype(np.int8)
    else:
        current = np.where(previous < 0, rule_prev, previous).astype(np.int8)
    # Quiet days counted at the current level (a step resets it), as of day -1.
    if previous_streak is not None:
        streak = previous_streak.astype(np.int64)
    else:
        streak = np.where(quiet[:, 0] > 0, quiet[:, 0] - 1, 0) if d else np.zeros(n, np.int64)
    streaks = np.empty((n, d), np.int64)
    before = rule_prev.astype(np.int8)
    for t in range(d):
        case_today = counts[:, t] > 0
        streak = np.where(case_today, 0, streak + 1)
        rule = rule_level[:, t]
        rising = (rule > current) & (case_today | (rule > before))
        can_step = (~rising) & (current > LOW) & (streak >= need[current])
        new = np.where(rising, rule, np.where(can_step, current - 1, current)).astype(np.int8)
        reason[:, t] = np.select([can_step | (new < rule), new > rule],
                                 [Reason.STEPPED_DOWN, Reason.HELD], reason[:, t])
        # A step down starts a fresh streak for the next level.
        streak = np.where(can_step, 0, streak)
        streaks[:, t] = streak
        level[:, t] = new
        current = new
        before = rule
    return level, reason, streaks


# --- the registry -----------------------------------------------------------------------------

_REGISTRY: RuleRegistry[RiskInputs, RiskResult] = RuleRegistry()
_REGISTRY.register("window_threshold", window_threshold, window_threshold_params)
_HISTORY: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "window_threshold": history_days_needed}


def register_rule_kind(name: str, evaluate: RuleKind,
                       validate: Callable[[Mapping[str, Any]], dict[str, Any]],
                       history_days: Callable[[Mapping[str, Any]], int]) -> None:
    """Add a kind of rule: `evaluate(inputs, params)`, `validate(params)` (defaults filled in;
    RuleParamsError on bad ones) and `history_days(params)` (days of inputs before day 0)."""
    _REGISTRY.register(name, evaluate, validate)
    _HISTORY[name] = history_days


def rule_kinds() -> list[str]:
    return _REGISTRY.kinds()


def validate_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return _REGISTRY.validate(kind, params)


def history_days(kind: str, params: Mapping[str, Any]) -> int:
    _REGISTRY.check(kind)
    return _HISTORY[kind](params)


def evaluate(kind: str, params: Mapping[str, Any], inputs: RiskInputs) -> RiskResult:
    """Levels of every area and day under one rule set."""
    return _REGISTRY.evaluate(kind, params, inputs)
