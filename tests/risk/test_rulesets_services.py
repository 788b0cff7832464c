"""Rule sets as versioned data: ruleset_create, its field errors, the effective-date rule and
the switch of versions (services/rulesets.py, selectors/rulesets.py; decision 1120)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.risk.models import RuleSet
from shouwang.risk.selectors import rulesets as selectors
from shouwang.risk.selectors.levels import rule_set_for_area, rule_sets_in_force
from shouwang.risk.services.rulesets import param_message, ruleset_create
from tests.risk.levels_factory import publish_levels

pytestmark = pytest.mark.django_db


def _today() -> date:
    return timezone.localdate()


def _data(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "hb-county-2026", "name": "湖北省县域风险等级标准", "name_en": "Hubei county rule",
        "kind": "window_threshold", "disease": "covid19", "levels": ["county"],
        "scope": "420000", "effective_from": (_today() + timedelta(days=1)).isoformat(),
        "params": {"window_days": 14, "high_threshold": 30,
                   "classifications": ["confirmed", "clinical"]},
        "note": "试行",
    }
    data.update(over)
    return data


def _errors(actor: Any, **over: Any) -> dict[str, list[str]]:
    before = RuleSet.objects.count()
    with pytest.raises(InvalidInput) as caught:
        ruleset_create(actor=actor, data=_data(**over))
    assert RuleSet.objects.count() == before
    return {k: [str(m) for m in v] for k, v in caught.value.fields.items()}


def test_a_provincial_officer_adds_a_rule_set_for_their_province(officers):
    rs = ruleset_create(actor=officers["hubei"], data=_data())
    assert (rs.code, rs.version, rs.scope_prefix, rs.levels) == (
        "hb-county-2026", 1, "42", ["county"])
    # Stored with the kind's defaults filled in, plus the classifications.
    assert rs.params["high_threshold"] == 30
    assert rs.params["high_count"] == "cumulative"
    assert rs.params["step_down_days"] is None
    assert rs.params["classifications"] == ["clinical", "confirmed"]
    event = AuditEvent.objects.get(object_type="risk.ruleset", object_id=str(rs.pk))
    assert event.action == "create" and event.division_code == "420000"


def test_a_new_version_of_a_code_is_previous_plus_one_and_keeps_omitted_fields(officers):
    first = ruleset_create(actor=officers["hubei"], data=_data())
    second = ruleset_create(actor=officers["hubei"], data={
        "code": first.code, "effective_from": (_today() + timedelta(days=5)).isoformat(),
        "params": {"window_days": 7, "high_threshold": 20, "classifications": ["confirmed"]}})
    assert second.version == 2
    assert (second.name, second.kind, second.levels, second.scope_prefix) == (
        first.name, first.kind, first.levels, first.scope_prefix)
    assert second.params["window_days"] == 7
    first.refresh_from_db()
    assert first.params["high_threshold"] == 30  # never edited


def test_a_new_version_of_the_national_rule_by_the_nation(officers):
    rs = ruleset_create(actor=officers["china"], data={
        "code": "cn-county-2020", "effective_from": (_today() + timedelta(days=2)).isoformat()})
    assert rs.version == 2 and rs.scope_prefix == "" and rs.params["high_threshold"] == 50


@pytest.mark.parametrize(("over", "field"), [
    ({"code": "Not A Slug!"}, "code"),
    ({"code": ""}, "code"),
    ({"name": ""}, "name"),
    ({"name": "名" * 129}, "name"),
    ({"name_en": "x" * 161}, "name_en"),
    ({"kind": "no_such_kind"}, "kind"),
    ({"kind": ""}, "kind"),
    ({"disease": "no-such-disease"}, "disease"),
    ({"levels": []}, "levels"),
    ({"levels": ["county", "province"]}, "levels"),
    ({"levels": "county"}, "levels"),
    ({"scope": "999999"}, "scope"),
    ({"scope": "湖北"}, "scope"),
    ({"effective_from": ""}, "effective_from"),
    ({"effective_from": "2026-02-30"}, "effective_from"),
    ({"effective_from": "2020-01-01"}, "effective_from"),
    ({"params": "window 14"}, "params"),
    ({"params": {"window_days": 14}}, "params.classifications"),
    ({"params": {"classifications": []}}, "params.classifications"),
    ({"params": {"classifications": ["confirmed", "rumoured"]}}, "params.classifications"),
    ({"params": {"window_days": 0, "classifications": ["confirmed"]}}, "params.window_days"),
    ({"params": {"window_days": 91, "classifications": ["confirmed"]}}, "params.window_days"),
    ({"params": {"window_days": "14", "classifications": ["confirmed"]}}, "params.window_days"),
    ({"params": {"high_threshold": -1, "classifications": ["confirmed"]}},
     "params.high_threshold"),
    ({"params": {"high_count": "weekly", "classifications": ["confirmed"]}},
     "params.high_count"),
    ({"params": {"high_needs_cluster": "yes", "classifications": ["confirmed"]}},
     "params.high_needs_cluster"),
    ({"params": {"step_down_days": {"high": 7}, "classifications": ["confirmed"]}},
     "params.step_down_days"),
    ({"params": {"step_down_days": {"high": 0, "medium": 3}, "classifications": ["confirmed"]}},
     "params.step_down_days.high"),
    ({"params": {"colour": "red", "classifications": ["confirmed"]}}, "params.colour"),
])
def test_every_field_error_names_its_field_and_writes_nothing(officers, over, field):
    errors = _errors(officers["hubei"], **over)
    assert field in errors, errors
    assert all(m.strip() for m in errors[field])


def test_parameter_errors_read_in_chinese(officers):
    over = {"params": {"window_days": 0, "classifications": ["confirmed"]}}
    assert _errors(officers["hubei"], **over)["params.window_days"] == [
        "应为 1 到 90 之间的整数。"]
    assert param_message("must be a whole number from 1 to 90") == "应为 1 到 90 之间的整数。"
    assert param_message("something a plug-in says") == "取值无效：something a plug-in says"


def test_a_new_version_cannot_change_scope_or_disease(officers):
    ruleset_create(actor=officers["china"], data=_data(code="cn-x", scope=""))
    errors = _errors(officers["china"], code="cn-x", scope="420000", disease="sars")
    assert "scope" in errors and "disease" in errors
    assert RuleSet.objects.filter(code="cn-x").count() == 1


def test_effective_on_or_before_a_published_day_is_rejected_and_nothing_written(officers):
    today = _today()
    publish_levels(today + timedelta(days=3), {"420106": "high"})
    before = RuleSet.objects.count()
    for day in (today + timedelta(days=2), today + timedelta(days=3)):
        errors = _errors(officers["china"], code="cn-county-2020", scope="",
                         effective_from=day.isoformat())
        assert "effective_from" in errors
        assert (today + timedelta(days=4)).isoformat() in errors["effective_from"][0]
    assert RuleSet.objects.count() == before
    assert not AuditEvent.objects.filter(object_type="risk.ruleset").exists()
    ok = ruleset_create(actor=officers["china"], data={
        "code": "cn-county-2020", "effective_from": (today + timedelta(days=4)).isoformat()})
    assert ok.version == 2


def test_the_switch_applies_from_the_effective_date_and_older_days_keep_the_old_version(
        officers):
    today = _today()
    v1 = RuleSet.objects.get(code="cn-county-2020", version=1)
    v2 = ruleset_create(actor=officers["china"], data={
        "code": "cn-county-2020", "effective_from": (today + timedelta(days=2)).isoformat(),
        "params": {"window_days": 14, "high_threshold": 40, "classifications": ["confirmed"]}})
    for day, expected in ((date(2020, 3, 1), v1), (today, v1), (today + timedelta(days=1), v1),
                          (today + timedelta(days=2), v2), (today + timedelta(days=30), v2)):
        chosen = rule_set_for_area(rule_sets_in_force("covid19", day), "420106", "county")
        assert chosen is not None and chosen.pk == expected.pk, day


def test_a_provinces_own_rule_wins_inside_it_only(officers):
    rs = ruleset_create(actor=officers["hubei"], data=_data())
    day = _today() + timedelta(days=1)
    in_force = rule_sets_in_force("covid19", day)
    hubei = rule_set_for_area(in_force, "420106", "county")
    hunan = rule_set_for_area(in_force, "430102", "county")
    assert hubei is not None and hubei.pk == rs.pk
    assert hunan is not None and hunan.code == "cn-county-2020"


def test_scope_outside_the_jurisdiction_is_not_found_and_writes_nothing(officers):
    with pytest.raises(NotFound):
        ruleset_create(actor=officers["hunan"], data=_data(scope="420000"))
    with pytest.raises(NotFound):  # Hubei may not add a national version
        ruleset_create(actor=officers["hubei"], data={
            "code": "cn-county-2020",
            "effective_from": (_today() + timedelta(days=1)).isoformat()})
    hb = ruleset_create(actor=officers["hubei"], data=_data(scope="420106", code="wc-own"))
    assert hb.scope_prefix == "420106"
    with pytest.raises(NotFound):  # another province's code answers as if it did not exist
        ruleset_create(actor=officers["hunan"], data={
            "code": "wc-own", "effective_from": (_today() + timedelta(days=3)).isoformat()})
    assert RuleSet.objects.filter(code="wc-own").count() == 1


@pytest.mark.parametrize("who", ["wuchang", "wuhan", "grid"])
def test_only_risk_override_holders_change_rules(officers, who):
    with pytest.raises(PermissionDenied):
        ruleset_create(actor=officers[who], data=_data(scope="420106"))


def test_the_list_is_scoped_and_says_what_is_in_force(officers):
    today = _today()
    hb = ruleset_create(actor=officers["hubei"], data=_data(
        effective_from=(today + timedelta(days=3)).isoformat()))
    seen_by_hunan = set(selectors.ruleset_list(user=officers["hunan"]).values_list(
        "code", flat=True))
    assert "hb-county-2026" not in seen_by_hunan and "cn-county-2020" in seen_by_hunan
    assert "hb-county-2026" in set(selectors.ruleset_list(user=officers["wuchang"])
                                   .values_list("code", flat=True))
    rows = {r.rule_set.pk: r for r in selectors.ruleset_rows(
        list(selectors.ruleset_list(user=officers["hubei"])))}
    assert rows[hb.pk].status == selectors.SCHEDULED
    county = RuleSet.objects.get(code="cn-county-2020", version=1)
    assert rows[county.pk].status == selectors.IN_FORCE
    assert rows[county.pk].judges == ("county",)
    later = {r.rule_set.pk: r for r in selectors.ruleset_rows(
        [hb, county], day=today + timedelta(days=3))}
    assert later[hb.pk].status == selectors.IN_FORCE
    # The national rule still judges the rest of the country.
    assert later[county.pk].status == selectors.IN_FORCE


def test_a_later_version_supersedes_the_older_one(officers):
    today = _today()
    v2 = ruleset_create(actor=officers["china"], data={
        "code": "cn-county-2020", "effective_from": today.isoformat()})
    versions = selectors.ruleset_versions(user=officers["wuchang"], code="cn-county-2020")
    assert [v.version for v in versions] == [2, 1]
    rows = {r.rule_set.version: r.status for r in selectors.ruleset_rows(versions)}
    assert rows == {2: selectors.IN_FORCE, 1: selectors.SUPERSEDED}
    assert v2.effective_from == today


def test_the_parameters_in_words(officers):
    county = RuleSet.objects.get(code="cn-county-2020", version=1)
    words = selectors.describe_params(county)
    assert "窗口期 14 天" in words and "超过 50 例" in words and "聚集性疫情" in words
    finer = RuleSet.objects.get(code="cn-subcounty-2021", version=1)
    assert "连续 14 天无新增降为中风险" in selectors.describe_params(finer)
    other = selectors.describe_params(kind="custom", params={"x": 1,
                                                           "classifications": ["confirmed"]})
    assert "custom" in other and "x = 1" in other


def test_a_computed_day_awaiting_publication_also_closes_the_dates_up_to_it(officers):
    from django.utils import timezone as tz

    from shouwang.risk.models import AreaRisk

    day = _today() + timedelta(days=2)
    AreaRisk.objects.create(
        disease_id="covid19", division_code="420106", division_level="county", day=day,
        computed_level="low", level="low",
        rule_set=RuleSet.objects.get(code="cn-county-2020", version=1), inputs={},
        reason_code="no_case", reason="无确诊病例", since=day, computed_at=tz.now())
    errors = _errors(officers["china"], code="cn-county-2020", scope="",
                     effective_from=day.isoformat())
    assert "effective_from" in errors
