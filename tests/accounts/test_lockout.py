"""Login brute force: django-axes locks the account after AXES_FAILURE_LIMIT failures."""

import base64

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent
from tests.accounts.helpers import password_login
from tests.factories import PASSWORD


def _fail(client, username, times):
    for _ in range(times):
        response = password_login(client, username, "wrong-password")
    return response


@pytest.mark.django_db
def test_five_wrong_passwords_lock_out_even_the_right_one(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = password_login(client, user.username, "wrong-password")
        assert response.status_code == 200
        assert "账号或密码不正确" in response.content.decode()
    response = password_login(client, user.username, "wrong-password")
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()

    response = password_login(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still not logged in

    # From another address too: the username alone is a lockout parameter.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert password_login(other, user.username, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_lockout_page_is_translated(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _fail(client, user.username, 5)
    assert response.status_code == 429
    assert "temporarily locked" in response.content.decode()


@pytest.mark.django_db
def test_fewer_failures_then_success_resets_the_count(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    _fail(client, user.username, 4)
    response = password_login(client, user.username, PASSWORD)
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=user.username).exists()


@pytest.mark.django_db
def test_lockout_of_one_account_leaves_others_alone(make_user):
    victim = make_user(Role.COUNTY_OFFICER, "420111")
    bystander = make_user(Role.COUNTY_OFFICER, "420106")
    _fail(Client(), victim.username, 5)
    assert password_login(Client(), bystander.username, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failed_attempts_are_audited_without_the_password(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    _fail(Client(), user.username, 6)
    events = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert events.count() == 6
    for event in events:
        assert event.actor is None
        assert user.username in event.summary
        assert event.division_code == "420111"
        assert "wrong-password" not in event.summary + str(event.changes)


@pytest.mark.django_db
def test_the_api_is_no_way_around_the_lockout(make_user):
    """The API takes no passwords: neither Basic auth nor a password in a body logs anyone in,
    so a locked-out password cannot be tried there, and tokens are only made once logged in."""
    user = make_user(Role.COUNTY_OFFICER, "420111")
    _fail(Client(), user.username, 5)
    client = Client()
    basic = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    response = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    response = client.post("/api/v1/accounts/tokens",
                           {"name": "x", "username": user.username, "password": PASSWORD},
                           content_type="application/json")
    assert response.status_code == 401
    response = client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {PASSWORD}")
    assert response.status_code == 401
    # Nor is the Django admin's own login form: it authenticates through the same backends.
    response = client.post("/admin/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
