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




# --- flags_open_bulk (a monitoring pass's writer) -----------------------------------------------

def _spec(household: Any, **kw: Any) -> Any:
    from shouwang.livelihood.services.flags import FlagSpec

    data: dict[str, Any] = {"household_id": household.pk,
                            "division_code": household.division_code,
                            "rule_set": default_rule_set(), "target_group": "marginal",
                            "triggers": ["income_below"],
                            "numbers": {"income_annual": 5000.0, "threshold": 6000.0},
                            "reason": "人均纯收入低于监测标准"}
    data.update(kw)
    return FlagSpec(**data)


def test_bulk_opens_skips_open_households_and_audits_each(cadres: Any) -> None:
    from shouwang.livelihood.services.flags import flags_open_bulk

    a, b, c = (make_household("420111001") for _ in range(3))
    make_flag(b)
    made = flags_open_bulk(specs=[_spec(a), _spec(b), _spec(c, target_group="sudden_difficulty",
                                                              triggers=["spending_shock"])])
    assert sorted(f.household_id for f in made) == sorted([a.pk, c.pk])
    assert all(f.pk for f in made)
    assert MonitoringFlag.objects.filter(household=b).count() == 1
    for h in (a, c):
        h.refresh_from_db()
        assert h.monitoring_status == MonitoringStatus.MONITORED
    assert AuditEvent.objects.filter(object_type="livelihood.monitoringflag",
                                     object_id__in=[str(f.pk) for f in made]).count() == 2


def test_bulk_refuses_the_whole_batch_field_by_field(cadres: Any) -> None:
    from shouwang.livelihood.services.flags import flags_open_bulk

    a, b = make_household("420111001"), make_household("420111001")
    with pytest.raises(InvalidInput) as exc:
        flags_open_bulk(specs=[_spec(a), _spec(b, rule_set=None, triggers=[], reason=" ")])
    assert set(exc.value.fields) == {"flags.1.rule_set", "flags.1.triggers", "flags.1.reason"}
    assert not MonitoringFlag.objects.exists()
    with pytest.raises(InvalidInput) as exc:
        flags_open_bulk(specs=[_spec(a), _spec(a)])
    assert "flags" in exc.value.fields
    with pytest.raises(NotFound):
        flags_open_bulk(specs=[_spec(a)], actor=cadres["wuchang"])
    assert not MonitoringFlag.objects.exists()
    made = flags_open_bulk(specs=[_spec(a)], actor=cadres["luonan"])
    assert made[0].identified_by == cadres["luonan"]
