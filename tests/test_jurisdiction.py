"""Walk every parameterised route: sibling division → 404, parent division → 200."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shouwang.accounts.tokens import api_token_create
from tests import jurisdiction
from tests.factories import make_user
from tests.jurisdiction import RECORD_DIVISION, SCOPED, UNSCOPED

jurisdiction.discover()


def test_every_parameterised_route_is_registered_with_the_walker():
    missing = sorted(
        f"{name} ({route})"
        for name, route in jurisdiction.parameterised_routes().items()
        if name not in SCOPED and name not in UNSCOPED
    )
    assert not missing, (
        "Routes that take a record id but are not registered in tests/<app>/routes.py "
        "(scoped_route or unscoped_route): " + ", ".join(missing)
    )


def test_registered_routes_exist():
    known = set(jurisdiction.parameterised_routes())
    stale = sorted((set(SCOPED) | set(UNSCOPED)) - known)
    assert not stale, f"Registered routes that no longer exist: {stale}"


def _request(route: jurisdiction.ScopedRoute, role: str, division: str, kwargs: dict) -> int:
    user = make_user(role, division, username=f"walker-{role}-{division}")
    url = reverse(route.url_name, kwargs=kwargs)
    client = Client()
    if route.is_api:
        _, raw = api_token_create(actor=user, user=user, name="walker")
        response = getattr(client, route.method)(
            url, data=route.body or None, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
    else:
        client.force_login(user)
        response = getattr(client, route.method)(url, data=route.body or None)
    return response.status_code


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", sorted(SCOPED))
def test_sibling_division_gets_404_and_parent_gets_200(url_name, divisions):
    route = SCOPED[url_name]
    kwargs = route.make(RECORD_DIVISION)
    assert _request(route, *route.sibling, kwargs) == 404, (
        f"{url_name}: an officer of the sibling division {route.sibling[1]} must get 404"
    )
    assert _request(route, *route.parent, kwargs) == 200, (
        f"{url_name}: an officer of the parent division {route.parent[1]} must get 200"
    )
