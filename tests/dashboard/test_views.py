"""The web shell: navigation by capability, the home page for every role, languages, errors."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.utils import translation
from django.views.defaults import server_error
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.roles import ALL_CAPABILITIES, SECOND_FACTOR_REQUIRED, Role, capabilities_of
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditEvent
from shouwang.dashboard.areas import AREAS
from shouwang.dashboard.capabilities import CAPABILITY_TEXT
from shouwang.dashboard.navigation import NAVIGATION
from shouwang.geo.models import NATION_CODE
from tests.factories import SAMPLE_DIVISIONS

# A division of a level each role may be bound to.
ROLE_DIVISION = {
    Role.NATIONAL_OFFICER: NATION_CODE,
    Role.PROVINCIAL_OFFICER: "420000",
    Role.CITY_OFFICER: "420100",
    Role.COUNTY_OFFICER: "420111",
    Role.GRID_WORKER: "420111001",
    Role.PORT_OFFICER: "420100",
    Role.LABORATORY: "420100",
    Role.LIVELIHOOD_CADRE: "420111",
    Role.AUDITOR: "420111",
    Role.SYSADMIN: "420000",
}


def logged_in(user) -> Client:
    """A client past login and, for roles that demand it, past the TOTP second factor."""
    client = Client()
    client.force_login(user)
    if user.role in SECOND_FACTOR_REQUIRED:
        device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def nav_keys(html: str) -> set[str]:
    return set(re.findall(r'data-testid="nav-([\w-]+)"', html))


def test_every_role_is_covered():
    assert set(ROLE_DIVISION) == set(Role.values)


def test_every_capability_has_plain_words():
    assert ALL_CAPABILITIES - set(CAPABILITY_TEXT) == set()


def test_navigation_and_areas_name_real_capabilities():
    for capability in [e.capability for e in NAVIGATION] + [a.capability for a in AREAS]:
        assert capability in ALL_CAPABILITIES, capability


@pytest.mark.django_db
def test_auditor_sees_audit_log_in_navigation_county_officer_does_not(make_user):
    auditor = make_user(Role.AUDITOR, "420111")
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    auditor_html = logged_in(auditor).get("/").content.decode()
    officer_html = logged_in(officer).get("/").content.decode()
    assert "nav-audit" in auditor_html and "审计日志" in auditor_html
    assert "nav-audit" not in officer_html and "审计日志" not in officer_html
    assert "nav-users" not in officer_html


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_navigation_shows_exactly_the_entries_the_role_may_use(make_user, role):
    user = make_user(role, ROLE_DIVISION[role])
    html = logged_in(user).get("/").content.decode()
    held = capabilities_of(role)
    assert nav_keys(html) == {e.key for e in NAVIGATION if e.capability in held}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_home_renders_for_every_role(make_user, role):
    user = make_user(role, ROLE_DIVISION[role])
    response = logged_in(user).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="jurisdiction"' in html
    assert user.division.name in html and user.division.code in html
    assert f'data-testid="home-role">{user.get_role_display()}<' in html
    for capability in capabilities_of(role):
        assert str(CAPABILITY_TEXT[capability]) in html
    held = capabilities_of(role)
    shown = set(re.findall(r'data-testid="area-([\w-]+)"', html))
    assert shown == {a.key for a in AREAS if a.capability in held}


@pytest.mark.django_db
def test_home_states_honestly_that_areas_are_empty(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    html = logged_in(officer).get("/").content.decode()
    assert "洪山区近 30 天没有病例报告" in html
    assert "洪山区还没有监测户记录" in html
    # No area the officer does not hold, and no made-up figure.
    assert 'data-testid="area-audit"' not in html
    assert 'class="figure"' not in html


@pytest.mark.django_db
def test_home_counts_only_audit_records_inside_the_jurisdiction(make_user):
    auditor = make_user(Role.AUDITOR, "420111")
    for code in ("420111", "420111001", "420106", "430102"):
        audit_log(actor=None, action="update", object_type="shell.test", object_id=code,
                  division_code=code, summary="x")
    html = logged_in(auditor).get("/").content.decode()
    section = html[html.index('data-testid="area-audit"'):]
    section = section[: section.index("</section>")]
    expected = AuditEvent.objects.filter(division_code__startswith="420111").count()
    assert AuditEvent.objects.count() - expected >= 2  # 武昌区's and 芙蓉区's are left out
    assert f"<strong>{expected}</strong>" in section
    assert f"洪山区共有 {expected} 条审计记录" in section


@pytest.mark.django_db
def test_active_navigation_entry_is_marked(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    html = logged_in(officer).get("/geo/").content.decode()
    geo = re.search(r'data-testid="nav-geo"[^>]*>', html)
    home = re.search(r'data-testid="nav-home"[^>]*>', html)
    assert geo and 'aria-current="page"' in geo.group(0)
    assert home and 'aria-current' not in home.group(0)


@pytest.mark.django_db
def test_only_the_most_specific_navigation_entry_is_marked(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    html = logged_in(officer).get("/surveillance/cases/new/").content.decode()
    current = re.findall(r'data-testid="nav-([\w-]+)"[^>]*aria-current="page"', html)
    assert current == ["case-new"]


@pytest.mark.django_db
def test_home_counts_the_case_reports_of_the_jurisdiction(make_user):
    from shouwang.surveillance.services.cases import case_report_submit
    from tests.surveillance.cases_data import case_data, resident_id
    from tests.surveillance.cases_data import officer as case_officer

    reporter = case_officer("420111")
    for seq in range(3):
        case_report_submit(actor=reporter, data=case_data(
            division_code="420111", reporting_division_code="420111", name=f"病例{seq}",
            id_number=resident_id("420111", "19800101", f"{seq + 1:03d}")))
    case_report_submit(actor=case_officer("420106"), data=case_data())
    html = logged_in(make_user(Role.COUNTY_OFFICER, "420111")).get("/").content.decode()
    section = html[html.index('data-testid="area-surveillance"'):]
    section = section[: section.index("</section>")]
    assert "<strong>3</strong>" in section and "洪山区近 30 天报告病例 3 例" in section
    assert 'href="/surveillance/cases/"' in section


@pytest.mark.django_db
def test_home_says_when_the_latest_case_was_reported_when_the_last_30_days_are_quiet(make_user):
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from shouwang.surveillance.services.cases import case_report_submit
    from tests.surveillance.cases_data import case_data
    from tests.surveillance.cases_data import officer as case_officer

    day = timezone.localdate() - timedelta(days=60)
    reported = datetime.combine(day, time(10), tzinfo=timezone.get_current_timezone())
    case_report_submit(actor=case_officer("420106"), data=case_data(
        onset_date=day - timedelta(days=2), diagnosed_at=reported - timedelta(hours=2),
        reported_at=reported))
    html = logged_in(make_user(Role.COUNTY_OFFICER, "420106")).get("/").content.decode()
    section = html[html.index('data-testid="area-surveillance"'):]
    section = section[: section.index("</section>")]
    assert "武昌区近 30 天没有病例报告。" in section
    assert f"最近一例报告于 {day.isoformat()}。" in section
    # Outside the jurisdiction the older report is not even hinted at.
    html = logged_in(make_user(Role.COUNTY_OFFICER, "420111")).get("/").content.decode()
    section = html[html.index('data-testid="area-surveillance"'):]
    section = section[: section.index("</section>")]
    assert "洪山区近 30 天没有病例报告。" in section and "最近一例" not in section


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_markup_in_display_name_is_escaped(make_user):
    hostile = "<script>alert(1)</script>"
    officer = make_user(Role.COUNTY_OFFICER, "420111", display_name=hostile)
    html = logged_in(officer).get("/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert hostile not in html


@pytest.mark.django_db
def test_csp_forbids_inline_code_and_pages_use_none(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    response = logged_in(officer).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    html = response.content.decode()
    # Every script is a file, and no element carries a style attribute or event handler.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.search(r"\sstyle=", html) is None
    assert re.search(r"\son[a-z]+=", html) is None
    assert "<style" not in html


@pytest.mark.django_db
def test_english_shell_and_empty_states(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    html = logged_in(officer).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html and "Jurisdiction" in html and "Log out" in html
    assert "Hongshan Qu" in html
    assert "No case reports in Hongshan Qu (洪山区) in the last 30 days." in html
    assert "See case reports and surveillance data in your jurisdiction" in html
    assert "工作台" not in html


@pytest.mark.django_db
def test_chinese_is_the_default_and_language_choice_persists(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    client = logged_in(officer)
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html and "工作台" in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies["django_language"].value == "en"
    assert "Dashboard" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "工作台" in client.get("/").content.decode()


@pytest.mark.django_db
def test_language_buttons_name_each_language_in_itself(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    for accept in ("zh-hans", "en"):
        html = logged_in(officer).get("/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
        assert re.search(r'data-testid="lang-en"[^>]*>English<', html)
        assert re.search(r'data-testid="lang-zh-hans"[^>]*>简体中文<', html)


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "text"), [("zh-hans", "页面不存在"), ("en", "Page not found")])
def test_404_page_in_both_languages(make_user, accept, text):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    response = logged_in(officer).get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="error-404"' in html and text in html
    assert 'data-testid="nav-home"' in html  # the shell stays around the error


@pytest.mark.django_db
@pytest.mark.parametrize(("accept", "text"), [("zh-hans", "无权访问"), ("en", "Access denied")])
def test_403_page_in_both_languages(make_user, accept, text):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    response = logged_in(officer).get("/audit/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="error-403"' in html and text in html


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "服务器出错"), ("en", "Server error")])
def test_500_page_in_both_languages_without_a_request_context(language, text):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="error-500"' in html and text in html
    assert f'<html lang="{language}">' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "text"), [("zh-hans", "页面已过期"), ("en", "This page has expired")]
)
def test_csrf_failure_page_in_both_languages(make_user, accept, text):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    response = client.post("/accounts/logout/", HTTP_ACCEPT_LANGUAGE=accept)
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="error-csrf"' in html and text in html


@pytest.mark.django_db
def test_login_page_uses_the_shell_styles(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<body class="login">' in html
    assert "/static/shouwang/shell.css" in html
    assert 'data-testid="jurisdiction"' not in html
    assert 'data-testid="sidenav"' not in html


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
# Chinese that belongs on an English page: the brand, the Chinese language's own name and the
# official division names.
ALLOWED_CHINESE = {"守望", "简体中文"} | {name for _, name, *_ in SAMPLE_DIVISIONS}


def untranslated(html: str) -> set[str]:
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S)
    return set(CJK.findall(text)) - ALLOWED_CHINESE


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_english_home_has_no_untranslated_chinese(make_user, role):
    user = make_user(role, ROLE_DIVISION[role])
    html = logged_in(user).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert untranslated(html) == set()


@pytest.mark.django_db
def test_english_error_pages_have_no_untranslated_chinese(make_user):
    client = logged_in(make_user(Role.COUNTY_OFFICER, "420111"))
    for path in ("/no-such-page/", "/audit/"):
        assert untranslated(client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()) == set()
    with translation.override("en"):
        assert untranslated(server_error(RequestFactory().get("/")).content.decode()) == set()


@pytest.mark.django_db
def test_english_audit_count_is_pluralised(make_user):
    auditor = make_user(Role.AUDITOR, "420111")
    audit_log(actor=None, action="update", object_type="shell.test", object_id="1",
              division_code="420111", summary="x")
    html = logged_in(auditor).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    n = AuditEvent.objects.filter(division_code__startswith="420111").count()
    assert n > 1
    assert f"Hongshan Qu (洪山区) has {n} audit records." in html


@pytest.mark.django_db
def test_open_alerts_and_unread_notifications_show_on_home_and_in_navigation(make_user):
    from shouwang.warning.models import AlertStatus, Notification
    from tests.warning.factories import make_alert

    officer = make_user(Role.COUNTY_OFFICER, "420111")
    html = logged_in(officer).get("/").content.decode()
    assert "洪山区没有待核实的预警信号" in html
    assert "nav-badge" not in html

    make_alert("420111")
    make_alert("420111", method="cusum", status=AlertStatus.VERIFYING)
    make_alert("420111", method="farrington", status=AlertStatus.DISMISSED)
    make_alert("420106")  # 武昌区's: not the officer's
    alert = make_alert("420111", method="scan")
    Notification.objects.create(user=officer, alert=alert, kind="new_alert", subject="x")
    html = logged_in(officer).get("/").content.decode()
    assert "洪山区有 3 条预警待核实" in html
    assert re.search(r'data-testid="nav-badge-warning-alerts">3<', html)
    assert re.search(r'data-testid="nav-badge-notifications">1<', html)
