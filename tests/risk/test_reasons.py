"""Reasons read in the reader's language from the stored code and numbers."""

from __future__ import annotations

import pytest
from django.utils import translation

from shouwang.risk.reasons import reason_text, reason_text_zh

INPUTS = {"new_in_window": 7, "cumulative": 63, "counted": 63, "cluster_in_window": True,
          "quiet_days": 0, "streak": 0, "window_days": 14, "threshold": 50}


def test_the_chinese_reason_quotes_the_numbers() -> None:
    text = reason_text_zh("over_threshold", INPUTS)
    assert text == "累计 63 例，超过 50 例，且 14 天内发生聚集性疫情（14 天内新增 7 例）"


@pytest.mark.parametrize("code", ["no_case", "quiet_window", "under_threshold", "no_cluster",
                                  "over_threshold", "held", "stepped_down"])
def test_every_reason_reads_in_english_too(code: str) -> None:
    with translation.override("en"):
        text = reason_text(code, {**INPUTS, "step_days": 14, "level": "medium", "streak": 5})
    assert text and not any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_the_stored_chinese_text_does_not_follow_the_active_language() -> None:
    with translation.override("en"):
        assert reason_text_zh("no_case", INPUTS) == "无确诊病例"
