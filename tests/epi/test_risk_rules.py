"""The area risk rules (shouwang.epi.risk_rules) against the published rule text.

There is no R reference for this rule; the reference is the text itself, 国务院应对新型冠状病毒
肺炎疫情联防联控机制《关于科学防治精准施策分区分级做好新冠肺炎疫情防控工作的指导意见》
(2020-02-17):

    低风险地区：无确诊病例或连续14天无新增确诊病例；
    中风险地区：14天内有新增确诊病例，累计确诊病例不超过50例，或累计确诊病例超过50例，
              14天内未发生聚集性疫情；
    高风险地区：累计确诊病例超过50例，14天内有聚集性疫情发生。

(low: no confirmed case, or no new confirmed case for 14 consecutive days; medium: new
confirmed cases within 14 days and at most 50 in total, or more than 50 in total and no cluster
within 14 days; high: more than 50 in total and a cluster within 14 days.)

The step-down of the finer rule (high → medium after N days without a new case, medium → low
after M more) follows the later prevention plans (第九版防控方案, 2022: 高风险区连续7天无新增
感染者降为中风险区，中风险区连续3天无新增感染者降为低风险区).

Day t's window is days t-13 … t: `new_cases[:, t]` are the cases dated t.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouwang.epi import risk_rules as rr
from shouwang.epi.risk_rules import HIGH, LOW, MEDIUM, Reason, RiskInputs

COUNTY: dict[str, Any] = {"window_days": 14, "high_threshold": 50, "high_count": "cumulative",
                          "high_needs_cluster": True, "step_down_days": None}
STEPPED: dict[str, Any] = {**COUNTY, "high_threshold": 10,
                           "step_down_days": {"high": 7, "medium": 3}}
H = 14  # days of history given to every evaluation here


def inputs(counts: list[list[int]] | np.ndarray, *,
           cluster: list[list[int]] | np.ndarray | None = None,
           history: int = H, before: list[int] | None = None, **kw: Any) -> RiskInputs:
    """The first `history` columns of `counts` are history, the rest the evaluated days."""
    full = np.asarray(counts, dtype=np.int64)
    n = full.shape[0]
    cl = (np.zeros(full.shape, bool) if cluster is None
          else np.asarray(cluster, dtype=bool))
    return RiskInputs(new_cases=full[:, history:], history=full[:, :history],
                      cumulative_before=np.asarray(before or [0] * n, dtype=np.int64),
                      cluster=cl, **kw)


def series(length: int, cases: dict[int, int]) -> list[int]:
    out = [0] * length
    for day, n in cases.items():
        out[day] = n
    return out


def county(inp: RiskInputs) -> rr.RiskResult:
    return rr.evaluate("window_threshold", COUNTY, inp)


# --- the February 2020 county rule, clause by clause --------------------------------------------


def test_no_case_ever_is_low() -> None:
    r = county(inputs([[0] * (H + 5)]))
    assert (r.level == LOW).all()
    assert (r.reason == Reason.NO_CASE).all()
    assert (r.quiet_days == -1).all()


def test_no_new_case_for_14_consecutive_days_is_low() -> None:
    # A case on day 5 (of history); day 19 is the 14th day after it without a new case.
    r = county(inputs([series(H + 10, {5: 3})]))
    day_19 = 19 - H
    assert r.level[0, day_19] == LOW
    assert r.reason[0, day_19] == Reason.QUIET_WINDOW
    assert r.cumulative[0, day_19] == 3
    assert r.quiet_days[0, day_19] == 14


@pytest.mark.parametrize(("days_before", "level"), [(13, MEDIUM), (14, LOW)])
def test_window_edge(days_before: int, level: int) -> None:
    """A case 13 days before day t is within "14 days" (days t-13 … t); 14 days before is
    not: by then 14 consecutive days without a new case have passed."""
    t = H + 20
    r = county(inputs([series(t + 1, {t - days_before: 1})]))
    assert r.level[0, -1] == level
    assert r.new_in_window[0, -1] == (1 if level == MEDIUM else 0)


def test_new_within_14_days_and_at_most_50_is_medium() -> None:
    r = county(inputs([series(H + 3, {H: 20, H + 1: 30})],
                      cluster=[series(H + 3, {H: 1})]))
    assert r.level[0].tolist() == [MEDIUM, MEDIUM, MEDIUM]
    assert r.reason[0, -1] == Reason.UNDER_THRESHOLD
    assert r.cumulative[0, -1] == 50  # a cluster does not matter at ≤ 50


def test_exactly_50_is_not_more_than_50() -> None:
    cl = [series(H + 1, {H: 1})]
    at_50 = county(inputs([series(H + 1, {H: 50})], cluster=cl))
    at_51 = county(inputs([series(H + 1, {H: 51})], cluster=cl))
    assert (at_50.level[0, 0], at_50.reason[0, 0]) == (MEDIUM, Reason.UNDER_THRESHOLD)
    assert (at_51.level[0, 0], at_51.reason[0, 0]) == (HIGH, Reason.OVER_THRESHOLD)


def test_over_50_without_cluster_in_window_is_medium() -> None:
    # 60 cases long ago plus one new; the cluster was 20 days ago, outside the window.
    counts = [series(H + 30, {H + 28: 1})]
    cluster = [series(H + 30, {H + 8: 1})]
    r = county(inputs(counts, cluster=cluster, before=[60]))
    assert r.level[0, -1] == MEDIUM
    assert r.reason[0, -1] == Reason.NO_CLUSTER
    assert r.counted[0, -1] == 61
    assert not r.cluster_in_window[0, -1]


def test_over_50_with_cluster_in_window_is_high() -> None:
    counts = [series(H + 30, {H + 28: 1})]
    cluster = [series(H + 30, {H + 16: 1})]  # 13 days before the last day: in the window
    r = county(inputs(counts, cluster=cluster, before=[60]))
    assert r.level[0, -1] == HIGH
    assert r.reason[0, -1] == Reason.OVER_THRESHOLD
    assert r.cluster_in_window[0, -1]
    cluster = [series(H + 30, {H + 15: 1})]  # 14 days before: outside
    assert county(inputs(counts, cluster=cluster, before=[60])).level[0, -1] == MEDIUM


def test_over_50_with_a_cluster_but_quiet_14_days_is_low() -> None:
    """Low wins: no new case for 14 days, whatever the cumulative total."""
    counts = [series(H + 20, {H: 5})]
    cluster = [[1] * (H + 20)]
    r = county(inputs(counts, cluster=cluster, before=[100]))
    assert r.level[0, -1] == LOW
    assert r.reason[0, -1] == Reason.QUIET_WINDOW


def test_county_rule_never_holds_a_level() -> None:
    """Without step_down_days the level is exactly the window rule's, day by day."""
    counts = [series(H + 30, {H: 60, H + 1: 1})]
    cluster = [series(H + 30, {H: 1})]
    r = county(inputs(counts, cluster=cluster))
    assert r.level[0, 1] == HIGH
    # The cluster (day 0) leaves the window on day 14: medium; the last case (day 1) on day 15.
    assert r.level[0, 13] == HIGH
    assert r.level[0, 14] == MEDIUM and r.reason[0, 14] == Reason.NO_CLUSTER
    assert r.level[0, 15] == LOW
    assert (r.reason != Reason.HELD).all() and (r.reason != Reason.STEPPED_DOWN).all()


