"""Investigations: opening (window rule, idempotency, bulk), exposures in the window, settings,
source status, completion, versions and audit (services/investigations.py,
services/settings_registry.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditEvent
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import Exposure, Investigation, Setting, SourceStatus
from shouwang.tracing.selectors.investigations import investigation_history
from shouwang.tracing.services import investigations as svc
from shouwang.tracing.services.settings_registry import household_for_case, setting_register
from tests.tracing.cases import make_case

ONSET = date(2026, 3, 20)


@pytest.fixture
def case(officers: dict[str, Any]) -> CaseReport:
    return make_case("420106", onset=ONSET, name="张伟")


def test_window_is_the_disease_exposure_window_before_onset(officers: dict[str, Any],
                                                            case: CaseReport) -> None:
    inv, created = svc.investigation_open(actor=officers["wuchang"], case=case)
    assert created
    assert inv.exposure_window_end == ONSET
    assert inv.exposure_window_start == ONSET - timedelta(
        days=case.disease.exposure_window_days)
    assert inv.source_status == SourceStatus.PENDING
    assert inv.division_code == case.division_code
    assert not inv.found_under_follow_up


def test_window_without_onset_ends_on_the_diagnosis_day(officers: dict[str, Any]) -> None:
    asymptomatic = make_case("420106", onset=ONSET, classification="asymptomatic")
    CaseReport.objects.filter(pk=asymptomatic.pk).update(onset_date=None)
    asymptomatic.refresh_from_db()
    inv, _ = svc.investigation_open(actor=officers["wuchang"], case=asymptomatic)
    diagnosed = asymptomatic.diagnosed_at.astimezone().date()
    assert inv.exposure_window_end == diagnosed
    assert (inv.exposure_window_end - inv.exposure_window_start).days == 14


def test_open_twice_stores_one(officers: dict[str, Any], case: CaseReport) -> None:
    first, created = svc.investigation_open(actor=officers["wuchang"], case=case)
    again, created_again = svc.investigation_open(actor=officers["wuhan"], case=case)
    assert created and not created_again
    assert again.pk == first.pk and again.version == first.version
    assert Investigation.objects.filter(case=case).count() == 1


def test_open_follows_a_corrected_onset(officers: dict[str, Any], case: CaseReport) -> None:
    inv, _ = svc.investigation_open(actor=officers["wuchang"], case=case)
    CaseReport.objects.filter(pk=case.pk).update(onset_date=ONSET - timedelta(days=2))
    case.refresh_from_db()
    again, created = svc.investigation_open(actor=officers["wuchang"], case=case)
    assert not created
    assert again.exposure_window_end == ONSET - timedelta(days=2)
    assert again.version == inv.version + 1


def test_open_outside_the_jurisdiction_is_not_found(officers: dict[str, Any],
                                                    case: CaseReport) -> None:
    with pytest.raises(NotFound):
        svc.investigation_open(actor=officers["hongshan"], case=case)
    with pytest.raises(PermissionDenied):
        svc.investigation_open(actor=officers["grid"], case=case)
    assert not Investigation.objects.exists()


def test_imported_case_starts_as_imported(officers: dict[str, Any]) -> None:
    imported = make_case("420106", onset=ONSET, imported=True, origin_country="THA")
    inv, _ = svc.investigation_open(actor=None, case=imported)
    assert inv.source_status == SourceStatus.IMPORTED


def test_bulk_opens_confirmed_and_asymptomatic_only_once(officers: dict[str, Any]) -> None:
    confirmed = [make_case("420106", onset=ONSET - timedelta(days=i)) for i in range(5)]
    asymptomatic = make_case("420111", onset=ONSET, classification="asymptomatic")
    suspected = make_case("420106", onset=ONSET, classification="suspected")
    svc.investigation_open(actor=officers["wuchang"], case=confirmed[0])
    figures = svc.investigations_open_bulk(batch=2)
    assert figures["opened"] == 5
    assert figures["batches"] == 3
    assert set(Investigation.objects.values_list("case_id", flat=True)) == {
        *(c.pk for c in confirmed), asymptomatic.pk}
    assert not Investigation.objects.filter(case=suspected).exists()
    inv = Investigation.objects.get(case=confirmed[3])
    assert inv.exposure_window_end == ONSET - timedelta(days=3)
    assert inv.exposure_window_start == ONSET - timedelta(days=17)
    assert svc.investigations_open_bulk()["opened"] == 0
    assert AuditEvent.objects.filter(summary__startswith="investigations opened in bulk").exists()


# --- exposures -----------------------------------------------------------------------------------


@pytest.fixture
def inv(officers: dict[str, Any], case: CaseReport) -> Investigation:
    return svc.investigation_open(actor=officers["wuchang"], case=case)[0]


def _exposure(**over: Any) -> dict[str, Any]:
    return {"kind": "workplace", "setting_label": "某物流公司分拣车间",
            "place_division_code": "420106", "started_on": ONSET - timedelta(days=6),
            "ended_on": ONSET - timedelta(days=4), **over}


def test_exposure_at_a_new_setting(officers: dict[str, Any], inv: Investigation) -> None:
    exposure = svc.exposure_add(actor=officers["wuchang"], investigation=inv, data=_exposure(
        description="每日 8 时至 18 时在车间分拣"))
    assert exposure.setting is not None and exposure.setting.kind == "workplace"
    assert exposure.place_division_code == "420106"
    assert exposure.division_code == inv.division_code
    inv.refresh_from_db()
    assert inv.version == 2
    kinds = [e.summary for e in investigation_history(user=officers["wuhan"], investigation=inv)]
    assert kinds == ["investigation open", "investigation exposure add v2"]


@pytest.mark.parametrize(("over", "field"), [
    ({"started_on": ONSET - timedelta(days=15)}, "started_on"),
    ({"ended_on": ONSET + timedelta(days=1)}, "ended_on"),
    ({"started_on": ONSET - timedelta(days=2), "ended_on": ONSET - timedelta(days=3)},
     "ended_on"),
    ({"started_on": "2026-02-30"}, "started_on"),
    ({"kind": "spaceship"}, "kind"),
    ({"setting_label": "", "place_division_code": "999999"}, "place_division_code"),
    ({"setting_label": "", "place_division_code": "420100"}, "place_division_code"),
    ({"setting_id": 999999}, "setting_id"),
])
def test_bad_exposures_are_field_errors_and_store_nothing(
        officers: dict[str, Any], inv: Investigation, over: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        svc.exposure_add(actor=officers["wuchang"], investigation=inv, data=_exposure(**over))
    assert field in caught.value.fields
    assert not Exposure.objects.exists() and not Setting.objects.exists()
    inv.refresh_from_db()
    assert inv.version == 1


def test_window_edges_are_inside(officers: dict[str, Any], inv: Investigation) -> None:
    svc.exposure_add(actor=officers["wuchang"], investigation=inv, data=_exposure(
        started_on=inv.exposure_window_start, ended_on=inv.exposure_window_end))
    assert Exposure.objects.count() == 1


def test_household_exposure_registers_the_case_household_once(
        officers: dict[str, Any], inv: Investigation) -> None:
    for _ in range(2):
        svc.exposure_add(actor=officers["wuchang"], investigation=inv,
                         data=_exposure(kind="household", setting_label=""))
    settings = list(Setting.objects.all())
    assert len(settings) == 1
    assert settings[0].label == f"病例 {inv.case_id} 的家庭"
    assert "张" not in settings[0].label
    assert Exposure.objects.filter(setting=settings[0]).count() == 2


def test_division_only_exposure(officers: dict[str, Any], inv: Investigation) -> None:
    exposure = svc.exposure_add(actor=officers["wuchang"], investigation=inv, data=_exposure(
        kind="transport", setting_label="", place_division_code="430102"))
    assert exposure.setting is None and exposure.place_division_code == "430102"


def test_setting_register_is_idempotent_on_source_key(officers: dict[str, Any],
                                                      case: CaseReport) -> None:
    a, created = setting_register(actor=officers["wuchang"], kind="school",
                                  label="某小学三年级二班", division_code="420106",
                                  source_key="school:1")
    b, created_b = setting_register(actor=officers["wuchang"], kind="school", label="另一个名字",
                                    division_code="420106", source_key="school:1")
    assert created and not created_b and a.pk == b.pk
    home, _ = household_for_case(actor=officers["wuchang"], case=case)
    home_again, again = household_for_case(actor=officers["wuhan"], case=case)
    assert home.pk == home_again.pk and not again
    with pytest.raises(InvalidInput) as caught:
        setting_register(actor=officers["wuchang"], kind="household", label="某小区 3 栋",
                         division_code="420106")
    assert "index_case" in caught.value.fields


def test_remove_exposure_keeps_the_record_in_the_audit(officers: dict[str, Any],
                                                       inv: Investigation) -> None:
    exposure = svc.exposure_add(actor=officers["wuchang"], investigation=inv, data=_exposure())
    inv.refresh_from_db()
    with pytest.raises(InvalidInput):
        svc.exposure_remove(actor=officers["wuchang"], investigation=inv,
                            exposure_id=exposure.pk, version=inv.version, reason="")
    svc.exposure_remove(actor=officers["wuchang"], investigation=inv, exposure_id=exposure.pk,
                        version=inv.version, reason="录入错误")
    assert not Exposure.objects.exists()
    last = list(investigation_history(user=officers["wuchang"], investigation=inv))[-1]
    assert last.changes["exposure_removed"] == exposure.pk


# --- source and completion -----------------------------------------------------------------------


def test_source_and_complete_are_versioned(officers: dict[str, Any], inv: Investigation) -> None:
    with pytest.raises(InvalidInput) as caught:
        svc.investigation_complete(actor=officers["wuchang"], investigation=inv, version=1)
    assert "source_status" in caught.value.fields
    fresh = svc.investigation_set_source(actor=officers["wuchang"], investigation=inv,
                                         version=1, source_status="unknown", note="无明确暴露")
    assert fresh.version == 2 and fresh.source_status == SourceStatus.UNKNOWN
    with pytest.raises(svc.InvestigationConflict):
        svc.investigation_set_source(actor=officers["wuhan"], investigation=inv, version=1,
                                     source_status="known_contact")
    done = svc.investigation_complete(actor=officers["wuchang"], investigation=fresh, version=2,
                                      summary="未发现明确感染来源")
    assert done.completed_at is not None and done.investigator == officers["wuchang"]
    assert done.summary == "未发现明确感染来源"
    with pytest.raises(InvalidInput) as caught:
        svc.exposure_add(actor=officers["wuchang"], investigation=done, data=_exposure())
    assert "status" in caught.value.fields
    reopened = svc.investigation_reopen(actor=officers["wuchang"], investigation=done,
                                        version=3, reason="补充新的暴露史")
    assert reopened.completed_at is None and reopened.version == 4
    history = list(investigation_history(user=officers["wuchang"], investigation=inv))
    assert [h.changes.get("source_status") for h in history][1] == ["pending", "unknown"]
    assert history[1].changes["note"] == "无明确暴露"
    # The summary is personal free text: the audit says that it changed, not to what.
    assert history[2].changes["summary"] == ["", "***"]


def test_source_status_must_be_known(officers: dict[str, Any], inv: Investigation) -> None:
    with pytest.raises(InvalidInput):
        svc.investigation_set_source(actor=officers["wuchang"], investigation=inv, version=1,
                                     source_status="aliens")
    with pytest.raises(NotFound):
        svc.investigation_set_source(actor=officers["hongshan"], investigation=inv, version=1,
                                     source_status="unknown")


# --- found under follow-up -----------------------------------------------------------------------


@pytest.mark.parametrize("bulk", [False, True])
def test_a_contact_under_follow_up_found_a_case(officers: dict[str, Any], bulk: bool) -> None:
    from shouwang.tracing.models import Contact, ContactStatus
    from tests.tracing.contacts_factory import make_contact

    index = make_case("420106", onset=ONSET - timedelta(days=6), name="王强")
    contact = make_contact(index, officers["wuchang"], seq=7, name="李娜",
                           last_exposure=ONSET - timedelta(days=3))
    stranger = make_case("420106", onset=ONSET, name="赵敏", seq=8, age_years=36)
    # The same person as the contact: same resident ID (region, birth 1990-03-12, sequence 007).
    became = make_case("420106", onset=ONSET, name="李娜", seq=7, age_years=36)
    if bulk:
        svc.investigations_open_bulk()
    else:
        for case in (index, stranger, became):
            svc.investigation_open(actor=officers["wuchang"], case=case)
    inv = Investigation.objects.get(case=became)
    assert inv.found_under_follow_up and inv.source_status == SourceStatus.KNOWN_CONTACT
    assert not Investigation.objects.get(case=stranger).found_under_follow_up
    contact = Contact.objects.get(pk=contact.pk)
    assert contact.status == ContactStatus.BECAME_CASE and contact.became_case_id == became.pk


def test_settings_across_the_county_line(officers: dict[str, Any], inv: Investigation) -> None:
    """A 洪山区 case worked at a 武昌区 workplace (same city): its investigator may pick it; a
    setting in another province is linked by its key instead."""
    workplace, _ = setting_register(actor=officers["wuchang"], kind="workplace", label="某车间",
                                    division_code="420106")
    far, _ = setting_register(actor=officers["furong"], kind="transport", label="G1234 次列车",
                              division_code="430102", source_key="train:G1234:2026-03-15")
    hongshan = svc.investigation_open(actor=officers["hongshan"],
                                      case=make_case("420111", onset=ONSET))[0]
    days = {"started_on": ONSET - timedelta(days=5), "ended_on": ONSET - timedelta(days=5)}
    exposure = svc.exposure_add(actor=officers["hongshan"], investigation=hongshan,
                                data={"kind": "workplace", "setting_id": workplace.pk, **days})
    assert exposure.setting == workplace and exposure.place_division_code == "420106"
    with pytest.raises(InvalidInput) as caught:
        svc.exposure_add(actor=officers["hongshan"], investigation=hongshan,
                         data={"kind": "transport", "setting_id": far.pk, **days})
    assert "setting_id" in caught.value.fields
    by_key = svc.exposure_add(actor=officers["hongshan"], investigation=hongshan, data={
        "kind": "transport", "setting_label": "G1234", "setting_key": "train:G1234:2026-03-15",
        "place_division_code": "430102", **days})
    assert by_key.setting == far


def test_page_of_a_broad_scope_is_the_plain_query_page(officers: dict[str, Any]) -> None:
    from shouwang.tracing.selectors.investigations import (
        InvestigationFilters,
        investigation_list,
        investigation_page,
    )

    for i in range(7):
        case = make_case("420106" if i % 3 else "420111", onset=ONSET - timedelta(days=i))
        inv = svc.investigation_open(actor=None, case=case)[0]
        if i % 2:
            svc.investigation_set_source(actor=officers["wuhan"], investigation=inv,
                                         version=1, source_status="unknown")
    for filters in (InvestigationFilters(), InvestigationFilters(source_status="unknown"),
                    InvestigationFilters(division="420111")):
        for offset, limit in ((0, 3), (2, 3), (5, 5)):
            plain = list(investigation_list(user=officers["wuhan"], filters=filters)
                         [offset:offset + limit])
            for broad in (1, 100):
                fast = investigation_page(user=officers["wuhan"], filters=filters,
                                          offset=offset, limit=limit, broad=broad)
                assert [i.pk for i in fast] == [i.pk for i in plain], (filters, offset, broad)
