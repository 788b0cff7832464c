"""Alert reasons: plain words with the numbers, in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import translation

from shouwang.warning.models import Alert, Method
from shouwang.warning.reasons import alert_reason, number

DAY = date(2026, 5, 31)


def _alert(method: str, value: float, mean: float | None, bound: float | None,
           **details: Any) -> Alert:
    return Alert(disease_id="covid19", division_code="420106", level="county", method=method,
                 day=DAY, observed=value, expected=mean, threshold=bound, details=details)


@pytest.mark.parametrize(("value", "text"), [
    (17, "17"), (17.0, "17"), (4.25, "4.2"), (4.26, "4.3"), (0.036, "0.04"), (0.004, "0"),
    (12.04, "12"), (None, "—")])
def test_numbers_read_plainly(value: float | None, text: str) -> None:
    assert number(value) == text


def test_the_issue_example_in_both_languages() -> None:
    alert = _alert(Method.EARS_C3, 17, 4.2, 9.8, days=3, observed=17, expected=4.2,
                   upperbound=9.8)
    with translation.override("zh-hans"):
        assert alert_reason(alert) == "C3 连续 3 天超过阈值：观察 17，期望 4.2，阈值 9.8"
    with translation.override("en"):
        assert alert_reason(alert) == (
            "C3 above threshold for 3 days: observed 17, expected 4.2, threshold 9.8")


def test_one_day_says_no_run_of_days() -> None:
    alert = _alert(Method.EARS_C1, 5, 0.7, 3.9, days=1, observed=5, expected=0.71,
                   upperbound=3.93)
    with translation.override("en"):
        assert alert_reason(alert) == (
            "C1 above threshold: observed 5, expected 0.71, threshold 3.9")


def test_a_method_without_its_own_words_still_gives_its_numbers() -> None:
    alert = _alert(Method.NOWCAST, 12, 5.5, None)
    with translation.override("en"):
        assert alert_reason(alert).endswith(": observed 12, expected 5.5")


def test_scan_p_values_keep_three_digits() -> None:
    alert = _alert(Method.SCAN, 42, 11.3, None, divisions=5, radius_km=12.04, start="2026-05-28",
                   end="2026-05-31", observed=42, expected=11.3, p_value=0.0123)
    with translation.override("en"):
        assert alert_reason(alert) == (
            "Space-time cluster: 5 divisions (radius 12 km), 2026-05-28 to 2026-05-31 observed "
            "42 cases, expected 11.3, p = 0.0123")