def test_window_count_variant() -> None:
    """high_count="window": the window's cases are compared, not the cumulative total."""
    params = {**COUNTY, "high_count": "window", "high_threshold": 5,
              "high_needs_cluster": False}
    counts = [series(H + 20, {H: 6, H + 15: 1})]
    r = rr.evaluate("window_threshold", params, inputs(counts))
    assert r.level[0, 0] == HIGH
    assert r.level[0, 15] == MEDIUM  # the 6 left the window; 7 cumulative no longer count
    assert r.counted[0, 15] == 1


# --- step-down hysteresis -----------------------------------------------------------------------


def stepped(counts: list[list[int]], **kw: Any) -> rr.RiskResult:
    return rr.evaluate("window_threshold", STEPPED, inputs(counts, **kw))


def test_rise_is_immediate() -> None:
    counts = [series(H + 5, {H + 2: 11})]
    cluster = [series(H + 5, {H + 2: 1})]
    r = stepped(counts, cluster=cluster)
    assert r.level[0].tolist() == [LOW, LOW, HIGH, HIGH, HIGH]


def test_high_steps_to_medium_after_n_quiet_days_then_low_after_m_more() -> None:
    length = H + 40
    counts = [series(length, {H: 11})]
    cluster = [series(length, {H: 1})]
    r = stepped(counts, cluster=cluster)
    lv = r.level[0]
    # Day 0: high. Quiet days 1 … 6: still high.
    assert lv[0] == HIGH
    assert (lv[1:7] == HIGH).all()
    # The 7th quiet day: one step down, although the 14-day window still holds the case (the
    # 2022 plan's counts replace the window for stepping down; without a new case the window's
    # verdict does not raise the area again).
    assert lv[7] == MEDIUM and r.reason[0, 7] == Reason.STEPPED_DOWN
    # Below the window's verdict the reason stays the step that brought it there.
    assert (lv[8:10] == MEDIUM).all() and (r.reason[0, 8:10] == Reason.STEPPED_DOWN).all()
    assert r.streak[0, 7] == 0 and r.streak[0, 9] == 2
    # Medium → low after 3 more quiet days counted from the step.
    assert lv[10] == LOW and r.reason[0, 10] == Reason.STEPPED_DOWN
    assert (lv[11:] == LOW).all()


