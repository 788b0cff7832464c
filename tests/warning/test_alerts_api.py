"""/api/v1/warning/alerts: inbox filters and paging, detail, actions, 409, 422, notifications."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.warning.models import AlertStatus, Method, Notification
from shouwang.warning.services.notify import notify_alert
from tests.accounts.helpers import bearer
from tests.warning.factories import make_alert

pytestmark = pytest.mark.django_db
URL = "/api/v1/warning/alerts"


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "wuchang": make_user(Role.COUNTY_OFFICER, "420106", username="wuchang"),
        "hongshan": make_user(Role.COUNTY_OFFICER, "420111", username="hongshan"),
        "wuhan": make_user(Role.CITY_OFFICER, "420100", username="wuhan"),
        "lab": make_user(Role.LABORATORY, "420106", username="lab"),
        "grid": make_user(Role.GRID_WORKER, "420106", username="grid"),
    }


def post(user: Any, url: str, payload: dict[str, Any], **headers: Any) -> Any:
    return Client().post(url, data=payload, content_type="application/json",
                         **bearer(user), **headers)


def get(user: Any, url: str, **params: Any) -> Any:
    return Client().get(url, data=params, **bearer(user))


def test_inbox_is_scoped_newest_first_with_counts(people: dict[str, Any]) -> None:
    old = make_alert("420106", day=date(2026, 3, 1))
    new = make_alert("420106", day=date(2026, 3, 5), method=Method.FARRINGTON)
    make_alert("420111", day=date(2026, 3, 6))
    make_alert("420106", day=date(2026, 3, 2), status=AlertStatus.DISMISSED)
    body = get(people["wuchang"], URL).json()
    assert [a["day"] for a in body["items"]] == ["2026-03-05", "2026-03-02", "2026-03-01"]
    assert body["total"] == 3 and body["has_next"] is False
    assert body["counts"]["new"] == 2 and body["counts"]["dismissed"] == 1
    first = body["items"][0]
    assert (first["id"], first["division_name"], first["disease_name"]) == (
        new.pk, "武昌区", "新型冠状病毒感染")
    assert "观察 17" in first["reason"]
    assert get(people["wuhan"], URL).json()["total"] == 4
    assert old.pk in [a["id"] for a in body["items"]]


def test_inbox_filters_and_paging(people: dict[str, Any]) -> None:
    for d in range(1, 6):
        make_alert("420106", day=date(2026, 3, d))
    mine = make_alert("420106", day=date(2026, 2, 1), assigned_to=people["wuchang"],
                      method=Method.CUSUM)
    page = get(people["wuchang"], URL, limit=2, offset=2).json()
    assert [a["day"] for a in page["items"]] == ["2026-03-03", "2026-03-02"]
    assert page["has_next"] is True and page["total"] == 6
    assert [a["id"] for a in get(people["wuchang"], URL, mine=True).json()["items"]] == [mine.pk]
    assert get(people["wuchang"], URL, method="cusum").json()["total"] == 1
    assert get(people["wuchang"], URL, day_from="2026-03-02", day_to="2026-03-03"
               ).json()["total"] == 2
    assert get(people["wuhan"], URL, division="420111").json()["total"] == 0
    assert get(people["wuhan"], URL, division="420100").json()["total"] == 6
    assert get(people["wuchang"], URL, status="verifying").json()["total"] == 0


def test_overdue_filter(people: dict[str, Any]) -> None:
    late = make_alert("420106", raised_at=timezone.now() - timedelta(hours=30))
    make_alert("420106", day=date(2026, 1, 1))
    body = get(people["wuchang"], URL, overdue=True).json()
    assert [a["id"] for a in body["items"]] == [late.pk] and body["items"][0]["overdue"]
    assert body["counts"]["overdue"] == 1


def test_the_escalation_is_said_in_words(people: dict[str, Any]) -> None:
    from shouwang.warning.services.alerts import alerts_escalate

    late = make_alert("420106", raised_at=timezone.now() - timedelta(hours=30))
    quiet = make_alert("420106", day=date(2026, 1, 1))
    alerts_escalate(now=timezone.now())
    items = {a["id"]: a for a in get(people["wuchang"], URL).json()["items"]}
    assert items[late.pk]["escalation_level"] == 1
    assert items[late.pk]["escalation_label"] == "已上报至市级"
    assert items[quiet.pk]["escalation_label"] == ""
    english = Client().get(URL, HTTP_ACCEPT_LANGUAGE="en",
                           **bearer(people["wuchang"])).json()["items"]
    assert {a["escalation_label"] for a in english} == {"escalated to city level", ""}


@pytest.mark.parametrize("params,field", [
    ({"status": "open"}, "status"), ({"method": "magic"}, "method"),
    ({"division": "42x"}, "division"), ({"day_from": "2026-03-05", "day_to": "2026-03-01"},
                                        "day_to"),
    ({"day_from": "yesterday"}, "day_from"), ({"limit": 0}, "limit"),
])
def test_bad_filters_answer_422_by_field(people: dict[str, Any], params: dict[str, Any],
                                          field: str) -> None:
    response = get(people["wuchang"], URL, **params)
    assert response.status_code == 422
    assert field in response.json()["fields"]


def test_workflow_through_the_api(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    url = f"{URL}/{alert.pk}"
    r = post(people["wuhan"], f"{url}/assign", {"version": 1, "assignee": "wuchang"})
    assert r.status_code == 200 and r.json()["assigned_to"] == "wuchang"
    r = post(people["wuchang"], f"{url}/start", {"version": 2})
    assert r.json()["status"] == "verifying"
    r = post(people["wuchang"], f"{url}/note", {"note": "已电话联系学校"})
    assert r.json()["version"] == 4
    r = post(people["wuchang"], f"{url}/confirm", {"version": 4})
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"cluster_id", "linked_event"}
    r = post(people["wuchang"], f"{url}/confirm", {"version": 4, "linked_event": "某小学聚集"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    detail = get(people["wuchang"], url).json()
    assert [h["kind"] for h in detail["history"]] == ["raise", "assign", "status", "note",
                                                      "status"]
    assert detail["history"][3]["note"] == "已电话联系学校"
    assert detail["history"][3]["actor"] == "wuchang"


def test_a_stale_version_answers_409_in_the_readers_language(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    assert post(people["wuchang"], f"{URL}/{alert.pk}/start", {"version": 1}).status_code == 200
    r = post(people["wuhan"], f"{URL}/{alert.pk}/dismiss", {"version": 1, "reason": "重复"})
    assert r.status_code == 409
    assert r.json()["code"] == "conflict" and "已被他人修改" in r.json()["message"]
    r = post(people["wuhan"], f"{URL}/{alert.pk}/dismiss", {"version": 1, "reason": "dup"},
             HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409 and "Someone else changed" in r.json()["message"]


def test_errors_in_english(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    r = post(people["wuchang"], f"{URL}/{alert.pk}/dismiss", {"version": 1, "reason": " "},
             HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 422
    assert r.json()["fields"]["reason"] == ["Give the reason for dismissing it."]


def test_assign_errors(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    r = post(people["wuhan"], f"{URL}/{alert.pk}/assign", {"version": 1, "assignee": "nobody"})
    assert r.status_code == 422 and "assignee" in r.json()["fields"]
    r = post(people["wuhan"], f"{URL}/{alert.pk}/assign", {"version": 1, "assignee": "hongshan"})
    assert r.status_code == 422 and "县级" in r.json()["fields"]["assignee"][0]
    r = post(people["wuhan"], f"{URL}/{alert.pk}/assign", {"version": 1})
    assert r.status_code == 422 and "assignee" in r.json()["fields"]


def test_capabilities(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    assert get(people["grid"], URL).status_code == 403
    assert get(people["lab"], URL).status_code == 403
    r = post(people["lab"], f"{URL}/{alert.pk}/start", {"version": 1})
    assert r.status_code == 403


def test_outside_the_jurisdiction_is_404_everywhere(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    user = people["hongshan"]
    assert get(user, f"{URL}/{alert.pk}").status_code == 404
    for action, body in [("assign", {"version": 1, "assignee": "hongshan"}),
                         ("start", {"version": 1}), ("dismiss", {"version": 1, "reason": "x"}),
                         ("confirm", {"version": 1, "linked_event": "x"}),
                         ("note", {"note": "x"})]:
        assert post(user, f"{URL}/{alert.pk}/{action}", body).status_code == 404, action
    assert get(user, f"{URL}/999999").status_code == 404


def test_notifications_list_and_mark_read(people: dict[str, Any]) -> None:
    a = make_alert("420106")
    b = make_alert("420106", day=date(2026, 1, 1))
    notify_alert(a, "new_alert")
    notify_alert(b, "new_alert")
    other = notify_alert(make_alert("420111"), "new_alert")[0]
    body = get(people["wuchang"], f"{URL}/notifications").json()
    assert body["unread"] == 2 and len(body["items"]) == 2
    assert {n["alert_id"] for n in body["items"]} == {a.pk, b.pk}
    first = body["items"][0]["id"]
    r = post(people["wuchang"], f"{URL}/notifications/read", {"ids": [first, other.pk]})
    assert r.json() == {"marked": 1, "unread": 1}
    assert Notification.objects.get(pk=other.pk).read_at is None  # not theirs: untouched
    assert len(get(people["wuchang"], f"{URL}/notifications", unread=True).json()["items"]) == 1
    assert post(people["wuchang"], f"{URL}/notifications/read", {}).json() == {
        "marked": 1, "unread": 0}
