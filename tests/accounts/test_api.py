from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.models import ApiToken, User
from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_set_active
from shouwang.accounts.tokens import api_token_create, api_token_revoke
from tests.accounts.helpers import bearer

STRONG = "Correct-Horse-Battery-42"


def _assert_401(response):
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "unauthenticated"
    assert body["fields"] == {}


@pytest.mark.django_db
def test_a_valid_token_reaches_me(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    response = Client().get("/api/v1/accounts/me", **bearer(user))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == user.username and body["division_code"] == "420111"
    assert "surveillance.read" in body["capabilities"]


@pytest.mark.django_db
def test_forged_tokens_get_401(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    token, raw = api_token_create(actor=user, user=user, name="t")
    client = Client()
    forged = [
        "sw_" + "deadbeef_" + "A" * 43,  # random, right shape
        f"sw_{token.prefix}_" + "B" * 43,  # right prefix, wrong secret
        raw[:-2],
        "garbage",
    ]
    for value in forged:
        _assert_401(client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {value}"))


@pytest.mark.django_db
def test_expired_revoked_and_deactivated_tokens_get_401(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    expired, raw = api_token_create(actor=user, user=user, name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    _assert_401(client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    revoked, raw = api_token_create(actor=user, user=user, name="gone")
    api_token_revoke(actor=user, token=revoked)
    _assert_401(client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}"))
    _, raw = api_token_create(actor=user, user=user, name="live")
    user_set_active(actor=None, user=user, active=False)
    _assert_401(client.get("/api/v1/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}"))


@pytest.mark.django_db
def test_token_endpoints_create_list_and_revoke_my_own(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    other = make_user(Role.COUNTY_OFFICER, "420106")
    theirs, _ = api_token_create(actor=other, user=other, name="theirs")
    auth = bearer(user)
    client = Client()
    response = client.post("/api/v1/accounts/tokens", {"name": "ci", "days": 7},
                           content_type="application/json", **auth)
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith(f"sw_{created['prefix']}_")
    assert created["is_usable"] is True
    listed = client.get("/api/v1/accounts/tokens", **auth).json()
    assert {t["name"] for t in listed} == {"test", "ci"}
    assert all("secret" not in t and "digest" not in t for t in listed)

    assert client.post(f"/api/v1/accounts/tokens/{theirs.pk}/revoke", **auth).status_code == 404
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None
    response = client.post(f"/api/v1/accounts/tokens/{created['id']}/revoke", **auth)
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    _assert_401(client.get("/api/v1/accounts/me",
                           HTTP_AUTHORIZATION=f"Bearer {created['secret']}"))


@pytest.mark.django_db
def test_token_create_bad_input_is_422_field_level(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    response = Client().post("/api/v1/accounts/tokens", {"name": "x" * 65, "days": 0},
                             content_type="application/json", **bearer(user))
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"name", "days"}


@pytest.mark.django_db
def test_user_list_api_is_scoped(make_user):
    make_user(Role.COUNTY_OFFICER, "420111", username="hubei-officer")
    make_user(Role.COUNTY_OFFICER, "430102", username="hunan-officer")
    hubei = make_user(Role.SYSADMIN, "420000")
    response = Client().get("/api/v1/accounts/users", **bearer(hubei))
    assert response.status_code == 200
    names = {u["username"] for u in response.json()["items"]}
    assert "hubei-officer" in names and "hunan-officer" not in names
    response = Client().get("/api/v1/accounts/users", {"role": Role.SYSADMIN}, **bearer(hubei))
    assert [u["username"] for u in response.json()["items"]] == [hubei.username]


@pytest.mark.django_db
def test_user_detail_api_sibling_404_national_200(make_user):
    target = make_user(Role.COUNTY_OFFICER, "420111")
    hunan = make_user(Role.SYSADMIN, "430000")
    nation = make_user(Role.SYSADMIN, "000000")
    response = Client().get(f"/api/v1/accounts/users/{target.pk}", **bearer(hunan))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    response = Client().post(f"/api/v1/accounts/users/{target.pk}/deactivate", **bearer(hunan))
    assert response.status_code == 404
    response = Client().get(f"/api/v1/accounts/users/{target.pk}", **bearer(nation))
    assert response.status_code == 200
    assert response.json()["division_code"] == "420111"


@pytest.mark.django_db
def test_user_create_deactivate_reactivate_password_via_api(make_user):
    admin = make_user(Role.SYSADMIN, "420000")
    auth = bearer(admin)
    client = Client()
    response = client.post("/api/v1/accounts/users", {
        "username": "lab-1", "password": STRONG, "role": Role.LABORATORY,
        "division_code": "420100",
    }, content_type="application/json", **auth)
    assert response.status_code == 201
    user_id = response.json()["id"]
    response = client.post(f"/api/v1/accounts/users/{user_id}/deactivate", **auth)
    assert response.json()["is_active"] is False
    response = client.post(f"/api/v1/accounts/users/{user_id}/reactivate", **auth)
    assert response.json()["is_active"] is True
    response = client.post(f"/api/v1/accounts/users/{user_id}/password", {"password": "abc"},
                           content_type="application/json", **auth)
    assert response.status_code == 422
    assert "password" in response.json()["fields"]
    response = client.post(f"/api/v1/accounts/users/{user_id}/password",
                           {"password": "Brand-New-Secret-99"},
                           content_type="application/json", **auth)
    assert response.status_code == 200
    assert User.objects.get(pk=user_id).check_password("Brand-New-Secret-99")


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("zh-hans", "角色“县级疾控人员”不能绑定到地级区划。"),
    ("en", "The role “County CDC officer” cannot be bound to a division of level "),
])
def test_user_create_api_errors_are_field_level_and_localised(make_user, language, expected):
    admin = make_user(Role.SYSADMIN, "420000")
    response = Client().post("/api/v1/accounts/users", {
        "username": "bad", "password": STRONG, "role": Role.COUNTY_OFFICER,
        "division_code": "420100",
    }, content_type="application/json", HTTP_ACCEPT_LANGUAGE=language, **bearer(admin))
    assert response.status_code == 422
    [message] = response.json()["fields"]["division_code"]
    assert message.startswith(expected)


@pytest.mark.django_db
def test_administrator_cannot_deactivate_themselves(make_user):
    admin = make_user(Role.SYSADMIN, "420000")
    response = Client().post(f"/api/v1/accounts/users/{admin.pk}/deactivate", **bearer(admin))
    assert response.status_code == 422
    assert "is_active" in response.json()["fields"]
