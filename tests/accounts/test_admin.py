import pytest
from django.test import Client

from shouwang.accounts.models import ApiToken, User
from shouwang.accounts.roles import Role
from shouwang.accounts.services import user_grant_admin_site
from shouwang.accounts.tokens import api_token_create
from shouwang.core.models import AuditAction, AuditEvent


@pytest.fixture
def superuser(make_user):
    return user_grant_admin_site(actor=None, user=make_user(Role.SYSADMIN, "000000"))


@pytest.mark.django_db
def test_admin_is_read_only_and_shows_no_secret(superuser, make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    token, raw = api_token_create(actor=officer, user=officer, name="t")
    client = Client()
    client.force_login(superuser)
    assert client.get("/admin/accounts/user/").status_code == 200
    page = client.get(f"/admin/accounts/user/{officer.pk}/change/")
    assert page.status_code == 200
    assert officer.password not in page.content.decode()
    assert client.get("/admin/accounts/user/add/").status_code == 403
    assert client.get(f"/admin/accounts/user/{officer.pk}/delete/").status_code == 403
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    page = client.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.digest in page and raw not in page
    # A change posted anyway is refused.
    client.post(f"/admin/accounts/user/{officer.pk}/change/", {"role": Role.SYSADMIN})
    assert User.objects.get(pk=officer.pk).role == Role.COUNTY_OFFICER


@pytest.mark.django_db
def test_admin_actions_go_through_the_audited_services(superuser, make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    token, _ = api_token_create(actor=officer, user=officer, name="t")
    client = Client()
    client.force_login(superuser)
    client.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [officer.pk]})
    assert not User.objects.get(pk=officer.pk).is_active
    assert AuditEvent.objects.filter(action=AuditAction.UPDATE, actor=superuser).exists()
    client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


@pytest.mark.django_db
def test_staff_who_are_not_superusers_see_nothing(make_user):
    admin = make_user(Role.SYSADMIN, "420000")
    User.objects.filter(pk=admin.pk).update(is_staff=True)
    client = Client()
    client.force_login(User.objects.get(pk=admin.pk))
    assert client.get("/admin/accounts/user/").status_code == 403
