"""A flag's reason in the reader's language (the stored sentence is in the platform's)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from shouwang.livelihood.selectors.monitoring_reasons import flag_reason
from tests.livelihood.factories import make_flag, make_household

pytestmark = pytest.mark.django_db

RULE_NUMBERS = {"reason": "income_below", "triggers": ["income_below"],
                "income_annual": 5200.0, "threshold": 6000.0, "income_months": 12}


def test_rule_reason_rendered_again_in_english_and_stored_text_kept_in_chinese(
        cadres: Any) -> None:
    flag = make_flag(make_household("420111001"), numbers=RULE_NUMBERS, reason="低于监测标准")
    with translation.override("zh-hans"):
        chinese = flag_reason(flag)
    with translation.override("en"):
        english = flag_reason(flag)
    assert "6,000" in english and "低" not in english
    assert "监测标准" in chinese
    # Numbers without the rule's reason code (an older or hand-made flag): as stored.
    plain = make_flag(make_household("420111001"), numbers={"note": 1}, reason="低于监测标准")
    with translation.override("en"):
        assert flag_reason(plain) == "低于监测标准"


def test_english_pages_show_the_english_reason(cadres: Any) -> None:
    household = make_household("420111001")
    flag = make_flag(household, numbers=RULE_NUMBERS, reason="人均纯收入低于监测标准")
    c = Client()
    c.force_login(cadres["luonan"])
    for path in ("/livelihood/flags/", f"/livelihood/households/{household.pk}/",
                 f"/livelihood/flags/{flag.pk}/"):
        html = c.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "人均纯收入低于监测标准" not in html, path
        assert "6,000" in html, path
