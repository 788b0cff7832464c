"""The TOTP second factor, with real codes computed from the device key."""

import base64

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from shouwang.accounts.roles import Role
from shouwang.core.models import AuditAction, AuditEvent
from tests.accounts.helpers import bearer, otp_code, password_login


def _enrol(client, user):
    """Log in with the password and finish the enrolment page; returns the device."""
    response = password_login(client, user.username)
    assert response.status_code == 302
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/enrol/")
    response = client.get(response["Location"])
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/otp/enrol/", {"otp_token": otp_code(device), "next": "/"})
    assert response.status_code == 302, response.content.decode()[:500]
    return TOTPDevice.objects.get(pk=device.pk)


@pytest.mark.django_db
@pytest.mark.parametrize("role_division", [(Role.NATIONAL_OFFICER, "000000"),
                                           (Role.PROVINCIAL_OFFICER, "420000")])
def test_required_roles_are_sent_to_enrolment_after_the_password(make_user, role_division):
    user = make_user(*role_division)
    client = Client()
    password_login(client, user.username)
    for path in ("/", "/accounts/me/", "/audit/", "/accounts/users/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/otp/enrol/?next="), path
    # The API session does not count either until the second factor is passed.
    assert client.get("/api/v1/accounts/me").status_code == 401


@pytest.mark.django_db
def test_enrolment_page_shows_the_qr_code_and_the_secret_without_scripts(make_user):
    user = make_user(Role.NATIONAL_OFFICER, "000000")
    client = Client()
    password_login(client, user.username)
    response = client.get("/accounts/otp/enrol/")
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in html
    uri = html.split('src="data:image/svg+xml;base64,')[1].split('"')[0]
    assert base64.b64decode(uri).startswith(b"<svg")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = html.split('data-testid="otp-secret">')[1].split("<")[0].replace(" ", "")
    assert shown == secret
    assert "<script>" not in html  # the CSP forbids inline scripts
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
    # Reloading shows the same secret (a phone that scanned it keeps working).
    again = client.get("/accounts/otp/enrol/").content.decode()
    assert again.split('data-testid="otp-secret">')[1].split("<")[0].replace(" ", "") == secret


@pytest.mark.django_db
def test_wrong_code_keeps_the_device_pending(make_user):
    user = make_user(Role.NATIONAL_OFFICER, "000000")
    client = Client()
    password_login(client, user.username)
    client.get("/accounts/otp/enrol/")
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(otp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/otp/enrol/", {"otp_token": wrong})
    assert response.status_code == 200
    assert "动态码不正确" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_enrolment_confirms_audits_and_lets_the_user_in(make_user):
    user = make_user(Role.NATIONAL_OFFICER, "000000")
    client = Client()
    device = _enrol(client, user)
    assert device.confirmed
    assert AuditEvent.objects.filter(action=AuditAction.OTP_ENROL, actor=user).count() == 1
    assert client.get("/").status_code == 200
    assert client.get("/accounts/me/").status_code == 200
    assert client.get("/api/v1/accounts/me").status_code == 200


@pytest.mark.django_db
def test_next_login_asks_for_the_code_and_accepts_a_real_one(make_user):
    user = make_user(Role.PROVINCIAL_OFFICER, "420000")
    device = _enrol(Client(), user)
    client = Client()
    password_login(client, user.username)
    response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/otp/?next=%2Faccounts%2Fme%2F"
    # The enrolment page cannot be used to replace the device on a password alone.
    response = client.get("/accounts/otp/enrol/")
    assert response["Location"].startswith("/accounts/otp/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post("/accounts/otp/", {"otp_token": "000000x", "next": "/accounts/me/"})
    assert response.status_code == 200
    assert "动态码不正确" in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED,
                                     object_id=str(user.pk)).exists()
    device.refresh_from_db()
    device.throttling_failure_timestamp = None  # skip the back-off wait
    device.save()
    # The enrolment used this 30-second step; the next step is within the allowed drift.
    response = client.post("/accounts/otp/", {"otp_token": otp_code(device, steps_ahead=1),
                                              "next": "/accounts/me/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200


@pytest.mark.django_db
def test_a_used_code_cannot_be_replayed(make_user):
    user = make_user(Role.PROVINCIAL_OFFICER, "420000")
    device = _enrol(Client(), user)
    client = Client()
    password_login(client, user.username)
    response = client.post("/accounts/otp/", {"otp_token": otp_code(device, steps_ahead=0)})
    assert response.status_code == 200  # the enrolment already spent this step's code


@pytest.mark.django_db
def test_otp_verify_rejects_an_offsite_next(make_user):
    user = make_user(Role.PROVINCIAL_OFFICER, "420000")
    device = _enrol(Client(), user)
    client = Client()
    password_login(client, user.username)
    response = client.post("/accounts/otp/", {"otp_token": otp_code(device, steps_ahead=1),
                                              "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_a_token_is_not_a_way_around_the_second_factor(make_user):
    user = make_user(Role.NATIONAL_OFFICER, "000000")
    client = Client()
    password_login(client, user.username)
    # Neither the page nor the API creates a token before the second factor.
    response = client.post("/accounts/me/tokens/", {"name": "sneaky", "days": 30})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/otp/enrol/")
    response = client.post("/api/v1/accounts/tokens", {"name": "sneaky"},
                           content_type="application/json")
    assert response.status_code == 401
    assert not user.api_tokens.exists()


@pytest.mark.django_db
def test_other_roles_may_enrol_from_my_account_and_are_then_held_to_it(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    password_login(client, user.username)
    page = client.get("/accounts/me/").content.decode()
    assert 'data-testid="otp-enrol-link"' in page
    client.get("/accounts/otp/enrol/")
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/accounts/otp/enrol/", {"otp_token": otp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/me/"

    fresh = Client()
    password_login(fresh, user.username)
    assert fresh.get("/")["Location"].startswith("/accounts/otp/?next=")
    assert fresh.get("/api/v1/accounts/me").status_code == 401

    # The owner, once verified, may switch it off again (the role does not demand it).
    assert client.post("/accounts/me/otp/remove/").status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_token_users_need_no_session_second_factor(make_user):
    """A token can only be made after the second factor, so the API accepts it alone."""
    user = make_user(Role.NATIONAL_OFFICER, "000000")
    response = Client().get("/api/v1/accounts/me", **bearer(user))
    assert response.status_code == 200


@pytest.mark.django_db
def test_administrator_resets_a_lost_device(make_user):
    user = make_user(Role.PROVINCIAL_OFFICER, "420000")
    _enrol(Client(), user)
    admin = Client()
    admin.force_login(make_user(Role.SYSADMIN, "420000"))
    response = admin.post(f"/accounts/users/{user.pk}/otp-reset/")
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()
    client = Client()
    password_login(client, user.username)
    assert client.get("/")["Location"].startswith("/accounts/otp/enrol/")
