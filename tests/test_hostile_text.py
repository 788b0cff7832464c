"""Markup and SQL-looking text in every free-text field: stored verbatim, rendered escaped."""

import pytest
from django.test import Client

from shouwang.accounts.models import ApiToken, User
from shouwang.accounts.roles import Role
from shouwang.accounts.tokens import api_token_create
from shouwang.core.models import AuditEvent

HOSTILE = "<script>alert(1)</script>'; DROP TABLE accounts_user;--"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#x27;; DROP TABLE accounts_user;--"


def _bearer(user):
    _, raw = api_token_create(actor=user, user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
def test_display_name_and_token_name_are_stored_verbatim_and_rendered_escaped(make_user):
    admin = make_user(Role.SYSADMIN, "000000")
    response = Client().post(
        "/api/v1/accounts/users",
        {"username": "hostile.user", "password": "Correct-horse-42!", "role": Role.COUNTY_OFFICER,
         "division_code": "420111", "display_name": HOSTILE[:64]},
        content_type="application/json", **_bearer(admin),
    )
    assert response.status_code == 201, response.content
    user = User.objects.get(username="hostile.user")
    assert user.display_name == HOSTILE[:64]
    api_token_create(actor=user, user=user, name=HOSTILE[:64])
    assert ApiToken.objects.get(user=user).name == HOSTILE[:64]

    client = Client()
    client.force_login(user)
    for page in ("/", "/accounts/me/"):
        html = client.get(page).content.decode()
        assert "<script>alert(1)" not in html, page
        assert ESCAPED[:40] in html, page
    admin_client = Client()
    admin_client.force_login(admin)
    html = admin_client.get(f"/accounts/users/{user.pk}/").content.decode()
    assert "<script>alert(1)" not in html and ESCAPED[:40] in html
    assert User.objects.count() == 2  # the SQL-looking text dropped nothing


@pytest.mark.django_db
def test_markup_in_a_username_is_a_field_error(make_user):
    admin = make_user(Role.SYSADMIN, "000000")
    response = Client().post(
        "/api/v1/accounts/users",
        {"username": "<b>x</b>", "password": "Correct-horse-42!", "role": Role.COUNTY_OFFICER,
         "division_code": "420111", "email": "not-an-email"},
        content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **_bearer(admin),
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert set(fields) == {"username", "email"}
    assert not User.objects.filter(username="<b>x</b>").exists()


@pytest.mark.django_db
def test_hostile_text_in_filters_and_addresses_is_harmless(make_user):
    auditor = make_user(Role.AUDITOR, "420100")
    response = Client().get("/api/v1/audit/events", {"actor": HOSTILE, "object_type": HOSTILE},
                            **_bearer(auditor))
    assert response.status_code == 200
    assert response.json()["items"] == []
    response = Client().post("/api/v1/geo/normalize-address", {"address": HOSTILE},
                             content_type="application/json", **_bearer(auditor))
    assert response.status_code == 200
    assert response.json()["status"] == "unplaced"
    client = Client()
    client.force_login(auditor)
    html = client.get("/audit/", {"actor": HOSTILE}).content.decode()
    assert "<script>alert(1)" not in html
    assert AuditEvent.objects.exists()
