import pytest
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.accounts.tokens import api_token_create
from shouwang.core.audit import audit_log


def _bearer(user):
    _, raw = api_token_create(actor=user, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.django_db
def test_openapi_is_served_without_login():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["info"]["title"] == "Shouwang API"
    assert "/api/v1/accounts/me" in spec["paths"]


@pytest.mark.django_db
def test_unauthenticated_requests_get_the_error_body():
    response = Client().get("/api/v1/accounts/me")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == "unauthenticated"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "输入有误"), ("en", "Please check")],
)
def test_validation_errors_are_field_level_and_localised(make_user, language, expected):
    auditor = make_user(Role.AUDITOR, "420100")
    response = Client().get(
        "/api/v1/audit/events", {"since": "not-a-date", "limit": "x"},
        HTTP_ACCEPT_LANGUAGE=language, **_bearer(auditor),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["message"].startswith(expected)
    assert set(body["fields"]) >= {"since", "limit"}


@pytest.mark.django_db
def test_service_errors_use_the_same_body(make_user):
    auditor = make_user(Role.AUDITOR, "420100")
    response = Client().get("/api/v1/audit/events", {"division_code": "999999"},
                            HTTP_ACCEPT_LANGUAGE="en", **_bearer(auditor))
    assert response.status_code == 422
    assert response.json()["fields"]["division_code"] == ["Unknown division code: 999999."]


@pytest.mark.django_db
def test_audit_api_is_for_auditors_only(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    response = Client().get("/api/v1/audit/events", **_bearer(officer))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


@pytest.mark.django_db
def test_audit_api_lists_only_the_auditors_jurisdiction(make_user):
    for code in ("420106", "420111", "430102"):
        audit_log(actor=None, action="update", object_type="walker.record", object_id=code,
                  division_code=code)
    auditor = make_user(Role.AUDITOR, "420111")
    response = Client().get("/api/v1/audit/events", {"object_type": "walker.record"},
                            **_bearer(auditor))
    assert response.status_code == 200
    assert [e["object_id"] for e in response.json()["items"]] == ["420111"]
    city = make_user(Role.AUDITOR, "420100")
    response = Client().get("/api/v1/audit/events",
                            {"object_type": "walker.record", "division_code": "420106"},
                            **_bearer(city))
    assert [e["object_id"] for e in response.json()["items"]] == ["420106"]


@pytest.mark.django_db
def test_request_id_is_returned_and_audited(make_user):
    user = make_user(Role.COUNTY_OFFICER, "420111")
    response = Client().get("/api/v1/accounts/me", HTTP_X_REQUEST_ID="abc123", **_bearer(user))
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc123"
    assert response.json()["division_code"] == "420111"