def test_step_down_counts_from_the_step_and_needs_the_rule_to_allow_it() -> None:
    """High with many quiet days: the window rule says low from day 14; stepping is one level
    per step count, so medium needs 3 days after the step to reach low."""
    length = H + 40
    counts = [series(length, {H: 11})]
    cluster = [series(length, {H: 1})]
    r = rr.evaluate("window_threshold", {**STEPPED, "step_down_days": {"high": 14,
                                                                     "medium": 5}},
                    inputs(counts, cluster=cluster))
    lv = r.level[0]
    assert (lv[:14] == HIGH).all()
    assert lv[14] == MEDIUM and r.reason[0, 14] == Reason.STEPPED_DOWN
    assert (lv[15:19] == MEDIUM).all() and (r.reason[0, 15:19] == Reason.HELD).all()
    assert lv[19] == LOW and r.reason[0, 19] == Reason.STEPPED_DOWN
    assert r.reason[0, 20] == Reason.QUIET_WINDOW


def test_held_level_reason_and_streak() -> None:
    length = H + 20
    counts = [series(length, {H: 11})]
    cluster = [series(length, {H: 1})]
    r = rr.evaluate("window_threshold", {**STEPPED, "step_down_days": {"high": 20,
                                                                     "medium": 3}},
                    inputs(counts, cluster=cluster))
    # From day 14 the window rule says low; the area is held high until 20 quiet days.
    assert r.level[0, 15] == HIGH
    assert r.reason[0, 15] == Reason.HELD
    assert r.streak[0, 15] == 15


def test_new_case_resets_the_quiet_count() -> None:
    length = H + 30
    counts = [series(length, {H: 11, H + 5: 1})]
    cluster = [series(length, {H: 1})]
    r = stepped(counts, cluster=cluster)
    lv = r.level[0]
    # Without the case on day 5 it would step down on day 7; with it, on day 5 + 7 = 12.
    assert (lv[:12] == HIGH).all()
    assert lv[12] == MEDIUM
    assert r.streak[0, 5] == 0


def test_new_case_while_medium_restarts_the_count_to_low() -> None:
    length = H + 30
    counts = [series(length, {H: 11, H + 8: 1})]
    cluster = [series(length, {H: 1})]
    r = stepped(counts, cluster=cluster)
    lv = r.level[0]
    assert lv[7] == MEDIUM
    # The case on day 8 keeps it medium (the rule: 12 cumulative, cluster in the window says
    # high → a rise!). The cluster of day 0 is still in the window: it rises to high again.
    assert lv[8] == HIGH


def test_rise_from_medium_to_high_is_immediate() -> None:
    length = H + 10
    counts = [series(length, {H: 5, H + 3: 6})]
    cluster = [series(length, {H + 3: 1})]
    r = stepped(counts, cluster=cluster)
    assert r.level[0].tolist()[:5] == [MEDIUM, MEDIUM, MEDIUM, HIGH, HIGH]


