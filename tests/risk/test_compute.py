"""The daily computation of area risk levels (services/compute.py), through the real case,
cluster, override and rule-set data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.epi.risk_rules import validate_params
from shouwang.risk.models import AreaRisk, Publication, RuleSet
from shouwang.risk.services import compute_write
from shouwang.risk.services.compute import levels_compute, levels_compute_range
from shouwang.risk.services.overrides import override_create
from shouwang.risk.services.publish import levels_publish
from tests.tracing.cases import make_case as make_report

pytestmark = pytest.mark.django_db
ONSET = date(2026, 3, 1)
DIAG = ONSET + timedelta(days=2)   # make_case diagnoses two days after onset
COUNTIES = {"420106", "420111", "420606", "430102"}


def make_case(division_code: str, **kw: Any) -> Any:
    """A case report through the service, with the daily counts refreshed as after commit."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return make_report(division_code, **kw)


def rows(day: date) -> dict[str, AreaRisk]:
    return {r.division_code: r for r in AreaRisk.objects.filter(disease_id="covid19", day=day)}


def state() -> list[tuple[Any, ...]]:
    return sorted(AreaRisk.objects.values_list(
        "division_code", "day", "level", "computed_level", "reason_code", "reason", "since",
        "previous_level", "inputs", "rule_set_id", "override_id", "publication_id"))


def test_a_quiet_day_has_a_low_row_for_every_county(officers: dict[str, Any]) -> None:
    result = levels_compute(disease="covid19", day=ONSET)
    found = rows(ONSET)
    assert set(found) == COUNTIES
    row = found["420106"]
    assert (row.level, row.computed_level, row.reason_code) == ("low", "low", "no_case")
    assert row.reason == "无确诊病例"
    assert row.rule_set.code == "cn-county-2020" and row.division_level == "county"
    assert row.since == ONSET and row.previous_level == "" and row.publication is None
    assert row.inputs["window_days"] == 14 and row.inputs["threshold"] == 50
    assert row.inputs["high_count"] == "cumulative"
    assert set(row.inputs) == {"new_in_window", "cumulative", "counted", "cluster_in_window",
                               "quiet_days", "streak", "window_days", "threshold", "high_count"}
    assert result.computed == [ONSET] and result.rows == 4
    assert result.last_day_levels == {"low": 4, "medium": 0, "high": 0}


def test_a_case_counts_from_the_day_after_its_diagnosis(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET)
    levels_compute_range(disease="covid19", start=DIAG, end=DIAG + timedelta(days=15))
    assert rows(DIAG)["420106"].level == "low"
    day = DIAG + timedelta(days=1)
    row = rows(day)["420106"]
    assert (row.level, row.reason_code) == ("medium", "under_threshold")
    assert row.inputs["new_in_window"] == 1 and row.inputs["cumulative"] == 1
    assert row.reason == "14 天内新增 1 例，累计 1 例，未超过 50 例"
    assert row.since == day and row.previous_level == "low"
    assert rows(day)["420111"].level == "low"
    # 14 days after the diagnosis day the case is out of the window: low again.
    assert rows(DIAG + timedelta(days=14))["420106"].level == "medium"
    quiet = rows(DIAG + timedelta(days=15))["420106"]
    assert (quiet.level, quiet.reason_code) == ("low", "quiet_window")
    assert quiet.since == DIAG + timedelta(days=15) and quiet.previous_level == "medium"
    assert rows(DIAG + timedelta(days=10))["420106"].since == day


def test_unconfirmed_classifications_do_not_count(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET, classification="suspected")
    make_case("420106", onset=ONSET, classification="asymptomatic")
    levels_compute(disease="covid19", day=DIAG + timedelta(days=1))
    assert rows(DIAG + timedelta(days=1))["420106"].level == "low"


def test_township_rows_while_not_trivially_low(officers: dict[str, Any]) -> None:
    make_case("420111001", onset=ONSET)
    end = DIAG + timedelta(days=60)
    levels_compute_range(disease="covid19", start=DIAG - timedelta(days=3), end=end)
    assert "420111001" not in rows(DIAG)
    first = rows(DIAG + timedelta(days=1))
    assert first["420111001"].level == "medium"
    assert first["420111001"].rule_set.code == "cn-subcounty-2021"
    assert first["420111001"].division_level == "township"
    assert first["420111"].level == "medium"   # the county counts its township's case
    # The sub-county rule steps down after 14 quiet days: the window also says low then.
    low = rows(DIAG + timedelta(days=15))["420111001"]
    assert low.level == "low" and low.reason_code == "stepped_down"
    assert low.inputs["step_days"] == 14 and low.inputs["level"] == "low"
    assert low.reason == "连续 14 天无新增，降为低风险"
    # The day it came down has a row (previous medium); from the next day, no row: low.
    assert rows(DIAG + timedelta(days=15))["420111001"].previous_level == "medium"
    assert "420111001" not in rows(DIAG + timedelta(days=16))
    assert "420111001" not in rows(DIAG + timedelta(days=44))


