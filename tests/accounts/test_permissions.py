import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from ninja.errors import HttpError

from shouwang.accounts.permissions import check_capability, require_capability
from shouwang.accounts.roles import (
    ALL_CAPABILITIES,
    ALLOWED_LEVELS,
    CAPABILITIES,
    SECOND_FACTOR_REQUIRED,
    Role,
    capabilities_of,
    has_capability,
)
from shouwang.geo.models import Level


def test_every_role_has_levels_and_capabilities():
    assert set(ALLOWED_LEVELS) == set(Role.values)
    assert set(CAPABILITIES) == set(Role.values)
    for role in Role.values:
        assert capabilities_of(role), role
        assert "geo.read" in capabilities_of(role), role
        assert ALLOWED_LEVELS[role] <= set(Level.values), role


def test_only_system_administrators_manage_accounts_and_only_auditors_read_the_log():
    assert [r for r in Role.values if has_capability(r, "accounts.manage")] == [Role.SYSADMIN]
    assert [r for r in Role.values if has_capability(r, "audit.read")] == [Role.AUDITOR]
    # Separation of duties: the administrator neither reads cases nor the log.
    assert not has_capability(Role.SYSADMIN, "surveillance.read")
    assert capabilities_of(Role.AUDITOR) == {"geo.read", "audit.read", "dashboard.read"}


def test_second_factor_is_required_for_national_and_provincial_officers():
    assert {Role.NATIONAL_OFFICER, Role.PROVINCIAL_OFFICER} == SECOND_FACTOR_REQUIRED


def test_unknown_role_has_nothing():
    assert capabilities_of("emperor") == frozenset()
    assert not has_capability("emperor", "geo.read")


def test_the_level_a_role_may_be_bound_to():
    assert ALLOWED_LEVELS[Role.COUNTY_OFFICER] == {Level.COUNTY}
    assert Level.NATION in ALLOWED_LEVELS[Role.SYSADMIN]
    assert Level.COUNTY not in ALLOWED_LEVELS[Role.SYSADMIN]


@require_capability("accounts.manage")
def _managed_view(request):
    return HttpResponse("ok")


@pytest.mark.django_db
def test_view_decorator_lets_holders_in_and_refuses_others_with_403(make_user):
    rf = RequestFactory()
    request = rf.get("/x")
    request.user = make_user(Role.SYSADMIN, "420000")
    assert _managed_view(request).status_code == 200
    request.user = make_user(Role.COUNTY_OFFICER, "420111")
    with pytest.raises(PermissionDenied):
        _managed_view(request)


@pytest.mark.django_db
def test_view_decorator_sends_anonymous_users_to_login():
    request = RequestFactory().get("/accounts/users/?q=1")
    request.user = AnonymousUser()
    response = _managed_view(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.django_db
def test_view_decorator_refuses_an_inactive_holder(make_user):
    request = RequestFactory().get("/x")
    admin = make_user(Role.SYSADMIN, "420000")
    admin.is_active = False
    request.user = admin
    with pytest.raises(PermissionDenied):
        _managed_view(request)


def test_unknown_capability_fails_at_decoration_time():
    with pytest.raises(ImproperlyConfigured, match=r"acounts\.manage"):
        require_capability("acounts.manage")
    request = RequestFactory().get("/x")
    with pytest.raises(ImproperlyConfigured):
        check_capability(request, "no.such")


def test_all_capabilities_is_the_union_of_the_map():
    assert "accounts.manage" in ALL_CAPABILITIES
    assert "risk.override" in ALL_CAPABILITIES
    assert "no.such" not in ALL_CAPABILITIES


@pytest.mark.django_db
def test_api_helper_raises_403(make_user):
    request = RequestFactory().get("/x")
    request.user = make_user(Role.LABORATORY, "420100")
    with pytest.raises(HttpError) as info:
        check_capability(request, "accounts.manage")
    assert info.value.status_code == 403
    check_capability(request, "surveillance.lab_write")
    request.user = AnonymousUser()
    with pytest.raises(HttpError):
        check_capability(request, "geo.read")


@pytest.mark.django_db
def test_api_missing_capability_is_403_with_the_error_body(make_user):
    from django.test import Client

    from tests.accounts.helpers import bearer

    officer = make_user(Role.COUNTY_OFFICER, "420111")
    response = Client().get("/api/v1/accounts/users", **bearer(officer))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "forbidden"
    assert set(body) == {"code", "message", "fields"}
    assert "accounts.manage" in body["message"]


@pytest.mark.django_db
def test_page_missing_capability_is_403(make_user):
    from django.test import Client

    client = Client()
    client.force_login(make_user(Role.GRID_WORKER, "420111"))
    assert client.get("/accounts/users/").status_code == 403
    assert client.get("/accounts/users/new/").status_code == 403