# --- history and continuity ---------------------------------------------------------------------


def test_history_too_short_is_an_error() -> None:
    with pytest.raises(ValueError, match="history"):
        county(inputs([[0] * 20], history=5))


def test_history_counts_into_the_first_days() -> None:
    # A case in history 3 days before day 0 keeps day 0 medium; the cumulative includes it and
    # the cases before the history.
    r = county(inputs([series(H + 2, {H - 3: 2})], before=[7]))
    assert r.level[0, 0] == MEDIUM
    assert r.cumulative[0, 0] == 9
    assert r.new_in_window[0, 0] == 2


def test_cases_before_history_make_the_area_low_not_caseless() -> None:
    r = county(inputs([[0] * (H + 1)], before=[4]))
    assert r.level[0, 0] == LOW and r.reason[0, 0] == Reason.QUIET_WINDOW
    assert r.quiet_days[0, 0] >= H


def test_previous_level_carries_a_held_level_across_calls() -> None:
    """Yesterday high (stored), quiet since: today's call starts from it, not from low."""
    r = rr.evaluate("window_threshold", STEPPED, inputs(
        [[0] * (H + 1)], before=[20], previous_level=np.array([HIGH], np.int8),
        previous_streak=np.array([2], np.int64)))
    assert r.level[0, 0] == HIGH and r.reason[0, 0] == Reason.HELD
    assert r.streak[0, 0] == 3
    r = rr.evaluate("window_threshold", STEPPED, inputs(
        [[0] * (H + 1)], before=[20], previous_level=np.array([HIGH], np.int8),
        previous_streak=np.array([6], np.int64)))
    assert r.level[0, 0] == MEDIUM and r.reason[0, 0] == Reason.STEPPED_DOWN


def test_last_case_gap_makes_quiet_days_exact() -> None:
    """A case 30 days before the history: without the gap the quiet days are a lower bound
    (counted from the history's start), with it they are exact."""
    counts = [[0] * (H + 2)]
    bound = county(inputs(counts, before=[3]))
    exact = county(inputs(counts, before=[3], last_case_gap=np.array([30], np.int64)))
    assert bound.quiet_days[0].tolist() == [H + 1, H + 2]
    assert exact.quiet_days[0].tolist() == [H + 30, H + 31]
    assert exact.streak[0, 0] == H + 30


def test_unknown_previous_level_starts_from_the_rule() -> None:
    """previous_level -1 (never computed): the area starts at the rule's level of the day
    before, so a first computation in the middle of an outbreak is not low."""
    counts = [series(H + 2, {H - 3: 11}), series(H + 2, {H - 3: 11})]
    cluster = [series(H + 2, {H - 3: 1})] * 2
    r = stepped(counts, cluster=cluster, previous_level=np.array([-1, LOW], np.int8))
    assert r.level[0, 0] == HIGH
    # Known low the day before, no new case since: the window's verdict alone does not raise.
    assert r.level[1, 0] == LOW and r.reason[1, 0] == Reason.STEPPED_DOWN


def _day_by_day(params: dict[str, Any], counts: np.ndarray, cluster: np.ndarray,
                start: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Evaluate day `start` … end one call per day, carrying level and streak like the daily
    job does (history = `start` days; cumulative before the history = 0)."""
    total = counts.shape[1]
    level: np.ndarray | None = None
    streak: np.ndarray | None = None
    levels, reasons, streaks, quiet = [], [], [], []
    for t in range(start, total):
        h = start  # the same history length every day: the days [t-h, t)
        inp = RiskInputs(new_cases=counts[:, t:t + 1], history=counts[:, t - h:t],
                         cumulative_before=counts[:, :t - h].sum(axis=1),
                         cluster=cluster[:, t - h:t + 1], previous_level=level,
                         previous_streak=streak, last_case_gap=_gap(counts, t - h))
        r = rr.evaluate("window_threshold", params, inp)
        level, streak = r.level[:, 0], r.streak[:, 0]
        levels.append(level)
        reasons.append(r.reason[:, 0])
        streaks.append(streak)
        quiet.append(r.quiet_days[:, 0])
    return (np.stack(levels, 1), np.stack(reasons, 1), np.stack(streaks, 1),
            np.stack(quiet, 1))


def _gap(counts: np.ndarray, start: int) -> np.ndarray:
    """Days from each area's last case before `start` to `start` (0: none)."""
    before = counts[:, :start] > 0
    if not start:
        return np.zeros(counts.shape[0], np.int64)
    last = np.where(before.any(axis=1), start - 1 - np.argmax(before[:, ::-1], axis=1), start)
    return (start - last).astype(np.int64) * before.any(axis=1)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), stepped_rule=st.booleans(),
       high=st.integers(1, 10), medium=st.integers(1, 10))
