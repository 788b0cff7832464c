"""A tiny rule kind a health commission might add (used by test_rule_kinds.py, named in
settings.SHOUWANG_RISK_RULE_KINDS there): an area is high when its cases within the window
reach `high_at`, medium with any case in the window, low otherwise. Registers on import."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from shouwang.epi import risk_rules

KIND = "test_case_count"
DEFAULTS: dict[str, Any] = {"window_days": 7, "high_at": 5}


def validate(params: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULTS, **params}
    errors = {k: "unknown parameter" for k in sorted(set(params) - set(DEFAULTS))}
    for name in ("window_days", "high_at"):
        value = merged[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 90:
            errors[name] = "must be a whole number from 1 to 90"
    if errors:
        raise risk_rules.RuleParamsError(errors)
    return merged


def history_days(params: Mapping[str, Any]) -> int:
    return int(validate(params)["window_days"])


def evaluate(inputs: risk_rules.RiskInputs, params: Mapping[str, Any]) -> risk_rules.RiskResult:
    p = validate(params)
    w = int(p["window_days"])
    h = inputs.history.shape[1]
    counts = np.concatenate([inputs.history, inputs.new_cases], axis=1).astype(np.int64)
    csum = np.concatenate([np.zeros((counts.shape[0], 1), np.int64), np.cumsum(counts, axis=1)],
                          axis=1)
    idx = np.arange(h, counts.shape[1])
    in_window = csum[:, idx + 1] - csum[:, np.maximum(idx + 1 - w, 0)]
    cumulative = inputs.cumulative_before[:, None] + csum[:, idx + 1]
    level = np.where(in_window >= p["high_at"], risk_rules.HIGH,
                     np.where(in_window > 0, risk_rules.MEDIUM, risk_rules.LOW)).astype(np.int8)
    reason = np.where(level == risk_rules.HIGH, risk_rules.Reason.OVER_THRESHOLD,
                      np.where(level == risk_rules.MEDIUM, risk_rules.Reason.UNDER_THRESHOLD,
                               risk_rules.Reason.QUIET_WINDOW)).astype(np.int8)
    zeros = np.zeros_like(in_window)
    return risk_rules.RiskResult(level, reason, in_window, cumulative, in_window,
                                 np.zeros(in_window.shape, bool), zeros, zeros, p)


risk_rules.register_rule_kind(KIND, evaluate, validate, history_days)