def test_range_equals_day_by_day(officers: dict[str, Any]) -> None:
    for i, code in enumerate(("420106", "420111001", "420106", "420606", "420111001")):
        make_case(code, onset=ONSET + timedelta(days=4 * i))
    start, end = ONSET, ONSET + timedelta(days=50)
    levels_compute_range(disease="covid19", start=start, end=end)
    ranged = [r[:-1] for r in state()]
    AreaRisk.objects.all().delete()
    day = start
    while day <= end:
        levels_compute(disease="covid19", day=day)
        day += timedelta(days=1)
    assert [r[:-1] for r in state()] == ranged
    assert {r[2] for r in ranged} == {"low", "medium"}


def test_recomputing_an_unpublished_day_replaces_its_rows(officers: dict[str, Any]) -> None:
    day = DIAG + timedelta(days=1)
    levels_compute(disease="covid19", day=day)
    assert rows(day)["420106"].level == "low"
    make_case("420106", onset=ONSET)
    levels_compute(disease="covid19", day=day)
    assert rows(day)["420106"].level == "medium"
    assert AreaRisk.objects.filter(day=day).count() == 4
    before = state()
    levels_compute(disease="covid19", day=day)
    assert [r[:-1] for r in state()] == [r[:-1] for r in before]


def test_a_published_day_is_never_touched(officers: dict[str, Any]) -> None:
    day = DIAG + timedelta(days=1)
    levels_compute_range(disease="covid19", start=day, end=day + timedelta(days=1))
    levels_publish(disease="covid19", day=day, notify=False)
    published = state()
    make_case("420106", onset=ONSET)
    result = levels_compute_range(disease="covid19", start=day, end=day + timedelta(days=1))
    assert result.skipped_published == [day]
    assert result.computed == [day + timedelta(days=1)]
    assert [r for r in state() if r[1] == day] == [r for r in published if r[1] == day]
    # The next day continues from the published one.
    assert rows(day + timedelta(days=1))["420106"].previous_level == "low"
    only = levels_compute(disease="covid19", day=day)
    assert only.computed == [] and only.skipped_published == [day]