def test_day_by_day_equals_a_range(seed: int, stepped_rule: bool, high: int,
                                   medium: int) -> None:
    rng = np.random.default_rng(seed)
    n, total, start = 6, 90, 14
    counts = (rng.random((n, total)) < 0.12) * rng.integers(1, 8, (n, total))
    cluster = rng.random((n, total)) < 0.05
    params = {**COUNTY, "high_threshold": 10}
    if stepped_rule:
        params["step_down_days"] = {"high": high, "medium": medium}
    # The range: one call for days start … total-1, starting from low with no streak known,
    # exactly like the first day of the day-by-day run.
    first = RiskInputs(new_cases=counts[:, start:start + 1], history=counts[:, :start],
                       cumulative_before=np.zeros(n, np.int64), cluster=cluster[:, :start + 1])
    r0 = rr.evaluate("window_threshold", params, first)
    rest = RiskInputs(new_cases=counts[:, start + 1:], history=counts[:, 1:start + 1],
                      cumulative_before=counts[:, :1].sum(axis=1),
                      cluster=cluster[:, 1:], previous_level=r0.level[:, 0],
                      previous_streak=r0.streak[:, 0], last_case_gap=_gap(counts, 1))
    ranged = rr.evaluate("window_threshold", params, rest)
    level, reason, streak, quiet = _day_by_day(params, counts, cluster, start)
    np.testing.assert_array_equal(level[:, 1:], ranged.level)
    np.testing.assert_array_equal(reason[:, 1:], ranged.reason)
    np.testing.assert_array_equal(streak[:, 1:], ranged.streak)
    np.testing.assert_array_equal(quiet[:, 1:], ranged.quiet_days)
    np.testing.assert_array_equal(level[:, :1], r0.level)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_level_never_below_the_window_rule_with_long_step_downs(seed: int) -> None:
    """With step-down counts at least the window (the sub-county default: 14 and 14), the
    step-down only ever holds a level up: never lower than the window rule."""
    rng = np.random.default_rng(seed)
    counts = (rng.random((8, 80)) < 0.1) * rng.integers(1, 6, (8, 80))
    cluster = rng.random((8, 80)) < 0.05
    inp = inputs(counts, cluster=cluster)
    plain = rr.evaluate("window_threshold", {**STEPPED, "step_down_days": None}, inp)
    held = rr.evaluate("window_threshold", {**STEPPED, "step_down_days": {
        "high": 14, "medium": 14}}, inp)
    assert (held.level >= plain.level).all()


# --- parameters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "bad"), [
    ({"window_days": 0}, "window_days"),
    ({"window_days": 91}, "window_days"),
    ({"window_days": True}, "window_days"),
    ({"window_days": 14.0}, "window_days"),
    ({"high_threshold": -1}, "high_threshold"),
    ({"high_threshold": "50"}, "high_threshold"),
    ({"high_count": "total"}, "high_count"),
    ({"high_needs_cluster": 1}, "high_needs_cluster"),
    ({"step_down_days": {"high": 7}}, "step_down_days"),
    ({"step_down_days": [7, 3]}, "step_down_days"),
    ({"step_down_days": {"high": 0, "medium": 3}}, "step_down_days.high"),
    ({"step_down_days": {"high": 7, "medium": "3"}}, "step_down_days.medium"),
    ({"windows": 14}, "windows"),
])
def test_bad_parameters_are_named(params: dict[str, Any], bad: str) -> None:
    with pytest.raises(rr.RuleParamsError) as raised:
        rr.validate_params("window_threshold", params)
    assert bad in raised.value.errors
    with pytest.raises(rr.RuleParamsError):
        rr.evaluate("window_threshold", params, inputs([[0] * (H + 1)]))


