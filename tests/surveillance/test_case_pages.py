"""The case pages through Django's test client: the report form and its validation endpoint,
the line list, the report's page and its actions, the duplicate review. Records are made through
the real services; every page answers 404 for a report of another county."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.surveillance.models import (
    CandidateStatus,
    CaseReport,
    CaseStatus,
    DuplicateCandidate,
)
from shouwang.surveillance.services import cases as svc
from tests.surveillance.cases_data import ZHANG_WEI, case_data, officer, resident_id

NEW = "/surveillance/cases/new/"
LIST = "/surveillance/cases/"
VALIDATE = "/api/v1/surveillance/cases/validate"


@pytest.fixture
def wuchang(divisions: None) -> Any:
    return officer("420106")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(**over: Any) -> dict[str, str]:
    """The report card as the browser posts it: strings, datetime-local values, a token."""
    diagnosed = timezone.localtime(timezone.now() - timedelta(days=1))
    data = {
        "token": "a" * 32, "disease": "covid19", "classification": "confirmed",
        "name": "张伟", "id_type": "resident_id", "id_number": ZHANG_WEI, "sex": "U",
        "birth_date": "", "age_years": "", "phone": "13800138000", "occupation": "teacher",
        "division_code": "420106", "address_detail": "中南路 99 号",
        "onset_date": (diagnosed - timedelta(days=2)).date().isoformat(),
        "diagnosed_at": diagnosed.strftime("%Y-%m-%dT%H:%M"),
        "reported_at": (diagnosed + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "severity": "mild", "outcome": "", "outcome_date": "", "imported": "0",
        "origin_division_code": "", "origin_country": "",
        "reporting_facility": "武汉市第一医院", "reporting_division_code": "420106",
    }
    data.update(over)
    return data


def submit(user: Any, **over: Any) -> CaseReport:
    case, _ = svc.case_report_submit(actor=user, data=case_data(**over))
    return case


# --- the report form ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_renders_every_card_field_with_disease_deadlines(wuchang: Any) -> None:
    r = client_for(wuchang).get(NEW)
    assert r.status_code == 200
    html = r.content.decode()
    for name in svc.INPUT_FIELDS:
        assert f'name="{name}"' in html, name
    assert re.search(r'name="token" value="[0-9a-f]{32}"', html)
    # The class and the deadline of each disease travel with its option.
    assert "2 小时内报告" in html and "24 小时内报告" in html
    assert "<script>" not in html and 'style="' not in html


@pytest.mark.django_db
def test_form_post_creates_the_case_and_lands_on_its_page(wuchang: Any) -> None:
    r = client_for(wuchang).post(NEW, form_data())
    case = CaseReport.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/surveillance/cases/{case.pk}/"
    assert case.source_key == "web-" + "a" * 32
    assert case.sex == "M" and str(case.birth_date) == "1985-03-12"  # from the ID number


@pytest.mark.django_db
def test_double_submit_of_one_form_stores_one_case(wuchang: Any) -> None:
    client = client_for(wuchang)
    first = client.post(NEW, form_data())
    second = client.post(NEW, form_data())
    assert CaseReport.objects.count() == 1
    assert first["Location"] == second["Location"]
    page = client.get(second["Location"]).content.decode()
    assert "这份报告已提交过" in page


@pytest.mark.django_db
def test_errors_are_shown_per_field_and_nothing_is_stored(wuchang: Any) -> None:
    bad_id = ZHANG_WEI[:-1] + ("0" if ZHANG_WEI[-1] != "0" else "1")
    r = client_for(wuchang).post(NEW, form_data(id_number=bad_id, name=""))
    assert r.status_code == 422
    html = r.content.decode()
    assert CaseReport.objects.count() == 0
    name_error = re.search(r'id="err-name"[^>]*>([^<]*)<', html)
    id_error = re.search(r'id="err-id_number"[^>]*>([^<]*)<', html)
    assert name_error and "必填" in name_error.group(1)
    assert id_error and id_error.group(1).strip()
    # What the user typed stays in the form, and the same token is kept for the retry.
    assert "中南路 99 号" in html and 'value="' + "a" * 32 + '"' in html


@pytest.mark.django_db
def test_origin_fields_count_only_for_an_imported_case(wuchang: Any) -> None:
    client = client_for(wuchang)
    # Typed, then "local" chosen: the hidden origin is not part of the report.
    r = client.post(NEW, form_data(origin_country="JPN", imported="0"))
    assert r.status_code == 302
    assert CaseReport.objects.get().origin_country == ""
    # Imported without an origin is told on the form.
    r = client.post(NEW, form_data(token="d" * 32, imported="1",
                                   id_number=resident_id("420106", "19900101", "555")))
    assert r.status_code == 422
    html = r.content.decode()
    assert re.search(r'id="err-(origin_division_code|origin_country|imported)"[^>]*>[^<]+<', html)
    r = client.post(NEW, form_data(token="e" * 32, imported="1", origin_country="JPN",
                                   id_number=resident_id("420106", "19900101", "555")))
    assert r.status_code == 302
    assert CaseReport.objects.filter(imported=True, origin_country="JPN").count() == 1


@pytest.mark.django_db
def test_a_repeat_of_an_existing_case_says_so_with_a_link(wuchang: Any) -> None:
    existing = submit(wuchang, classification="suspected")
    r = client_for(wuchang).post(NEW, form_data())
    assert r.status_code == 200
    html = r.content.decode()
    assert "此患者已有病例报告" in html
    assert f'href="/surveillance/cases/{existing.pk}/"' in html
    assert CaseReport.objects.filter(status=CaseStatus.MERGED, merged_into=existing).count() == 1


@pytest.mark.django_db
def test_proposed_duplicates_are_announced_after_submit(wuchang: Any) -> None:
    client = client_for(wuchang)
    nobody = {"id_type": "none", "id_number": "", "birth_date": "1985-03-12"}
    client.post(NEW, form_data(token="b" * 32, **nobody))
    r = client.post(NEW, form_data(token="c" * 32, **nobody), follow=True)
    assert DuplicateCandidate.objects.count() == 1
    assert "可能是同一人的报告" in r.content.decode()


@pytest.mark.django_db
def test_form_is_prefilled_from_a_lab_result(wuchang: Any) -> None:
    from tests.surveillance.routes import _lab_result

    ids = _lab_result("420106")
    r = client_for(wuchang).get(NEW, {"lab_result": ids["result_id"]})
    assert r.status_code == 200
    assert 'value="walker"' in r.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.READ,
                                     object_type="surveillance.labresult").exists()


@pytest.mark.django_db
def test_prefill_from_another_countys_lab_result_is_404(wuchang: Any) -> None:
    from tests.surveillance.routes import _lab_result

    ids = _lab_result("420111")
    assert client_for(wuchang).get(NEW, {"lab_result": ids["result_id"]}).status_code == 404


@pytest.mark.django_db
def test_laboratory_cannot_open_the_form(divisions: None) -> None:
    lab = officer("420106", role=Role.LABORATORY)
    assert client_for(lab).get(NEW).status_code == 403


# --- instant validation -----------------------------------------------------------------------


def validate(user: Any, payload: dict[str, Any]) -> dict[str, Any]:
    r = client_for(user).post(VALIDATE, payload, content_type="application/json")
    assert r.status_code == 200, r.content
    out: dict[str, Any] = r.json()
    return out


@pytest.mark.django_db
def test_validate_reports_field_errors_and_writes_nothing(wuchang: Any) -> None:
    out = validate(wuchang, {"id_number": ZHANG_WEI[:-1] + "0", "birth_date": "1990-01-01",
                             "diagnosed_at": "2020-01-02T10:00", "onset_date": "2020-01-05"})
    assert out["valid"] is False
    assert "id_number" in out["errors"] and "name" in out["errors"]
    assert out["errors"]["onset_date"]  # onset after diagnosis
    assert CaseReport.objects.count() == 0


@pytest.mark.django_db
def test_validate_checks_birth_date_against_the_id_number(wuchang: Any) -> None:
    out = validate(wuchang, {"id_number": ZHANG_WEI, "birth_date": "1990-01-01"})
    assert out["errors"]["birth_date"] == ["出生日期与身份证号码不符。"]


@pytest.mark.django_db
def test_validate_says_when_the_address_is_outside_the_area(wuchang: Any) -> None:
    out = validate(wuchang, {"division_code": "420111"})
    assert out["errors"]["division_code"] == ["现住址区划不在您的管辖范围内。"]
    full = validate(wuchang, {**form_data(division_code="420111"), "imported": False})
    assert full["errors"] == {"division_code": ["现住址区划不在您的管辖范围内。"]}


@pytest.mark.django_db
def test_validate_accepts_a_good_card_and_derives_the_person(wuchang: Any) -> None:
    out = validate(wuchang, {**form_data(), "imported": False})
    assert out == {"valid": True, "errors": {},
                   "derived": {"sex": "M", "age_years": out["derived"]["age_years"],
                               "birth_date": "1985-03-12"}}


@pytest.mark.django_db
def test_validate_needs_the_write_capability(divisions: None) -> None:
    lab = officer("420106", role=Role.LABORATORY)
    r = client_for(lab).post(VALIDATE, {}, content_type="application/json")
    assert r.status_code == 403


# --- the line list ----------------------------------------------------------------------------


@pytest.fixture
def listed(wuchang: Any) -> list[CaseReport]:
    now = timezone.now()
    cases = []
    for seq in range(1, 56):
        diagnosed = now - timedelta(days=seq % 9 + 1, hours=seq)
        reported = diagnosed + timedelta(hours=30 if seq % 5 == 0 else 2)  # every fifth late
        cases.append(submit(
            wuchang, id_number=resident_id("420106", "19800101", f"{seq:03d}"),
            classification="suspected" if seq % 2 else "confirmed", name=f"病例{seq}",
            diagnosed_at=diagnosed, reported_at=reported, onset_date=None,
            imported=seq % 7 == 0, origin_country="JPN" if seq % 7 == 0 else ""))
    return cases


@pytest.mark.django_db
def test_list_pages_newest_first_without_personal_data(wuchang: Any,
                                                        listed: list[CaseReport]) -> None:
    client = client_for(wuchang)
    r = client.get(LIST)
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count('data-testid="case-row"') == 50
    assert "病例1<" not in html and "张伟" not in html and ZHANG_WEI not in html
    assert "共 55 份报告" in html  # a county counts with the page
    newest = max(listed, key=lambda c: (c.reported_at, c.pk))
    assert html.index(f">#{newest.pk}<") < html.index('data-testid="pager-next"')
    nxt = re.search(r'href="(\?[^"]*offset=50[^"]*)" data-testid="pager-next"', html)
    assert nxt
    second = client.get(LIST + nxt.group(1).replace("&amp;", "&")).content.decode()
    assert second.count('data-testid="case-row"') == 5
    assert 'data-testid="pager-next"' not in second and 'data-testid="pager-previous"' in second


@pytest.mark.django_db
def test_county_count_stops_at_the_cap(wuchang: Any, listed: list[CaseReport],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from shouwang.surveillance.views import case_list

    monkeypatch.setattr(case_list, "COUNT_CAP", 40)
    client = client_for(wuchang)
    html = client.get(LIST).content.decode()
    assert "超过 40 份报告" in html and 'data-testid="case-total-link"' in html
    assert "共 55 份报告" in client.get(LIST, {"total": "1"}).content.decode()


@pytest.mark.django_db
def test_list_filters(wuchang: Any, listed: list[CaseReport]) -> None:
    client = client_for(wuchang)

    def rows(**params: str) -> int:
        return client.get(LIST, params).content.decode().count('data-testid="case-row"')

    assert rows(classification="confirmed") == 27
    assert rows(late="1") == 11
    assert rows(imported="1") == 7
    assert rows(disease="covid19", late="1", classification="confirmed") == 5
    assert rows(division_code="420111") == 0
    day = timezone.localdate(listed[0].reported_at).isoformat()
    assert rows(basis="report", since=day, until=day) >= 1
    bad = client.get(LIST, {"since": "2026-13-01"})
    assert "日期格式应为 YYYY-MM-DD" in bad.content.decode()


@pytest.mark.django_db
def test_city_officer_gets_a_count_link_instead_of_a_count(wuchang: Any,
                                                           listed: list[CaseReport]) -> None:
    city = client_for(officer("420100", role=Role.CITY_OFFICER))
    html = city.get(LIST).content.decode()
    assert 'data-testid="case-total-link"' in html and "共 55 份报告" not in html
    assert "共 55 份报告" in city.get(LIST, {"total": "1"}).content.decode()


@pytest.mark.django_db
def test_list_links_the_curve_and_the_export_with_the_filters(wuchang: Any,
                                                              listed: list[CaseReport]) -> None:
    html = client_for(wuchang).get(LIST, {"disease": "covid19", "division_code": "420106",
                                          "late": "1"}).content.decode()
    assert "/surveillance/curve/?disease=covid19&amp;division=420106" in html
    export = re.search(r'href="(/surveillance/exports/cases/\?[^"]*)" data-testid="export-button"',
                       html)
    assert export
    url = export.group(1).replace("&amp;", "&")
    assert "late=1" in url and "disease=covid19" in url and "division_code=420106" in url
    page = client_for(wuchang).get(url)
    assert page.status_code == 200


@pytest.mark.django_db
def test_other_county_sees_none_of_them(wuchang: Any, listed: list[CaseReport]) -> None:
    html = client_for(officer("420111")).get(LIST).content.decode()
    assert 'data-testid="case-row"' not in html and 'data-testid="case-empty"' in html


@pytest.mark.django_db
def test_bulk_verify_and_reclassify(wuchang: Any, listed: list[CaseReport]) -> None:
    client = client_for(wuchang)
    ids = [str(c.pk) for c in listed[:3]]
    r = client.post("/surveillance/cases/bulk/", {"action": "verify", "case_ids": ids,
                                                  "next": LIST + "?late=1"})
    assert r.status_code == 302 and r["Location"] == LIST + "?late=1"
    assert CaseReport.objects.filter(verified_at__isnull=False).count() == 3
    r = client.post("/surveillance/cases/bulk/", {"action": "reclassify", "case_ids": ids,
                                                  "classification": "confirmed",
                                                  "reason": "实验室确认"}, follow=True)
    html = r.content.decode()
    assert "已订正分类 2 份报告" in html and "1 份报告不适用此操作" in html
    r = client.post("/surveillance/cases/bulk/", {"action": "reclassify", "case_ids": ids,
                                                  "classification": "suspected"}, follow=True)
    assert "请填写原因" in r.content.decode()


@pytest.mark.django_db
def test_bulk_leaves_other_countys_reports_alone(wuchang: Any) -> None:
    theirs = submit(officer("420111"), division_code="420111", reporting_division_code="420111")
    client_for(wuchang).post("/surveillance/cases/bulk/", {"action": "verify",
                                                           "case_ids": [str(theirs.pk)]})
    theirs.refresh_from_db()
    assert theirs.verified_at is None


@pytest.mark.django_db
def test_bulk_refuses_an_outside_next_url(wuchang: Any) -> None:
    case = submit(wuchang)
    r = client_for(wuchang).post("/surveillance/cases/bulk/", {
        "action": "verify", "case_ids": [str(case.pk)], "next": "https://evil.example/"})
    assert r["Location"] == LIST


# --- the report's page --------------------------------------------------------------------------


def detail(case: CaseReport) -> str:
    return f"/surveillance/cases/{case.pk}/"


@pytest.mark.django_db
def test_detail_shows_the_card_timeliness_history_and_audits_the_read(wuchang: Any) -> None:
    diagnosed = timezone.now() - timedelta(days=3)
    case = submit(wuchang, onset_date=None, diagnosed_at=diagnosed,
                  reported_at=diagnosed + timedelta(hours=30))
    svc.case_report_reclassify(actor=wuchang, case=case, version=1, classification="suspected",
                               reason="复核")
    before = AuditEvent.objects.filter(action=AuditAction.READ).count()
    html = client_for(wuchang).get(detail(case)).content.decode()
    assert "张伟" in html and ZHANG_WEI in html and "武昌区" in html
    assert 'data-testid="timeliness-late"' in html and "迟报 6.0 小时" in html
    assert 'data-testid="verification-overdue"' in html
    assert html.count('data-testid="history-entry"') == 2 and "复核" in html
    assert "<strong>病例分类</strong> 确诊病例 → 疑似病例" in html
    assert AuditEvent.objects.filter(action=AuditAction.READ).count() == before + 1


@pytest.mark.django_db
def test_detail_links_the_cases_tracing_pages_for_tracing_readers_only(wuchang: Any) -> None:
    case = submit(wuchang)
    html = client_for(wuchang).get(detail(case)).content.decode()
    for testid, url in (("case-investigation-link", f"/tracing/cases/{case.pk}/investigation/"),
                        ("case-contacts-link", f"/tracing/cases/{case.pk}/contacts/"),
                        ("case-chain-link", f"/tracing/cases/{case.pk}/chain/"),
                        ("case-infector-link", f"/tracing/cases/{case.pk}/infector/")):
        assert f'href="{url}" data-testid="{testid}"' in html
    lab = officer("420106", role=Role.LABORATORY)  # surveillance.read without tracing.read
    assert "case-chain-link" not in client_for(lab).get(detail(case)).content.decode()


@pytest.mark.django_db
def test_detail_of_another_county_is_404(wuchang: Any) -> None:
    theirs = submit(officer("420111"), division_code="420111", reporting_division_code="420111")
    client = client_for(wuchang)
    assert client.get(detail(theirs)).status_code == 404
    assert client.post(detail(theirs) + "verify/", {"version": "1"}).status_code == 404
    assert client.get(detail(theirs) + "correct/").status_code == 404


@pytest.mark.django_db
def test_reclassify_from_the_page(wuchang: Any) -> None:
    case = submit(wuchang, classification="suspected")
    client = client_for(wuchang)
    r = client.post(detail(case) + "reclassify/", {"version": "1", "classification": "confirmed",
                                                   "reason": "核酸阳性"})
    assert r.status_code == 200 and "病例分类已订正" in r.content.decode()
    case.refresh_from_db()
    assert case.classification == "confirmed" and case.version == 2


@pytest.mark.django_db
def test_reclassify_without_reason_shows_the_error(wuchang: Any) -> None:
    case = submit(wuchang, classification="suspected")
    r = client_for(wuchang).post(detail(case) + "reclassify/",
                                 {"version": "1", "classification": "confirmed", "reason": ""})
    assert r.status_code == 422 and "请填写原因" in r.content.decode()


@pytest.mark.django_db
def test_a_stale_version_is_told_not_overwritten(wuchang: Any) -> None:
    case = submit(wuchang, classification="suspected")
    svc.case_report_verify(actor=wuchang, case=case, version=1)
    r = client_for(wuchang).post(detail(case) + "reclassify/", {
        "version": "1", "classification": "confirmed", "reason": "核酸阳性"})
    assert r.status_code == 409
    assert "已被他人修改" in r.content.decode()
    case.refresh_from_db()
    assert case.classification == "suspected"


@pytest.mark.django_db
def test_verify_outcome_revoke_restore(wuchang: Any) -> None:
    case = submit(wuchang)
    client = client_for(wuchang)
    verified = client.post(detail(case) + "verify/", {"version": "1"})
    assert verified.status_code == 200
    assert 'data-testid="case-verified-by">case-county_officer-420106' in verified.content.decode()
    today = timezone.localdate().isoformat()
    assert client.post(detail(case) + "outcome/", {"version": "2", "outcome": "recovered",
                                                   "outcome_date": today}).status_code == 200
    r = client.post(detail(case) + "revoke/", {"version": "3", "reason": ""})
    assert r.status_code == 422 and "请填写原因" in r.content.decode()
    assert client.post(detail(case) + "revoke/", {"version": "3",
                                                  "reason": "重复录入"}).status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.REVOKED and case.outcome == "recovered"
    assert "此报告已删除" in client.get(detail(case)).content.decode()
    assert client.post(detail(case) + "restore/", {"version": "4"}).status_code == 200
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE


@pytest.mark.django_db
def test_unmerge_from_the_duplicates_page(wuchang: Any) -> None:
    existing = submit(wuchang, classification="suspected")
    result = svc.case_report_submit(actor=wuchang, data=case_data())
    assert result.duplicate is not None
    client = client_for(wuchang)
    html = client.get(detail(existing)).content.decode()
    assert f"#{result.duplicate.pk}" in html
    assert f"<strong>合并的报告</strong> — → #{result.duplicate.pk}" in html
    # The merge upgraded the existing case; the history says so in labels.
    assert "<strong>病例分类</strong> 疑似病例 → 确诊病例" in html
    r = client.post(detail(result.duplicate) + "unmerge/",
                    {"version": str(result.duplicate.version), "reason": "不同人"})
    assert r.status_code == 200
    result.duplicate.refresh_from_db()
    assert result.duplicate.status == CaseStatus.ACTIVE


@pytest.mark.django_db
def test_correct_sends_only_changed_fields(wuchang: Any) -> None:
    case = submit(wuchang)
    client = client_for(wuchang)
    page = client.get(detail(case) + "correct/").content.decode()
    assert 'value="张伟"' in page and 'name="reason"' in page
    values = dict(re.findall(r'<input name="(\w+)" id="f-\w+" value="([^"]*)"', page))
    assert values["division_code"] == "420106"
    data = form_data(occupation="worker", version="1", reason="职业填错")
    data["diagnosed_at"] = timezone.localtime(case.diagnosed_at).strftime("%Y-%m-%dT%H:%M")
    data["reported_at"] = timezone.localtime(case.reported_at).strftime("%Y-%m-%dT%H:%M")
    data["onset_date"] = case.onset_date.isoformat() if case.onset_date else ""
    data["phone"] = case.phone
    data["address_detail"] = case.address_detail
    data["sex"] = case.sex
    data["birth_date"] = case.birth_date.isoformat() if case.birth_date else ""
    data["age_years"] = str(case.age_years)
    r = client.post(detail(case) + "correct/", data)
    assert r.status_code == 302, r.content.decode()[:3000]
    case.refresh_from_db()
    assert case.occupation == "worker" and case.version == 2
    last = case.history.order_by("-version").first()
    assert last is not None and set(last.changes) == {"occupation"}


@pytest.mark.django_db
def test_correct_without_reason_is_refused_per_field(wuchang: Any) -> None:
    case = submit(wuchang)
    r = client_for(wuchang).post(detail(case) + "correct/",
                                 form_data(occupation="worker", version="1", reason=""))
    assert r.status_code == 422
    assert re.search(r'id="err-reason"[^>]*>请填写原因', r.content.decode())


@pytest.mark.django_db
def test_correcting_a_revoked_report_says_why_above_the_form(wuchang: Any) -> None:
    case = svc.case_report_revoke(actor=wuchang, case=submit(wuchang), version=1, reason="错报")
    r = client_for(wuchang).post(detail(case) + "correct/",
                                 form_data(occupation="worker", version="2", reason="订正"))
    assert r.status_code == 422
    assert re.search(r'data-testid="form-error-all">[^<]*不能执行此操作', r.content.decode())


@pytest.mark.django_db
def test_unchanged_correction_is_told(wuchang: Any) -> None:
    case = submit(wuchang)
    client = client_for(wuchang)
    page = client.get(detail(case) + "correct/").content.decode()
    inputs = dict(re.findall(r'<input (?:type="[\w-]+" )?name="(\w+)" id="f-\w+" value="([^"]*)"',
                             page))
    selects = dict(re.findall(r'<select name="(\w+)"[^>]*>(?:(?!</select>).)*?<option value="'
                              r'([^"]*)"[^>]*selected', page, re.S))
    data = {**inputs, **selects, "imported": "0", "version": "1", "reason": "无变化"}
    r = client.post(detail(case) + "correct/", data)
    assert r.status_code == 422
    html = r.content.decode()
    # The form shows the report as it is: sent back untouched, it changes nothing.
    assert re.search(r'data-testid="form-error-all">没有需要订正的内容', html)


# --- duplicate review ---------------------------------------------------------------------------


@pytest.fixture
def pair(wuchang: Any) -> DuplicateCandidate:
    for hours in (30, 20):
        submit(wuchang, id_type="none", id_number="", birth_date="1985-03-12",
               diagnosed_at=timezone.now() - timedelta(hours=hours),
               reported_at=timezone.now() - timedelta(hours=hours - 1))
    return DuplicateCandidate.objects.get()


@pytest.mark.django_db
def test_duplicates_side_by_side_masked(wuchang: Any, pair: DuplicateCandidate) -> None:
    html = client_for(wuchang).get("/surveillance/cases/duplicates/").content.decode()
    assert html.count('data-testid="duplicate-pair"') == 1
    assert "张*" in html and "张伟" not in html and "13800138000" not in html
    assert "138****8000" in html
    # Masked, but personal data all the same: the reading is on the audit trail, one row per
    # page, naming the reports shown.
    event = AuditEvent.objects.filter(action="read", summary__startswith="duplicate").get()
    assert sorted(event.changes["case_ids"]) == sorted([pair.case_id, pair.other_id])
    assert event.actor == wuchang


@pytest.mark.django_db
def test_merge_and_dismiss(wuchang: Any, pair: DuplicateCandidate) -> None:
    client = client_for(wuchang)
    r = client.post(f"/surveillance/cases/duplicates/{pair.pk}/merge/")
    assert "已合并" in r.content.decode()
    pair.refresh_from_db()
    assert pair.status == CandidateStatus.MERGED
    again = client.post(f"/surveillance/cases/duplicates/{pair.pk}/dismiss/")
    assert "该疑似重复已处理" in again.content.decode()


@pytest.mark.django_db
def test_duplicates_of_another_county_are_404(wuchang: Any, pair: DuplicateCandidate) -> None:
    other = client_for(officer("420111"))
    assert 'data-testid="duplicate-pair"' not in other.get(
        "/surveillance/cases/duplicates/").content.decode()
    assert other.post(f"/surveillance/cases/duplicates/{pair.pk}/merge/").status_code == 404


# --- English --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_have_no_untranslated_chinese_in_english(wuchang: Any) -> None:
    from tests.dashboard.test_views import untranslated
    from tests.surveillance.routes import _lab_result

    _lab_result("420106")
    diagnosed = timezone.now() - timedelta(days=3)
    case = submit(wuchang, onset_date=None, diagnosed_at=diagnosed,
                  reported_at=diagnosed + timedelta(hours=30))
    svc.case_report_reclassify(actor=wuchang, case=case, version=1, classification="suspected",
                               reason="recheck")
    for hours in (30, 20):
        submit(wuchang, id_type="none", id_number="", birth_date="1985-03-12",
               diagnosed_at=timezone.now() - timedelta(hours=hours),
               reported_at=timezone.now() - timedelta(hours=hours - 1))
    client = client_for(wuchang)
    # The person's data and the facility are what was reported, in whatever script it was.
    data = {"张伟", "张", "武汉市第一医院", "武昌区中南路", "号", "栋", "室"}
    for url in (NEW, LIST, LIST + "?late=1&total=1", detail(case), detail(case) + "correct/",
                "/surveillance/cases/duplicates/", "/surveillance/tasks/",
                "/surveillance/timeliness/"):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'lang="en"' in html, url
        assert untranslated(html) - data == set(), url
    r = client.post(detail(case) + "reclassify/", {"version": "1", "classification": "confirmed",
                                                   "reason": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409 and "changed by someone else" in r.content.decode()
