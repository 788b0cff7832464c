from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from shouwang.accounts.models import ApiToken, User
from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent
from tests.accounts.helpers import password_login
from tests.factories import PASSWORD

STRONG = "Correct-Horse-Battery-42"


@pytest.mark.django_db
def test_login_page_has_the_fields_the_browser_test_relies_on():
    html = Client().get("/accounts/login/").content.decode()
    for needle in ('name="username"', 'name="password"', 'data-testid="login-submit"'):
        assert needle in html


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("zh-hans", "账号或密码不正确"), ("en", "Incorrect username or password"),
])
def test_wrong_password_gives_a_clear_error_in_the_users_language(make_user, language, expected):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    response = password_login(Client(HTTP_ACCEPT_LANGUAGE=language), user.username, "nope")
    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.django_db
def test_login_and_logout_are_audited_and_the_shell_shows_logout(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    response = password_login(client, user.username)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert 'data-testid="logout"' in home.content.decode()
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert login.actor_id == user.pk and login.division_code == "420111"
    assert login.ip_address == "127.0.0.1"
    assert client.post("/accounts/logout/").status_code == 302
    logout = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert logout.actor_id == user.pk
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_failed_login_of_an_unknown_name_is_audited_truncated():
    long_name = "<b>" + "x" * 140
    password_login(Client(), long_name, "secret-guess-1")
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.actor is None and event.division_code == ""
    assert "x" * 64 not in event.summary and "x" * 60 in event.summary
    assert "secret-guess-1" not in event.summary


@pytest.mark.django_db
def test_over_long_username_is_a_field_error_not_a_crash():
    response = password_login(Client(), "x" * 300, "secret-guess-1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "has at most 150 characters" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).exists()


@pytest.mark.django_db
def test_inactive_user_cannot_log_in(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = password_login(Client(), user.username)
    assert response.status_code == 200
    assert "_auth_user_id" not in Client().session


@pytest.mark.django_db
def test_expired_session_sends_the_user_back_to_login(make_user, settings):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    password_login(client, user.username)
    assert client.get("/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Age the session past SESSION_COOKIE_AGE: the server refuses it even if the cookie stays.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/me/"
    assert SessionStore(session_key=key).load() == {}


@pytest.mark.django_db
def test_session_lifetime_is_the_configured_age(make_user, settings):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    password_login(client, user.username)
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 60 < remaining <= settings.SESSION_COOKIE_AGE


@pytest.mark.django_db
def test_my_account_creates_a_token_shown_exactly_once(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    client.force_login(user)
    page = client.get("/accounts/me/").content.decode()
    assert "还没有 API 令牌" in page
    response = client.post("/accounts/me/tokens/", {"name": "R 脚本", "days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    secret = html.split('data-testid="new-token-secret">')[1].split("<")[0]
    assert secret.startswith("sw_")
    assert Client().get("/api/v1/accounts/me",
                        HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    again = client.get("/accounts/me/").content.decode()
    assert secret not in again
    assert "R 脚本" in again and 'data-testid="token-row"' in again


@pytest.mark.django_db
def test_token_form_errors_are_field_level(make_user):
    client = Client()
    client.force_login(make_user(Role.COUNTY_OFFICER, "420111"))
    response = client.post("/accounts/me/tokens/", {"name": "", "days": "999"})
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_revoke_own_token_and_not_someone_elses(make_user):
    from shouwang.accounts.tokens import api_token_create

    user = make_user(Role.COUNTY_OFFICER, "420111")
    other = make_user(Role.COUNTY_OFFICER, "420106")
    mine, _ = api_token_create(actor=user, user=user, name="mine")
    theirs, _ = api_token_create(actor=other, user=other, name="theirs")
    client = Client()
    client.force_login(user)
    assert client.post(f"/accounts/me/tokens/{theirs.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    assert client.post(f"/accounts/me/tokens/{mine.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
    assert client.get(f"/accounts/me/tokens/{mine.pk}/revoke/").status_code == 405


@pytest.mark.django_db
def test_change_own_password_keeps_this_session(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    password_login(client, user.username)
    response = client.post("/accounts/me/password/", {
        "old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG,
    })
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert User.objects.get(pk=user.pk).check_password(STRONG)
    bad = client.post("/accounts/me/password/", {
        "old_password": "wrong", "new_password1": STRONG, "new_password2": STRONG,
    })
    assert bad.status_code == 422


@pytest.mark.django_db
def test_user_list_is_scoped_to_the_administrators_jurisdiction(make_user):
    make_user(Role.COUNTY_OFFICER, "420111", username="hubei-officer")
    make_user(Role.COUNTY_OFFICER, "430102", username="hunan-officer")
    client = Client()
    client.force_login(make_user(Role.SYSADMIN, "420000"))
    html = client.get("/accounts/users/").content.decode()
    assert "hubei-officer" in html and "hunan-officer" not in html
    html = client.get("/accounts/users/", {"q": "nobody"}).content.decode()
    assert "辖区内没有符合条件的用户" in html
    national = Client()
    national.force_login(make_user(Role.SYSADMIN, "000000"))
    html = national.get("/accounts/users/").content.decode()
    assert "hubei-officer" in html and "hunan-officer" in html


@pytest.mark.django_db
def test_user_of_another_province_is_404_for_a_sibling_and_200_for_the_nation(make_user):
    target = make_user(Role.COUNTY_OFFICER, "420111")
    hunan = Client()
    hunan.force_login(make_user(Role.SYSADMIN, "430000"))
    assert hunan.get(f"/accounts/users/{target.pk}/").status_code == 404
    assert hunan.post(f"/accounts/users/{target.pk}/active/", {"active": "0"}).status_code == 404
    assert User.objects.get(pk=target.pk).is_active
    nation = Client()
    nation.force_login(make_user(Role.SYSADMIN, "000000"))
    assert nation.get(f"/accounts/users/{target.pk}/").status_code == 200


@pytest.mark.django_db
def test_create_deactivate_reactivate_and_reset_through_the_pages(make_user):
    admin = make_user(Role.SYSADMIN, "420000")
    client = Client()
    client.force_login(admin)
    response = client.post("/accounts/users/new/", {
        "username": "new-grid", "display_name": "<i>网格员</i>", "role": Role.GRID_WORKER,
        "division_code": "420111001", "password": STRONG,
    })
    assert response.status_code == 302
    user = User.objects.get(username="new-grid")
    detail = client.get(response["Location"]).content.decode()
    assert "&lt;i&gt;网格员&lt;/i&gt;" in detail and "<i>网格员</i>" not in detail

    response = client.post(f"/accounts/users/{user.pk}/active/", {"active": "0"})
    assert response.status_code == 200
    assert not User.objects.get(pk=user.pk).is_active
    assert password_login(Client(), "new-grid", STRONG).status_code == 200  # refused
    client.post(f"/accounts/users/{user.pk}/active/", {"active": "1"})
    assert User.objects.get(pk=user.pk).is_active

    response = client.post(f"/accounts/users/{user.pk}/password/",
                           {"password": "short", "password_again": "short"})
    assert response.status_code == 422
    new = "Another-Strong-Pass-77"
    response = client.post(f"/accounts/users/{user.pk}/password/",
                           {"password": new, "password_again": new})
    assert response.status_code == 200
    assert password_login(Client(), "new-grid", new).status_code == 302


@pytest.mark.django_db
def test_create_user_page_shows_service_errors_on_the_fields(make_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user(Role.SYSADMIN, "420000"))
    response = client.post("/accounts/users/new/", {
        "username": "x", "role": Role.COUNTY_OFFICER, "division_code": "430102",
        "password": STRONG,
    })
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-testid="error-division_code"' in html
    assert "not within your jurisdiction" in html
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_deactivated_users_session_ends(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    password_login(client, user.username)
    assert client.get("/").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/").status_code == 302
