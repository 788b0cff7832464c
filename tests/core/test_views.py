import pytest
from django.test import Client

from shouwang.accounts.roles import Role
from shouwang.core.audit import audit_log

HOSTILE = "<script>alert('x')</script>'; DROP TABLE core_auditevent; --"


@pytest.mark.django_db
def test_auditor_page_lists_events_and_escapes_markup(make_user):
    audit_log(actor=None, action="update", object_type="walker.record", object_id="1",
              division_code="420111", summary=HOSTILE)
    auditor = make_user(Role.AUDITOR, "420111")
    client = Client()
    client.force_login(auditor)
    response = client.get("/audit/", {"object_type": "walker.record"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<script>alert(" not in html
    from shouwang.core.models import AuditEvent
    assert AuditEvent.objects.filter(summary=HOSTILE).count() == 1  # stored verbatim


@pytest.mark.django_db
def test_auditor_page_filters_show_field_errors(make_user):
    auditor = make_user(Role.AUDITOR, "420111")
    client = Client()
    client.force_login(auditor)
    response = client.get("/audit/", {"division_code": "999999"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Unknown division code: 999999." in response.content.decode()


@pytest.mark.django_db
def test_audit_pages_are_forbidden_to_other_roles(make_user):
    officer = make_user(Role.COUNTY_OFFICER, "420111")
    client = Client()
    client.force_login(officer)
    assert client.get("/audit/").status_code == 403


@pytest.mark.django_db
def test_audit_pages_need_login():
    response = Client().get("/audit/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
