"""Versions of the monitoring rule sets (services/rules.py: ruleset_create)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.epi.livelihood_rules import RELAPSE_MONITORING_DEFAULTS
from shouwang.livelihood.models import MonitoringRuleSet
from shouwang.livelihood.services.rules import ruleset_create
from tests.livelihood.test_rules_thresholds import national, stored_run

pytestmark = pytest.mark.django_db
__all__ = ["national"]


def hubei_rules(**extra: Any) -> dict[str, Any]:
    return {"code": "hb-relapse", "name": "湖北省防返贫监测规则", "name_en": "Hubei rules",
            "kind": "relapse_monitoring", "scope": "420000", "effective_from": "2026-07-01",
            "params": {"drop_pct": 25, "elimination_months": 9}, **extra}


def test_new_rule_set_stores_full_parameters_and_is_audited(cadres: Any) -> None:
    rs = ruleset_create(actor=cadres["hubei"], data=hubei_rules())
    assert (rs.code, rs.version, rs.scope_prefix, rs.kind) == ("hb-relapse", 1, "42",
                                                               "relapse_monitoring")
    assert rs.params == {**RELAPSE_MONITORING_DEFAULTS, "drop_pct": 25,
                         "elimination_months": 9}
    assert rs.effective_from == date(2026, 7, 1) and rs.created_by == cadres["hubei"]
    assert AuditEvent.objects.filter(object_type="livelihood.monitoringruleset",
                                     object_id=str(rs.pk), action="create").exists()


def test_new_version_keeps_what_it_does_not_give_and_never_edits_the_old(cadres: Any) -> None:
    v1 = ruleset_create(actor=cadres["hubei"], data=hubei_rules())
    v2 = ruleset_create(actor=cadres["hubei"], data={
        "code": "hb-relapse", "effective_from": "2027-01-01", "params": {"drop_pct": 20}})
    assert v2.version == 2 and v2.name == v1.name and v2.scope_prefix == "42"
    assert v2.params["drop_pct"] == 20
    v1.refresh_from_db()
    assert v1.params["drop_pct"] == 25 and v1.params["elimination_months"] == 9


def test_each_bad_parameter_is_its_own_field_error(cadres: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        ruleset_create(actor=cadres["hubei"], data=hubei_rules(params={
            "drop_pct": 130, "window_months": 0, "rigid_kinds": ["medical", "yacht"],
            "drop_against": "yesterday", "colour": "red"}))
    fields = exc.value.fields
    assert set(fields) == {"params.drop_pct", "params.window_months", "params.rigid_kinds",
                           "params.drop_against", "params.colour"}
    assert str(fields["params.drop_pct"][0]) == "应为 0 到 100 之间的数。"
    assert str(fields["params.window_months"][0]) == "应为 1 到 36 之间的整数。"
    assert "medical" in str(fields["params.rigid_kinds"][0])
    assert str(fields["params.colour"][0]) == "未知参数。"
    assert not MonitoringRuleSet.objects.filter(code="hb-relapse").exists()


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "Bad Code"}, "code"),
    ({"name": ""}, "name"),
    ({"kind": "crystal_ball"}, "kind"),
    ({"params": [1, 2]}, "params"),
    ({"effective_from": "2026-13-01"}, "effective_from"),
    ({"scope": "42011100"}, "scope"),       # unknown division
    ({"scope": "420111001"}, "scope"),      # a township: too small a scope
])
def test_bad_fields(cadres: Any, data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        ruleset_create(actor=cadres["hubei"], data=hubei_rules(**data))
    assert field in exc.value.fields


def test_scope_outside_jurisdiction_is_not_found(cadres: Any) -> None:
    with pytest.raises(NotFound):
        ruleset_create(actor=cadres["hubei"], data=hubei_rules(scope="430000"))
    with pytest.raises(NotFound):   # the national scope needs a national cadre
        ruleset_create(actor=cadres["hubei"], data=hubei_rules(scope=""))
    with pytest.raises(NotFound):   # a version of the national code likewise
        ruleset_create(actor=cadres["hubei"], data={"code": "cn-relapse-2021",
                                                    "effective_from": "2027-01-01"})


def test_county_cadre_may_make_the_county_rules(cadres: Any) -> None:
    rs = ruleset_create(actor=cadres["hongshan"], data=hubei_rules(code="hs", scope="420111"))
    assert rs.scope_prefix == "420111"


def test_national_version_by_a_national_cadre(national: Any) -> None:
    rs = ruleset_create(actor=national, data={"code": "cn-relapse-2021",
                                              "effective_from": "2027-01-01",
                                              "params": {"shock_amount": 30000}})
    assert (rs.version, rs.scope_prefix, rs.params["shock_amount"]) == (2, "", 30000)


def test_new_version_may_not_change_scope(cadres: Any) -> None:
    ruleset_create(actor=cadres["hubei"], data=hubei_rules())
    with pytest.raises(InvalidInput) as exc:
        ruleset_create(actor=cadres["hubei"], data={"code": "hb-relapse", "scope": "420100",
                                                    "effective_from": "2027-01-01"})
    assert "scope" in exc.value.fields


def test_not_on_or_before_an_evaluated_month(cadres: Any) -> None:
    stored_run(date(2026, 6, 1), "420111")   # June 2026 evaluated in 洪山区, inside Hubei
    for day in ("2026-06-30", "2026-06-01", "2025-01-01"):
        with pytest.raises(InvalidInput) as exc:
            ruleset_create(actor=cadres["hubei"], data=hubei_rules(effective_from=day))
        assert "2026-07-01" in str(exc.value.fields["effective_from"][0])
    assert ruleset_create(actor=cadres["hubei"],
                          data=hubei_rules(effective_from="2026-07-01")).version == 1


def test_a_pass_elsewhere_does_not_block(cadres: Any) -> None:
    stored_run(date(2026, 6, 1), "43")
    rs = ruleset_create(actor=cadres["hubei"], data=hubei_rules(effective_from="2026-01-01"))
    assert rs.effective_from == date(2026, 1, 1)


def test_national_pass_blocks_a_county_scope(cadres: Any) -> None:
    stored_run(date(2026, 6, 1), "")
    with pytest.raises(InvalidInput):
        ruleset_create(actor=cadres["hongshan"],
                       data=hubei_rules(code="hs", scope="420111", effective_from="2026-05-01"))


def test_new_version_not_before_the_previous(cadres: Any) -> None:
    ruleset_create(actor=cadres["hubei"], data=hubei_rules())
    with pytest.raises(InvalidInput) as exc:
        ruleset_create(actor=cadres["hubei"], data={"code": "hb-relapse",
                                                    "effective_from": "2026-06-30"})
    assert "effective_from" in exc.value.fields


def test_readers_may_not_add(cadres: Any) -> None:
    with pytest.raises(PermissionDenied):
        ruleset_create(actor=cadres["officer"], data=hubei_rules(scope="420111"))
