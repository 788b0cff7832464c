"""Cluster detection (services/clusters.py) on constructed sets of cases at settings, and the
selectors the risk-level rules read (selectors/clusters.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from shouwang.surveillance.models import CaseReport, Disease
from shouwang.surveillance.services.cases import case_report_revoke
from shouwang.tracing.models import (
    Cluster,
    ClusterMember,
    ClusterStatus,
    Investigation,
    Setting,
    SourceStatus,
)
from shouwang.tracing.selectors.clusters import clusters_in_prefix, open_clusters
from shouwang.tracing.services import investigations as inv_svc
from shouwang.tracing.services.clusters import clusters_detect
from shouwang.tracing.services.settings_registry import setting_register
from tests.tracing.cases import make_case

DAY0 = date(2026, 3, 1)
AS_OF = date(2026, 3, 31)


@pytest.fixture
def covid(officers: dict[str, Any]) -> Disease:
    return Disease.objects.get(code="covid19")


@pytest.fixture
def officer(officers: dict[str, Any]) -> Any:
    return officers["wuhan"]


def _setting(officer: Any, label: str = "某物流公司分拣车间", division: str = "420106",
             kind: str = "workplace") -> Setting:
    return setting_register(actor=officer, kind=kind, label=label, division_code=division)[0]


def _case_at(officer: Any, setting: Setting, onset: date, division: str = "420106",
             **over: Any) -> CaseReport:
    case = make_case(division, onset=onset, **over)
    inv, _ = inv_svc.investigation_open(actor=officer, case=case)
    start = max(inv.exposure_window_start, onset - timedelta(days=3))
    inv_svc.exposure_add(actor=officer, investigation=inv, data={
        "kind": setting.kind, "setting_id": setting.pk, "started_on": start, "ended_on": onset})
    return case


def _state() -> list[tuple[Any, ...]]:
    return sorted(Cluster.objects.values_list(
        "key", "case_count", "first_onset", "last_onset", "generations", "status",
        "updated_at")) + sorted(ClusterMember.objects.values_list(
            "cluster_id", "case_id", "generation", "onset_date"))


def test_two_cases_14_days_apart_at_one_setting_are_a_cluster(officer: Any,
                                                              covid: Disease) -> None:
    setting = _setting(officer)
    first = _case_at(officer, setting, DAY0)
    second = _case_at(officer, setting, DAY0 + timedelta(days=14))
    figures = clusters_detect(disease=covid, as_of=AS_OF)
    assert figures["created"] == 1
    cluster = Cluster.objects.get()
    assert cluster.key == f"covid19:{setting.pk}:{first.pk}"
    assert cluster.case_count == 2 and cluster.setting == setting
    assert (cluster.first_onset, cluster.last_onset) == (DAY0, DAY0 + timedelta(days=14))
    assert cluster.division_code == setting.division_code
    assert cluster.status == ClusterStatus.OPEN and cluster.generations == 1
    assert sorted(cluster.members.values_list("case_id", flat=True)) == [first.pk, second.pk]
    # Member investigations still pending now name the cluster as their source.
    assert set(Investigation.objects.filter(case__in=[first, second]).values_list(
        "source_status", flat=True)) == {SourceStatus.CLUSTER}


def test_fifteen_days_apart_is_no_cluster(officer: Any, covid: Disease) -> None:
    setting = _setting(officer)
    _case_at(officer, setting, DAY0)
    _case_at(officer, setting, DAY0 + timedelta(days=15))
    assert clusters_detect(disease=covid, as_of=AS_OF)["clusters"] == 0
    assert not Cluster.objects.exists()


def test_cases_at_different_settings_are_not_merged(officer: Any, covid: Disease) -> None:
    work, school = _setting(officer), _setting(officer, "某小学三年级二班", kind="school")
    _case_at(officer, work, DAY0)
    _case_at(officer, school, DAY0 + timedelta(days=1))
    assert clusters_detect(disease=covid, as_of=AS_OF)["clusters"] == 0
    _case_at(officer, work, DAY0 + timedelta(days=2))
    _case_at(officer, school, DAY0 + timedelta(days=3))
    clusters_detect(disease=covid, as_of=AS_OF)
    assert sorted(Cluster.objects.values_list("setting_id", "case_count")) == sorted(
        [(work.pk, 2), (school.pk, 2)])


def test_suspected_and_revoked_cases_do_not_count(officers: dict[str, Any], officer: Any,
                                                  covid: Disease) -> None:
    setting = _setting(officer)
    _case_at(officer, setting, DAY0)
    _case_at(officer, setting, DAY0 + timedelta(days=2), classification="suspected")
    assert clusters_detect(disease=covid, as_of=AS_OF)["clusters"] == 0
    third = _case_at(officer, setting, DAY0 + timedelta(days=3))
    clusters_detect(disease=covid, as_of=AS_OF)
    assert Cluster.objects.get().case_count == 2
    case_report_revoke(actor=officers["wuchang"], case=third, version=third.version, reason="误报")
    figures = clusters_detect(disease=covid, as_of=AS_OF)
    assert figures["removed"] == 1 and not Cluster.objects.exists()


def test_rerun_changes_nothing(officer: Any, covid: Disease) -> None:
    setting = _setting(officer)
    for day in (0, 3, 9):
        _case_at(officer, setting, DAY0 + timedelta(days=day))
    clusters_detect(disease=covid, as_of=AS_OF)
    before = _state()
    figures = clusters_detect(disease=covid, as_of=AS_OF)
    assert figures["unchanged"] == 1 and figures["created"] == figures["updated"] == 0
    assert _state() == before


def test_new_and_late_earlier_cases_join_the_same_cluster(officer: Any, covid: Disease) -> None:
    setting = _setting(officer)
    _case_at(officer, setting, DAY0 + timedelta(days=5))
    _case_at(officer, setting, DAY0 + timedelta(days=8))
    clusters_detect(disease=covid, as_of=AS_OF)
    key = Cluster.objects.get().key
    # Reported late, ill earlier: the cluster's first case changes, its identity does not.
    _case_at(officer, setting, DAY0)
    figures = clusters_detect(disease=covid, as_of=AS_OF)
    cluster = Cluster.objects.get()
    assert figures["updated"] == 1 and cluster.key == key
    assert cluster.case_count == 3 and cluster.first_onset == DAY0


def test_bridging_case_merges_two_clusters(officer: Any, covid: Disease) -> None:
    setting = _setting(officer)
    for day in (0, 1, 20, 21):
        _case_at(officer, setting, DAY0 + timedelta(days=day))
    clusters_detect(disease=covid, as_of=AS_OF)
    older = Cluster.objects.order_by("pk").first()
    assert Cluster.objects.count() == 2 and older is not None
    _case_at(officer, setting, DAY0 + timedelta(days=10))
    figures = clusters_detect(disease=covid, as_of=AS_OF)
    assert figures["merged"] == 1
    assert list(Cluster.objects.values_list("pk", "case_count")) == [(older.pk, 5)]


def test_closed_after_two_exposure_windows_without_a_case(officer: Any, covid: Disease) -> None:
    setting = _setting(officer)
    _case_at(officer, setting, DAY0)
    _case_at(officer, setting, DAY0 + timedelta(days=2))
    last = DAY0 + timedelta(days=2)
    window = covid.exposure_window_days
    clusters_detect(disease=covid, as_of=last + timedelta(days=2 * window - 1))
    assert Cluster.objects.get().status == ClusterStatus.OPEN
    figures = clusters_detect(disease=covid, as_of=last + timedelta(days=2 * window))
    assert figures["closed"] == 1 and Cluster.objects.get().status == ClusterStatus.CLOSED


def test_completed_or_decided_sources_are_kept(officers: dict[str, Any], officer: Any,
                                               covid: Disease) -> None:
    setting = _setting(officer)
    first = _case_at(officer, setting, DAY0)
    second = _case_at(officer, setting, DAY0 + timedelta(days=1))
    inv = Investigation.objects.get(case=second)
    inv_svc.investigation_set_source(actor=officer, investigation=inv, version=inv.version,
                                     source_status="known_contact")
    clusters_detect(disease=covid, as_of=AS_OF)
    inv.refresh_from_db()
    assert Investigation.objects.get(case=first).source_status == SourceStatus.CLUSTER
    assert inv.source_status == SourceStatus.KNOWN_CONTACT


def test_open_clusters_are_scoped_and_prefix_clusters_are_not(officers: dict[str, Any],
                                                              officer: Any,
                                                              covid: Disease) -> None:
    wuchang = _setting(officer)
    hongshan = _setting(officer, "洪山某餐馆聚餐", division="420111", kind="gathering")
    for setting, code in ((wuchang, "420106"), (hongshan, "420111")):
        _case_at(officer, setting, DAY0, division=code)
        _case_at(officer, setting, DAY0 + timedelta(days=4), division=code)
    clusters_detect(disease=covid, as_of=AS_OF)
    seen = open_clusters(user=officers["wuchang"], as_of=AS_OF)
    assert [c.setting_id for c in seen] == [wuchang.pk]
    assert len(open_clusters(user=officers["wuhan"], disease="covid19", as_of=AS_OF)) == 2
    assert not open_clusters(user=officers["furong"], as_of=AS_OF)
    assert {c.setting_id for c in clusters_in_prefix("4201", AS_OF)} == {wuchang.pk, hongshan.pk}
    assert [c.setting_id for c in clusters_in_prefix("420111", AS_OF)] == [hongshan.pk]
    # Before the first case and after two windows without one, no cluster is active.
    assert not clusters_in_prefix("42", DAY0 - timedelta(days=1))
    assert not clusters_in_prefix("42", DAY0 + timedelta(days=4 + 28))


def test_generations_from_confirmed_links_among_members(officer: Any, covid: Disease) -> None:
    from shouwang.tracing.services.links import link_confirm

    setting = _setting(officer, "某家庭聚餐", kind="gathering")
    a = _case_at(officer, setting, DAY0)
    b = _case_at(officer, setting, DAY0 + timedelta(days=4))
    c = _case_at(officer, setting, DAY0 + timedelta(days=8))
    clusters_detect(disease=covid, as_of=AS_OF)
    assert Cluster.objects.get().generations == 1
    link_confirm(actor=officer, infector=a, infectee=b, setting=setting)
    link_confirm(actor=officer, infector=b, infectee=c, setting=setting)
    figures = clusters_detect(disease=covid, as_of=AS_OF)
    cluster = Cluster.objects.get()
    assert figures["updated"] == 1 and cluster.generations == 3
    assert dict(cluster.members.values_list("case_id", "generation")) == {a.pk: 1, b.pk: 2,
                                                                         c.pk: 3}
