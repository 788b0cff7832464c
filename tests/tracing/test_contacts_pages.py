"""Contact pages: list with filters and counts, detail (masked, audited), the index case's
contacts (pseudonymised outside the jurisdiction) with the register form, hand-over inbox and
page, the navigation badge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.tracing.models import Contact, HandOver, HandOverStatus
from shouwang.tracing.services.followups import followup_record
from shouwang.tracing.services.handover import handover_accept, handover_create
from tests.tracing.cases import make_case
from tests.tracing.contacts_factory import contact_data, make_contact, resident_id

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _send(officers: dict[str, Any], contact: Contact, to: str = "420111") -> HandOver:
    fresh = Contact.objects.get(pk=contact.pk)
    return handover_create(actor=officers["wuchang"], contact=fresh, version=fresh.version,
                           to_division_code=to)


def test_list_counts_filters_and_warnings(officers):
    today = timezone.localdate()
    case = make_case("420106", onset=today - timedelta(days=40))
    old = {"last_exposure": today - timedelta(days=30),
           "identified_on": (today - timedelta(days=29)).isoformat()}
    due = make_contact(case, officers["wuchang"], seq=1, name="赵一", **old)
    fever = make_contact(case, officers["wuchang"], seq=2, name="钱二")
    followup_record(actor=officers["wuchang"], contact=fever, data={"temperature_c": "38.5"})
    make_contact(make_case("420111"), officers["hongshan"], seq=3, name="孙三")
    page = client_for(officers["wuchang"]).get(reverse("tracing:contacts"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "赵一" in html and "钱二" in html and "孙三" not in html
    assert 'data-testid="fever-tag"' in html
    assert page.context["counts"]["due"] == 1 and page.context["counts"]["overdue"] == 1
    due_page = client_for(officers["wuchang"]).get(reverse("tracing:contacts") + "?due=1")
    assert [r["c"].pk for r in due_page.context["rows"]] == [due.pk]
    assert 'data-testid="bulk-release-submit"' in due_page.content.decode()
    bad = client_for(officers["wuchang"]).get(reverse("tracing:contacts") + "?index_case=x")
    assert bad.status_code == 422


def test_bulk_release_from_the_due_list(officers):
    today = timezone.localdate()
    case = make_case("420106", onset=today - timedelta(days=40))
    due = make_contact(case, officers["wuchang"], seq=1, last_exposure=today - timedelta(days=30),
                       identified_on=(today - timedelta(days=29)).isoformat())
    resp = client_for(officers["wuchang"]).post(reverse("tracing:contacts-release"),
                                                {"id": [str(due.pk)]})
    assert resp.status_code == 200
    assert Contact.objects.get(pk=due.pk).status == "released"


def test_detail_in_clear_for_officers_audited_and_masked_for_grid_workers(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    url = reverse("tracing:contact-detail", args=[contact.pk])
    html = client_for(officers["wuchang"]).get(url).content.decode()
    assert "李娜" in html and resident_id(1) in html
    assert AuditEvent.objects.filter(action="read", object_id=str(contact.pk),
                                     object_type="tracing.contact").count() == 1
    grid = client_for(officers["grid"]).get(url).content.decode()
    assert "李*" in grid and resident_id(1) not in grid and "李娜" not in grid
    assert 'data-testid="contact-actions"' not in grid
    assert client_for(officers["hongshan"]).get(url).status_code == 404


def test_follow_up_form_and_chart(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    url = reverse("tracing:contact-follow-up", args=[contact.pk])
    resp = client_for(officers["wuchang"]).post(url, {
        "version": contact.version, "temperature_c": "38.1", "symptoms": ["cough"],
        "test_outcome": "positive"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="followup-chart-data"' in html and 'data-testid="warning-positive"' in html
    assert 'data-testid="warning-fever"' in html
    bad = client_for(officers["wuchang"]).post(url, {"version": contact.version + 1,
                                                    "temperature_c": "hot"})
    assert bad.status_code == 422 and 'data-testid="error-temperature"' in bad.content.decode()


def test_stale_version_is_a_conflict_and_changes_nothing(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"])
    url = reverse("tracing:contact-lost", args=[contact.pk])
    assert client_for(officers["wuchang"]).post(url, {"version": 99}).status_code == 409
    assert Contact.objects.get(pk=contact.pk).status == "under_follow_up"


def test_register_form_errors_and_success(officers):
    case = make_case("420106")
    url = reverse("tracing:case-contacts", args=[case.pk])
    c = client_for(officers["wuchang"])
    page = c.get(url)
    assert page.status_code == 200 and 'data-testid="register-form"' in page.content.decode()
    bad = c.post(url, {**contact_data(1), "last_exposure_on": "2999-01-01", "phone": "1"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'data-testid="error-last_exposure_on"' in html and "不能晚于今天" in html
    assert Contact.objects.count() == 0
    ok = c.post(url, {**contact_data(1), "source_key": "web-1"})
    assert ok.status_code == 200 and Contact.objects.count() == 1
    again = c.post(url, {**contact_data(1), "source_key": "web-1"})
    assert again.status_code == 200 and Contact.objects.count() == 1
    assert client_for(officers["grid"]).post(url, contact_data(2)).status_code == 403
    assert client_for(officers["hongshan"]).get(url).status_code == 404


def test_case_contacts_pseudonymise_people_followed_elsewhere_without_links(officers):
    case = make_case("420106")
    make_contact(case, officers["wuchang"], seq=1, name="李娜")
    moved = make_contact(case, officers["wuchang"], seq=2, name="张三明", residence="420111")
    handover_accept(actor=officers["hongshan"], hand_over=_send(officers, moved))
    html = client_for(officers["wuchang"]).get(
        reverse("tracing:case-contacts", args=[case.pk])).content.decode()
    assert "李娜" in html and "张三明" not in html and resident_id(2) not in html
    assert "ZSM · 30–39 岁 · 洪山区" in html
    assert reverse("tracing:contact-detail", args=[moved.pk]) not in html


def test_hand_over_pages_refuse_needs_a_reason_and_comes_back(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"], residence="420111")
    detail = reverse("tracing:contact-detail", args=[contact.pk])
    sent = client_for(officers["wuchang"]).post(
        reverse("tracing:contact-hand-over", args=[contact.pk]),
        {"version": contact.version, "to_division_code": "420111", "note": "现住洪山"})
    assert sent.status_code == 200 and HandOver.objects.count() == 1
    h = HandOver.objects.get()
    inbox = client_for(officers["hongshan"]).get(reverse("tracing:handovers"))
    assert h in [r["h"] for r in inbox.context["incoming"]]
    page = client_for(officers["hongshan"]).get(reverse("tracing:handover-detail", args=[h.pk]))
    assert "李娜" in page.content.decode() and 'data-testid="form-refuse"' in page.content.decode()
    empty = client_for(officers["hongshan"]).post(
        reverse("tracing:handover-refuse", args=[h.pk]), {"refusal_reason": ""})
    assert empty.status_code == 422 and 'data-testid="error-refusal-reason"' in \
        empty.content.decode()
    client_for(officers["hongshan"]).post(reverse("tracing:handover-refuse", args=[h.pk]),
                                          {"refusal_reason": "查无此人"})
    assert HandOver.objects.get().status == HandOverStatus.REFUSED
    back = client_for(officers["wuchang"]).get(reverse("tracing:handovers"))
    assert [r["h"].pk for r in back.context["returned"]] == [h.pk]
    assert "查无此人" in back.content.decode()
    assert "查无此人" in client_for(officers["wuchang"]).get(detail).content.decode()
    # The receiver still sees it, no longer the person in clear.
    after = client_for(officers["hongshan"]).get(reverse("tracing:handover-detail",
                                                         args=[h.pk])).content.decode()
    assert "查无此人" in after and "李娜" not in after
    sender_tries = client_for(officers["wuchang"]).post(
        reverse("tracing:handover-accept", args=[h.pk]))
    assert sender_tries.status_code in (403, 409)
    kept = client_for(officers["wuchang"]).post(reverse("tracing:handover-keep", args=[h.pk]))
    assert kept.status_code == 200 and 'data-testid="handover-kept"' in kept.content.decode()
    back = client_for(officers["wuchang"]).get(reverse("tracing:handovers"))
    assert back.context["returned"] == [] and [r["h"].pk for r in back.context["sent"]] == [h.pk]


def test_navigation_badge_counts_pending_incoming(officers):
    contact = make_contact(make_case("420106"), officers["wuchang"], residence="420111")
    _send(officers, contact)
    html = client_for(officers["hongshan"]).get(reverse("tracing:contacts")).content.decode()
    assert "协查移交" in html and 'data-testid="handover-badge">1<' in html
    nav = client_for(officers["hongshan"]).get(reverse("tracing:handovers")).content.decode()
    assert reverse("tracing:handovers") in nav and "密接管理" in nav


def test_list_queries_do_not_grow_with_rows(officers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = make_case("420106")
    client = client_for(officers["wuchang"])
    url = reverse("tracing:contacts")
    make_contact(case, officers["wuchang"], seq=1)
    client.get(url)  # warm the session, the division names
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for seq in range(2, 9):
        contact = make_contact(case, officers["wuchang"], seq=seq)
        followup_record(actor=officers["wuchang"], contact=contact, data={"note": "x"})
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).context["rows"]) == 8
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
