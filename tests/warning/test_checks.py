"""Bad early-warning settings stop `shouwang check` (and so migrate and serve) with the reason."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_the_defaults_pass() -> None:
    call_command("check", stdout=io.StringIO())


@pytest.mark.parametrize(("name", "value", "message"), [
    ("SHOUWANG_ALERT_MAX_ESCALATION", 5, "SHOUWANG_ALERT_MAX_ESCALATION must be 1"),
    ("SHOUWANG_WARNING", {"forecast_model": "gauss"}, "forecast_model must be 'poisson'"),
    ("SHOUWANG_WARNING", {"no_such_option": 1}, "unknown option\\(s\\) no_such_option"),
])
def test_a_bad_setting_stops_check(settings: Any, name: str, value: object,
                                   message: str) -> None:
    setattr(settings, name, value)
    with pytest.raises(SystemCheckError, match=message):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
