"""The shared readers of what is in force: publications, overrides, places, rule sets."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from shouwang.risk.models import RiskOverride, RuleSet
from shouwang.risk.selectors.levels import (
    level_of_place,
    levels_in_force,
    publication_in_force,
    rule_set_for_area,
    rule_sets_in_force,
)
from shouwang.risk.selectors.rollup import province_rollup
from tests.risk.levels_factory import publish_levels

DAY = date(2026, 2, 10)


def _at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def published(divisions: None) -> None:
    publish_levels(DAY, {"420106": "high", "420111": "medium"})
    publish_levels(DAY + timedelta(days=1), {"420106": "medium"})


@pytest.mark.django_db
def test_the_latest_publication_already_effective_is_in_force(published: None) -> None:
    assert publication_in_force(at=_at(DAY)).day == DAY
    assert publication_in_force(at=_at(DAY + timedelta(days=1))).day == DAY + timedelta(days=1)
    assert publication_in_force(at=_at(DAY - timedelta(days=1))) is None
    levels = levels_in_force(at=_at(DAY))
    assert levels["420106"].level == "high" and levels["420111"].level == "medium"
    assert levels["430102"].level == "low"


@pytest.mark.django_db
def test_a_publication_not_yet_effective_is_not_in_force(divisions: None) -> None:
    publish_levels(DAY, {"420106": "high"}, effective_at=_at(DAY, 18))
    assert levels_in_force(at=_at(DAY, 17)) == {}
    assert levels_in_force(at=_at(DAY, 19))["420106"].level == "high"


@pytest.mark.django_db
def test_an_active_override_replaces_the_published_level_until_it_ends_or_is_revoked(
        published: None, officers: dict) -> None:
    override = RiskOverride.objects.create(
        disease_id="covid19", division_code="420111", level="high", reason="聚集性疫情扩散",
        effective_at=_at(DAY, 14), ends_at=_at(DAY, 20), created_by=officers["hubei"])
    assert levels_in_force(at=_at(DAY, 13))["420111"].level == "medium"
    during = levels_in_force(at=_at(DAY, 15))["420111"]
    assert (during.level, during.override_id, during.reason) == ("high", override.pk,
                                                                   "聚集性疫情扩散")
    assert during.since == DAY
    assert levels_in_force(at=_at(DAY, 21))["420111"].level == "medium"
    override.ends_at = None
    override.revoked_at = _at(DAY, 16)
    override.save()
    assert levels_in_force(at=_at(DAY, 15))["420111"].level == "high"
    assert levels_in_force(at=_at(DAY, 17))["420111"].level == "medium"


@pytest.mark.django_db
def test_a_place_carries_the_highest_level_of_itself_and_the_divisions_above(
        published: None) -> None:
    level, decided_by = level_of_place("420106001001", at=_at(DAY))
    assert level == "high" and decided_by is not None and decided_by.division_code == "420106"
    assert level_of_place("420111001", at=_at(DAY))[0] == "medium"
    assert level_of_place("430102", at=_at(DAY)) == ("low", level_of_place(
        "430102", at=_at(DAY))[1])
    assert level_of_place("420606", at=_at(DAY - timedelta(days=3))) == ("low", None)


@pytest.mark.django_db
def test_a_township_level_counts_for_its_villages_but_not_for_its_county(
        divisions: None) -> None:
    publish_levels(DAY, {"420111001": "high"})
    assert level_of_place("420111001007", at=_at(DAY))[0] == "high"
    assert level_of_place("420111", at=_at(DAY))[0] == "low"


@pytest.mark.django_db
def test_a_province_rule_set_wins_inside_it_from_its_effective_date(divisions: None) -> None:
    national = RuleSet.objects.get(code="cn-county-2020", version=1)
    hubei = RuleSet.objects.create(
        code="hubei-county", version=1, name="湖北县域", kind="window_threshold",
        params={**national.params, "high_threshold": 20}, disease_id="covid19",
        levels=["county"], scope_prefix="42", effective_from=DAY)
    before = rule_sets_in_force("covid19", DAY - timedelta(days=1))
    assert rule_set_for_area(before, "420106", "county") == national
    on = rule_sets_in_force("covid19", DAY)
    assert rule_set_for_area(on, "420106", "county") == hubei
    assert rule_set_for_area(on, "430102", "county") == national
    assert rule_set_for_area(on, "420111001", "township").code == "cn-subcounty-2021"


@pytest.mark.django_db
def test_a_new_version_replaces_the_old_only_from_its_effective_date(divisions: None) -> None:
    v1 = RuleSet.objects.get(code="cn-county-2020", version=1)
    v2 = RuleSet.objects.create(
        code=v1.code, version=2, name=v1.name, kind=v1.kind,
        params={**v1.params, "window_days": 7}, disease_id="covid19", levels=["county"],
        scope_prefix="", effective_from=DAY)
    assert rule_set_for_area(rule_sets_in_force("covid19", DAY - timedelta(days=1)),
                             "420106", "county") == v1
    assert rule_set_for_area(rule_sets_in_force("covid19", DAY), "420106", "county") == v2


@pytest.mark.django_db
def test_the_province_rollup_lists_the_risk_areas_and_the_all_low_provinces(
        published: None) -> None:
    rollup = {p.code: p for p in province_rollup(at=_at(DAY))}
    hubei, hunan = rollup["420000"], rollup["430000"]
    assert not hubei.all_low and hunan.all_low
    assert [a.code for a in hubei.high] == ["420106"]
    assert [a.code for a in hubei.medium] == ["420111"]
    assert hubei.high[0].place == "湖北省 武汉市 武昌区"
    assert (hubei.counties, hubei.counties_high, hubei.counties_medium) == (3, 1, 1)


@pytest.mark.django_db
def test_a_day_published_later_is_in_force_when_that_day_is_looked_at(divisions: None) -> None:
    """History filled in afterwards (a backfill, the demo) takes effect when published, yet
    anyone looking at that day — a date picker, a download for the day — must see its levels."""
    published_later = _at(DAY + timedelta(days=30))
    publish_levels(DAY, {"420106": "high"}, effective_at=published_later,
                   published_at=published_later)
    assert publication_in_force(at=_at(DAY, 20)).day == DAY
    assert levels_in_force(at=_at(DAY, 20))["420106"].level == "high"
    assert publication_in_force(at=_at(DAY - timedelta(days=1), 20)) is None
