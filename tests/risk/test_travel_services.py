"""Travel policies and what applies to a trip (services/travel.py, selectors/travel.py;
decision 1120). Levels are published with tests/risk/levels_factory.publish_levels."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.risk.defaults import TRAVEL_POLICY
from shouwang.risk.models import TravelPolicy, TravelRule
from shouwang.risk.selectors.travel import policy_for_destination, travel_rules_for
from shouwang.risk.services.travel import travel_policy_create
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db

# Sample divisions (tests/factories.py): 武昌区 420106, 洪山区 420111 with its township
# 420111001, 芙蓉区 430102 (Changsha).


def _today() -> date:
    return timezone.localdate()


def _cells(**changes: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for (o, d), measures in TRAVEL_POLICY["rules"].items():
        cell = {"origin_level": o, "destination_level": d, **copy.deepcopy(measures)}
        cell.update(changes.get(f"{o}_{d}", {}))
        out.append(cell)
    return out


def _data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "hb-travel", "name": "入鄂出行管控", "disease": "covid19", "scope": "420000",
        "effective_from": (_today() + timedelta(days=1)).isoformat(), "rules": _cells()}
    data.update(over)
    return data


def _errors(actor: Any, **over: Any) -> dict[str, list[str]]:
    before = (TravelPolicy.objects.count(), TravelRule.objects.count())
    with pytest.raises(InvalidInput) as caught:
        travel_policy_create(actor=actor, data=_data(**over))
    assert (TravelPolicy.objects.count(), TravelRule.objects.count()) == before
    return {k: [str(m) for m in v] for k, v in caught.value.fields.items()}


# --- what applies ---------------------------------------------------------------------------


def test_low_to_low_meets_nothing(officers):
    publish_levels(_today(), {})
    answer = travel_rules_for(origin_code="420106", destination_code="430102")
    assert (answer.origin.level, answer.destination.level) == ("low", "low")
    assert answer.policy is not None and answer.policy.code == "cn-travel-2021"
    assert not answer.applies and answer.measure_words == []
    assert answer.measures["quarantine_days"] == 0
    assert "无出行限制" in answer.summary


def test_medium_to_low_needs_a_test_and_health_monitoring(officers):
    publish_levels(_today(), {"420106": "medium"})
    answer = travel_rules_for(origin_code="420106", destination_code="430102")
    assert answer.origin.level == "medium" and answer.destination.level == "low"
    assert answer.measures["test_within_hours"] == 48
    assert answer.measures["health_monitoring_days"] == 14
    assert answer.measures["quarantine_days"] == 0
    assert "48 小时内核酸检测阴性证明" in answer.summary and "健康监测 14 天" in answer.summary


@pytest.mark.parametrize("destination_level", ["low", "medium", "high"])
def test_from_high_means_quarantine(officers, destination_level):
    publish_levels(_today(), {"420106": "high", "430102": destination_level})
    answer = travel_rules_for(origin_code="420106", destination_code="430102")
    assert answer.destination.level == destination_level
    assert answer.measures["quarantine_kind"] == "centralised"
    assert answer.measures["quarantine_days"] == 14
    assert "集中隔离 14 天" in answer.summary


def test_a_village_inside_a_high_risk_county_is_high(officers):
    publish_levels(_today(), {"420111": "high"})
    answer = travel_rules_for(origin_code="420111001", destination_code="430102")
    assert answer.origin.level == "high"
    assert answer.origin.decided_by_code == "420111"
    assert "洪山区" in answer.origin.decided_by_name
    assert "属于" in answer.summary
    assert answer.measures["quarantine_days"] == 14


def test_the_reason_is_in_the_readers_language(officers):
    from django.utils import translation

    publish_levels(_today(), {"420106": "high"})
    answer = travel_rules_for(origin_code="420106", destination_code="430102")
    assert "超过 50 例" in answer.origin.reason
    with translation.override("en"):
        english = travel_rules_for(origin_code="420106", destination_code="430102")
    assert english.summary.endswith(".") and not english.summary.endswith("。")


def test_a_provinces_own_policy_wins_for_arrivals_into_it(officers):
    publish_levels(_today(), {"430102": "medium"})
    tomorrow = _today() + timedelta(days=1)
    own = travel_policy_create(actor=officers["hubei"], data=_data(
        effective_from=tomorrow.isoformat(),
        rules=_cells(medium_low={"quarantine_kind": "home", "quarantine_days": 7,
                                 "advice": "居家隔离 7 天"})))
    # Tomorrow's trip: the policy in force tomorrow, the levels known now.
    into_hubei = travel_rules_for(origin_code="430102", destination_code="420106", at=tomorrow)
    assert into_hubei.origin.level == "medium"
    assert into_hubei.policy is not None and into_hubei.policy.pk == own.pk
    assert into_hubei.measures["quarantine_kind"] == "home"
    assert into_hubei.measures["quarantine_days"] == 7
    # Arrivals elsewhere keep the national policy.
    elsewhere = policy_for_destination("430102", tomorrow)
    assert elsewhere is not None and elsewhere.code == "cn-travel-2021"


def test_the_policy_of_a_later_day_and_the_old_one_before_it(officers):
    policy = travel_policy_create(actor=officers["china"], data={
        "code": "cn-travel-2021", "effective_from": (_today() + timedelta(days=2)).isoformat(),
        "rules": _cells(low_low={"certificate_check": True})})
    assert policy.version == 2
    before = travel_rules_for(origin_code="420106", destination_code="430102",
                              at=_today() + timedelta(days=1))
    after = travel_rules_for(origin_code="420106", destination_code="430102",
                             at=_today() + timedelta(days=2))
    assert before.policy is not None and before.policy.version == 1 and not before.applies
    assert after.policy is not None and after.policy.version == 2 and after.applies


def test_a_past_day_reads_the_levels_in_force_that_day(officers):
    today = _today()
    publish_levels(today - timedelta(days=2), {"420106": "high"})
    publish_levels(today - timedelta(days=1), {})
    then = travel_rules_for(origin_code="420106", destination_code="430102",
                            at=today - timedelta(days=2))
    now = travel_rules_for(origin_code="420106", destination_code="430102")
    assert then.origin.level == "high" and now.origin.level == "low"


def test_unknown_places_are_field_errors(officers):
    with pytest.raises(InvalidInput) as caught:
        travel_rules_for(origin_code="999999", destination_code="")
    assert set(caught.value.fields) == {"from", "to"}
    with pytest.raises(InvalidInput) as caught:
        travel_rules_for(origin_code="420106", destination_code="不存在的地方")
    assert set(caught.value.fields) == {"to"}


def test_a_place_name_is_accepted_where_a_code_is_expected(officers):
    publish_levels(_today(), {"420106": "high"})
    answer = travel_rules_for(origin_code="湖北省武汉市武昌区", destination_code="430102")
    assert answer.origin.code == "420106" and answer.origin.level == "high"


# --- policies -------------------------------------------------------------------------------


def test_a_new_policy_has_nine_cells_and_an_audit_row(officers):
    policy = travel_policy_create(actor=officers["hubei"], data=_data())
    assert policy.version == 1 and policy.scope_prefix == "42"
    assert policy.rules.count() == 9
    assert AuditEvent.objects.filter(object_type="risk.travelpolicy",
                                     object_id=str(policy.pk)).exists()
    again = travel_policy_create(actor=officers["hubei"], data={
        "code": "hb-travel", "effective_from": (_today() + timedelta(days=4)).isoformat()})
    assert again.version == 2 and again.rules.count() == 9
    assert again.rules.get(origin_level="high", destination_level="low").quarantine_days == 14


@pytest.mark.parametrize(("over", "field"), [
    ({"code": "Bad Code"}, "code"),
    ({"name": ""}, "name"),
    ({"disease": "nope"}, "disease"),
    ({"scope": "420106"}, "scope"),       # a county: only the nation or a province
    ({"scope": "999999"}, "scope"),
    ({"effective_from": "yesterday"}, "effective_from"),
    ({"effective_from": "2021-01-01"}, "effective_from"),
    ({"rules": None}, "rules"),
    ({"rules": _cells()[:8]}, "rules"),
    ({"rules": [*_cells()[:8], _cells()[0]]}, "rules"),
    ({"rules": [*_cells()[:8], {"origin_level": "extreme", "destination_level": "low"}]},
     "rules"),
    ({"rules": _cells(medium_low={"quarantine_days": 7})}, "rules.medium.low.quarantine_kind"),
    ({"rules": _cells(medium_low={"quarantine_kind": "home"})},
     "rules.medium.low.quarantine_days"),
    ({"rules": _cells(high_low={"quarantine_kind": "hotel"})},
     "rules.high.low.quarantine_kind"),
    ({"rules": _cells(high_low={"quarantine_days": 61})}, "rules.high.low.quarantine_days"),
    ({"rules": _cells(high_low={"quarantine_days": -1})}, "rules.high.low.quarantine_days"),
    ({"rules": _cells(low_low={"test_within_hours": 0})}, "rules.low.low.test_within_hours"),
    ({"rules": _cells(low_low={"test_within_hours": 169})}, "rules.low.low.test_within_hours"),
    ({"rules": _cells(low_low={"test_within_hours": "soon"})},
     "rules.low.low.test_within_hours"),
    ({"rules": _cells(low_low={"health_monitoring_days": 99})},
     "rules.low.low.health_monitoring_days"),
    ({"rules": _cells(low_low={"certificate_check": "maybe"})},
     "rules.low.low.certificate_check"),
    ({"rules": _cells(low_low={"test_on_arrival": "maybe"})}, "rules.low.low.test_on_arrival"),
    ({"rules": _cells(low_low={"advice": "提" * 256})}, "rules.low.low.advice"),
    ({"rules": _cells(low_low={"colour": "red"})}, "rules.low.low.colour"),
])
def test_every_policy_field_error_names_its_field_and_writes_nothing(officers, over, field):
    errors = _errors(officers["hubei"], **over)
    assert field in errors, errors


def test_a_policy_dated_on_a_published_day_is_rejected(officers):
    publish_levels(_today() + timedelta(days=2), {})
    errors = _errors(officers["hubei"], effective_from=(_today() + timedelta(days=2)).isoformat())
    assert "effective_from" in errors


def test_policy_scope_outside_the_jurisdiction_is_not_found(officers):
    with pytest.raises(NotFound):
        travel_policy_create(actor=officers["hunan"], data=_data())
    with pytest.raises(NotFound):
        travel_policy_create(actor=officers["hubei"], data=_data(scope=""))
    with pytest.raises(PermissionDenied):
        travel_policy_create(actor=officers["wuchang"], data=_data())
    assert not TravelPolicy.objects.filter(code="hb-travel").exists()


def test_one_answer_takes_a_fixed_handful_of_queries(officers, django_assert_max_num_queries):
    publish_levels(_today(), {"420111": "high"})
    travel_rules_for(origin_code="420111001", destination_code="430102")  # warm caches
    # Two places, their levels (publication, rows, overrides each), names in one query, the
    # deciding rows' reasons, the policy and its cells.
    with django_assert_max_num_queries(12):
        answer = travel_rules_for(origin_code="420111001", destination_code="430102")
    assert answer.origin.place == "湖北省 武汉市 洪山区 珞南街道"
    assert answer.origin.decided_by_name == "湖北省 武汉市 洪山区"
