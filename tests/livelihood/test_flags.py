"""Opening a monitoring flag (services/flags.py: flag_open)."""

from __future__ import annotations

from typing import Any

import pytest

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.livelihood.models import MonitoringFlag, MonitoringStatus
from shouwang.livelihood.services.flags import flag_open
from tests.livelihood.factories import default_rule_set, make_flag, make_household

pytestmark = pytest.mark.django_db


def test_seeded_rule_set_and_thresholds() -> None:
    from shouwang.epi.livelihood_rules import validate_params
    from shouwang.livelihood.models import MonitoringThreshold

    rule_set = default_rule_set()
    assert validate_params(rule_set.kind, rule_set.params)["elimination_months"] == 6
    assert MonitoringThreshold.objects.get(year=2021, province_code="").amount == 6000


def test_flag_opens_and_household_becomes_monitored(cadres: Any) -> None:
    household = make_household("420111001", members=2)
    flag = make_flag(household, actor=cadres["luonan"])
    household.refresh_from_db()
    assert household.monitoring_status == MonitoringStatus.MONITORED
    assert flag.rule_set == default_rule_set() and flag.division_code == "420111001"
    assert AuditEvent.objects.filter(object_id=str(flag.pk), summary__contains="flag").exists()


def test_flag_without_rule_rejected_and_nothing_written(cadres: Any) -> None:
    household = make_household("420111001")
    with pytest.raises(InvalidInput) as exc:
        flag_open(household=household, rule_set=None, target_group="marginal",
                  triggers=[], numbers={}, reason="", actor=cadres["luonan"])
    assert {"rule_set", "triggers", "numbers", "reason"} <= set(exc.value.fields)
    assert not MonitoringFlag.objects.exists()
    household.refresh_from_db()
    assert household.monitoring_status == MonitoringStatus.NOT_MONITORED


def test_unknown_trigger_and_group_rejected(cadres: Any) -> None:
    household = make_household("420111001")
    with pytest.raises(InvalidInput) as exc:
        make_flag(household, target_group="rich", triggers=["felt_poor"])
    assert {"target_group", "triggers"} <= set(exc.value.fields)


def test_second_open_flag_rejected(cadres: Any) -> None:
    household = make_household("420111001")
    make_flag(household)
    with pytest.raises(InvalidInput) as exc:
        make_flag(household, triggers=["guarantee_lost"])
    assert "household" in exc.value.fields
    assert MonitoringFlag.objects.count() == 1


def test_outside_jurisdiction_is_not_found(cadres: Any) -> None:
    household = make_household("420111001")
    with pytest.raises(NotFound):
        make_flag(household, actor=cadres["wuchang"])
    assert not MonitoringFlag.objects.exists()