def test_bad_input_changes_nothing(officers: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as raised:
        levels_compute(disease="nope", day=ONSET)
    assert "disease" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        levels_compute_range(disease="covid19", start=ONSET, end=ONSET - timedelta(days=1))
    assert "end" in raised.value.fields
    with pytest.raises(InvalidInput):
        levels_compute_range(disease="covid19", start=ONSET, end=ONSET + timedelta(days=2000))
    assert not AreaRisk.objects.exists()


def test_a_failure_leaves_nothing_half_written(officers: dict[str, Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    make_case("420111001", onset=ONSET)
    day = DIAG + timedelta(days=1)
    levels_compute(disease="covid19", day=day)
    before = state()
    audits = AuditEvent.objects.count()
    real = compute_write.insert
    calls: list[int] = []

    def failing(params: Any) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(params)

    monkeypatch.setattr(compute_write, "insert", failing)
    with pytest.raises(RuntimeError):
        levels_compute_range(disease="covid19", start=day, end=day + timedelta(days=3))
    assert state() == before
    assert AuditEvent.objects.count() == audits


def _rule_set(code: str, version: int, effective: date, **params: Any) -> RuleSet:
    base = RuleSet.objects.get(code=code, version=1)
    merged = {**{k: v for k, v in base.params.items() if k != "classifications"}, **params}
    return RuleSet.objects.create(
        code=code, version=version, name=base.name, kind=base.kind,
        params={**validate_params(base.kind, merged),
                "classifications": base.params["classifications"]},
        disease_id="covid19", levels=base.levels, scope_prefix=base.scope_prefix,
        effective_from=effective)


def test_a_new_version_applies_from_its_date(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET)
    switch = DIAG + timedelta(days=5)
    # v2: more than 0 cases is high, no cluster needed.
    v2 = _rule_set("cn-county-2020", 2, switch, high_threshold=0, high_needs_cluster=False)
    levels_compute_range(disease="covid19", start=DIAG, end=switch + timedelta(days=3))
    before = rows(switch - timedelta(days=1))["420106"]
    after = rows(switch)["420106"]
    assert before.rule_set.version == 1 and before.level == "medium"
    assert after.rule_set_id == v2.pk and after.level == "high"
    assert after.previous_level == "medium" and after.since == switch
    assert after.inputs["threshold"] == 0


def test_a_province_rule_wins_inside_it(officers: dict[str, Any]) -> None:
    make_case("420106", onset=ONSET)
    make_case("430102", onset=ONSET)
    base = RuleSet.objects.get(code="cn-county-2020", version=1)
    hubei = RuleSet.objects.create(
        code="hubei-county", version=1, name="湖北", kind=base.kind,
        params={**base.params, "high_threshold": 0, "high_needs_cluster": False},
        disease_id="covid19", levels=["county"], scope_prefix="42",
        effective_from=ONSET)
    day = DIAG + timedelta(days=1)
    levels_compute(disease="covid19", day=day)
    found = rows(day)
    assert found["420106"].rule_set_id == hubei.pk and found["420106"].level == "high"
    assert found["430102"].rule_set_id == base.pk and found["430102"].level == "medium"


def test_an_active_override_is_applied(officers: dict[str, Any]) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    override = override_create(actor=officers["hubei"], disease="covid19",
                               division_code="420106", level="high", reason="聚集性疫情风险高",
                               effective_at=None)
    township = override_create(actor=officers["hubei"], disease="covid19",
                               division_code="420111001", level="medium", reason="排查中",
                               effective_at=None)
    levels_compute(disease="covid19", day=tomorrow)
    found = rows(tomorrow)
    assert (found["420106"].level, found["420106"].computed_level) == ("high", "low")
    assert found["420106"].override_id == override.pk
    assert found["420106"].reason_code == "no_case"
    assert found["420111001"].override_id == township.pk
    assert found["420111001"].level == "medium"
    assert found["420111"].override_id is None
    # Not active at the start of today: today's levels are the rule's.
    levels_compute(disease="covid19", day=timezone.localdate())
    assert rows(timezone.localdate())["420106"].override_id is None


def test_held_high_needs_a_cluster(officers: dict[str, Any]) -> None:
    """More than 50 and a cluster within 14 days: high; without the cluster: medium."""
    from shouwang.surveillance.models import Disease
    from shouwang.tracing.services import investigations as inv_svc
    from shouwang.tracing.services.clusters import clusters_detect
    from shouwang.tracing.services.settings_registry import setting_register

    officer = officers["hubei"]
    for _ in range(49):
        make_case("420606", onset=ONSET)
    setting, _ = setting_register(actor=officer, kind="workplace", label="某车间",
                                  division_code="420606")
    for onset in (ONSET, ONSET + timedelta(days=3)):
        case = make_case("420606", onset=onset)
        inv, _ = inv_svc.investigation_open(actor=officer, case=case)
        inv_svc.exposure_add(actor=officer, investigation=inv, data={
            "kind": "workplace", "setting_id": setting.pk,
            "started_on": onset - timedelta(days=3), "ended_on": onset})
    day = ONSET + timedelta(days=6)   # 51 diagnosed by the day before
    levels_compute(disease="covid19", day=day)
    assert rows(day)["420606"].level == "medium"
    assert rows(day)["420606"].reason_code == "no_cluster"
    clusters_detect(disease=Disease.objects.get(code="covid19"), as_of=day)
    levels_compute(disease="covid19", day=day)
    row = rows(day)["420606"]
    assert (row.level, row.reason_code) == ("high", "over_threshold")
    assert row.inputs["cumulative"] == 51 and row.inputs["cluster_in_window"] is True


def test_queries_do_not_grow_with_areas_or_days(officers: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_case("420106", onset=ONSET)
    make_case("420111001", onset=ONSET)   # a township: its rule set's rows are one more insert
    with CaptureQueriesContext(connection) as few:
        levels_compute_range(disease="covid19", start=ONSET, end=ONSET + timedelta(days=4))
    for code in ("420111001", "430102", "420606", "420111", "420111001"):
        make_case(code, onset=ONSET)
    AreaRisk.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        levels_compute_range(disease="covid19", start=ONSET, end=ONSET + timedelta(days=60))
    assert len(many) == len(few) <= 30


def test_nothing_before_the_rules_take_effect(officers: dict[str, Any]) -> None:
    result = levels_compute_range(disease="covid19", start=date(2020, 2, 15),
                                  end=date(2020, 2, 18))
    assert result.without_rules == [date(2020, 2, 15), date(2020, 2, 16)]
    assert result.computed == [date(2020, 2, 17), date(2020, 2, 18)]
    assert not Publication.objects.exists()
