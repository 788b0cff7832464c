"""Pluggable rule kinds: a module named in settings.SHOUWANG_RISK_RULE_KINDS registers its kind
at start-up (RiskConfig.ready), one that cannot be imported is a system-check error, and a rule
set of the new kind is validated by the kind's own validator (decision 1120)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from django.apps import apps
from django.test import override_settings
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.epi import risk_rules
from shouwang.risk.apps import risk_rule_kinds
from shouwang.risk.selectors.levels import rule_set_for_area, rule_sets_in_force
from shouwang.risk.services.rulesets import load_rule_kinds, ruleset_create

PLUGIN = "tests.risk.test_rule_kinds_plugin"


@pytest.fixture
def reload_ready() -> Iterator[Any]:
    """Run RiskConfig.ready() under other settings; afterwards again under the real ones."""
    config = apps.get_app_config("risk")

    def run(paths: Any) -> list[str]:
        with override_settings(SHOUWANG_RISK_RULE_KINDS=paths):
            config.ready()
        return list(config.rule_kind_problems)

    yield run
    config.ready()


def test_the_settings_module_registers_its_kind_at_start_up(reload_ready):
    assert reload_ready([PLUGIN]) == []
    assert "test_case_count" in risk_rules.rule_kinds()
    assert risk_rule_kinds() == []


def test_a_module_that_cannot_be_imported_is_a_system_check_error(reload_ready):
    problems = reload_ready(["shouwang.risk.no_such_kinds", PLUGIN])
    assert len(problems) == 1 and "shouwang.risk.no_such_kinds" in problems[0]
    errors = risk_rule_kinds()
    assert [e.id for e in errors] == ["shouwang.risk.E001"]
    assert "SHOUWANG_RISK_RULE_KINDS" in errors[0].msg
    # A string (from an environment variable) is read as comma-separated paths.
    assert reload_ready("") == []
    assert len(reload_ready(f"{PLUGIN}, shouwang.risk.no_such_kinds")) == 1
    assert reload_ready(42) == ["SHOUWANG_RISK_RULE_KINDS must be a list of dotted module paths"]


def test_load_rule_kinds_names_every_bad_entry():
    problems = load_rule_kinds(["", "tests.risk.nothing_here", PLUGIN])
    assert len(problems) == 2


@pytest.mark.django_db
def test_a_rule_set_of_the_custom_kind_validates_and_judges(officers):
    load_rule_kinds([PLUGIN])
    day = timezone.localdate() + timedelta(days=1)
    data = {"code": "hb-count", "name": "湖北乡镇计数规则", "kind": "test_case_count",
            "disease": "covid19", "levels": ["township", "village"], "scope": "420000",
            "effective_from": day.isoformat(),
            "params": {"window_days": 7, "high_at": 3, "classifications": ["confirmed"]}}
    with pytest.raises(InvalidInput) as caught:
        ruleset_create(actor=officers["hubei"], data={**data, "params": {
            "high_at": 0, "speed": 1, "classifications": ["confirmed"]}})
    assert {"params.high_at", "params.speed"} <= set(caught.value.fields)
    rs = ruleset_create(actor=officers["hubei"], data=data)
    assert rs.params == {"window_days": 7, "high_at": 3, "classifications": ["confirmed"]}
    chosen = rule_set_for_area(rule_sets_in_force("covid19", day), "420111001", "township")
    assert chosen is not None and chosen.pk == rs.pk
    # The kind computes through the registry like the built-in one.
    inputs = risk_rules.RiskInputs(
        new_cases=np.array([[0, 1, 0], [2, 1, 0], [0, 0, 0]], np.int64),
        history=np.zeros((3, 7), np.int64), cumulative_before=np.zeros(3, np.int64),
        cluster=np.zeros((3, 10), bool))
    params = {k: v for k, v in rs.params.items() if k != "classifications"}
    result = risk_rules.evaluate(rs.kind, params, inputs)
    assert result.level[:, -1].tolist() == [risk_rules.MEDIUM, risk_rules.HIGH, risk_rules.LOW]