def test_every_bad_parameter_at_once() -> None:
    with pytest.raises(rr.RuleParamsError) as raised:
        rr.validate_params("window_threshold", {"window_days": 0, "high_count": "x"})
    assert set(raised.value.errors) == {"window_days", "high_count"}


def test_defaults_filled_and_classifications_allowed() -> None:
    p = rr.validate_params("window_threshold", {"classifications": ["confirmed"]})
    assert p["window_days"] == 14 and p["high_threshold"] == 50
    assert p["classifications"] == ["confirmed"]


def test_unknown_kind() -> None:
    with pytest.raises(rr.RuleParamsError) as raised:
        rr.validate_params("nope", {})
    assert "kind" in raised.value.errors
    with pytest.raises(rr.RuleParamsError):
        rr.evaluate("nope", {}, inputs([[0] * (H + 1)]))


def test_history_days_needed() -> None:
    assert rr.history_days("window_threshold", COUNTY) == 14
    assert rr.history_days("window_threshold", {**COUNTY, "step_down_days": {
        "high": 30, "medium": 3}}) == 30


def test_inputs_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="cluster"):
        RiskInputs(new_cases=np.zeros((2, 3), np.int64), history=np.zeros((2, 14), np.int64),
                   cumulative_before=np.zeros(2, np.int64), cluster=np.zeros((2, 3), bool))
    with pytest.raises(ValueError, match="one row per area"):
        RiskInputs(new_cases=np.zeros((2, 3), np.int64), history=np.zeros((1, 14), np.int64),
                   cumulative_before=np.zeros(2, np.int64), cluster=np.zeros((2, 17), bool))
    with pytest.raises(ValueError, match="previous_level"):
        RiskInputs(new_cases=np.zeros((2, 3), np.int64), history=np.zeros((2, 14), np.int64),
                   cumulative_before=np.zeros(2, np.int64), cluster=np.zeros((2, 17), bool),
                   previous_level=np.zeros(3, np.int8))


def test_register_a_kind() -> None:
    def always_high(inp: RiskInputs, params: Any) -> rr.RiskResult:
        n, d = inp.new_cases.shape
        z = np.zeros((n, d), np.int64)
        return rr.RiskResult(np.full((n, d), HIGH, np.int8),
                             np.full((n, d), Reason.OVER_THRESHOLD, np.int8), z, z, z,
                             np.zeros((n, d), bool), z, z, params)

    rr.register_rule_kind("test_always_high", always_high, lambda p: dict(p), lambda p: 1)
    assert "test_always_high" in rr.rule_kinds()
    assert (rr.evaluate("test_always_high", {}, inputs([[0] * (H + 1)])).level == HIGH).all()
    with pytest.raises(ValueError, match="twice"):
        rr.register_rule_kind("test_always_high", county, lambda p: dict(p),  # type: ignore[arg-type]
                              lambda p: 1)


# --- many areas at once -------------------------------------------------------------------------


def test_vectorised_over_areas_equals_one_area_at_a_time() -> None:
    rng = np.random.default_rng(7)
    n, total = 300, H + 60
    counts = (rng.random((n, total)) < 0.08) * rng.integers(1, 20, (n, total))
    cluster = rng.random((n, total)) < 0.04
    before = rng.integers(0, 80, n)
    for params in (COUNTY, STEPPED):
        together = rr.evaluate("window_threshold", params,
                               inputs(counts, cluster=cluster, before=list(before)))
        for i in range(0, n, 37):
            alone = rr.evaluate("window_threshold", params, inputs(
                counts[i:i + 1], cluster=cluster[i:i + 1], before=[int(before[i])]))
            np.testing.assert_array_equal(together.level[i], alone.level[0])
            np.testing.assert_array_equal(together.reason[i], alone.reason[0])
        assert together.explain(0, 0).keys() == {"new_in_window", "cumulative", "counted",
                                                 "cluster_in_window", "quiet_days", "streak"}
    # All three levels occur: the test is not vacuous.
    assert set(np.unique(together.level).tolist()) == {LOW, MEDIUM, HIGH}
