"""The alerts inbox, an alert's page and its action forms, and the notifications page."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.accounts.roles import Role
from shouwang.warning.models import Alert, AlertStatus, Method, Notification
from shouwang.warning.services.notify import notify_alert
from tests.warning.factories import make_aberration_series, make_alert, make_cluster, make_run

pytestmark = pytest.mark.django_db
INBOX = "/warning/alerts/"


@pytest.fixture
def people(make_user: Any) -> dict[str, Any]:
    return {
        "wuchang": make_user(Role.COUNTY_OFFICER, "420106", username="wuchang"),
        "hongshan": make_user(Role.COUNTY_OFFICER, "420111", username="hongshan"),
        "wuhan": make_user(Role.CITY_OFFICER, "420100", username="wuhan"),
        "grid": make_user(Role.GRID_WORKER, "420106", username="grid"),
    }


def client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_inbox_lists_the_area_with_counts_and_overdue(people: dict[str, Any]) -> None:
    late = make_alert("420106", day=date(2026, 3, 5),
                      raised_at=timezone.now() - timedelta(hours=30))
    make_alert("420106", day=date(2026, 3, 4), status=AlertStatus.DISMISSED)
    make_alert("420111", day=date(2026, 3, 6))
    page = client(people["wuchang"]).get(INBOX)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="alert-row"') == 2
    assert "武昌区" in html and "洪山区" not in html
    assert 'data-testid="overdue-tag"' in html
    assert re.search(r'data-testid="tab-new">新预警 <span class="n">1</span>', html)
    assert re.search(r'data-testid="tab-all">全部 <span class="n">2</span>', html)
    assert f"/warning/alerts/{late.pk}/" in html
    assert "EARS C3" in html and "观察 17" in html
    # Filtered by status: only the dismissed one.
    html = client(people["wuchang"]).get(INBOX, {"status": "dismissed"}).content.decode()
    assert html.count('data-testid="alert-row"') == 1


def test_inbox_and_alert_page_say_how_far_up_an_alert_went(people: dict[str, Any]) -> None:
    alert = make_alert("420106", escalation_level=3, escalated_at=timezone.now(),
                       raised_at=timezone.now() - timedelta(hours=100))
    make_alert("420106", day=date(2026, 3, 1), escalation_level=1, escalated_at=timezone.now())
    html = client(people["wuhan"]).get(INBOX).content.decode()
    tags = re.findall(r'data-testid="escalation-tag"[^>]*>([^<]*)<', html)
    assert sorted(tags) == ["已上报至国家级", "已上报至市级"]
    html = client(people["wuchang"]).get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert re.search(r'data-testid="alert-escalation"[^>]*>已上报至国家级', html)
    assert "已升级 3 次" in html


def test_inbox_bad_filter_says_which(people: dict[str, Any]) -> None:
    page = client(people["wuchang"]).get(INBOX, {"division": "abc", "day_from": "2026-13-01"})
    assert page.status_code == 422
    html = page.content.decode()
    assert 'data-testid="error-division"' in html and "YYYY-MM-DD" in html
    assert 'data-testid="alert-row"' not in html


def test_inbox_pages_of_fifty(people: dict[str, Any]) -> None:
    start = date(2026, 1, 1)
    for i in range(51):
        make_alert("420106", day=start + timedelta(days=i))
    html = client(people["wuchang"]).get(INBOX).content.decode()
    assert html.count('data-testid="alert-row"') == 50
    assert 'data-testid="pager-next"' in html
    html = client(people["wuchang"]).get(INBOX, {"page": 2}).content.decode()
    assert html.count('data-testid="alert-row"') == 1 and "2026-01-01" in html


def test_empty_inbox(people: dict[str, Any]) -> None:
    html = client(people["wuchang"]).get(INBOX).content.decode()
    assert 'data-testid="alert-empty"' in html and 'data-testid="status-tabs"' in html


def test_inbox_in_english(people: dict[str, Any]) -> None:
    make_alert("420106")
    html = client(people["wuchang"]).get(INBOX, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "observed 17" in html and ">New <span" in html


def test_inbox_needs_warning_read(people: dict[str, Any]) -> None:
    assert client(people["grid"]).get(INBOX).status_code == 403


def test_detail_shows_reason_numbers_chart_and_actions(people: dict[str, Any]) -> None:
    alert = make_alert("420106", day=date(2026, 3, 5))
    make_cluster(day=date(2026, 3, 6))
    make_aberration_series(alert, run=make_run(date(2026, 3, 6)), days=34)
    html = client(people["wuchang"]).get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="alert-reason"' in html and "观察 17" in html
    chart = json.loads(re.search(r'id="alert-chart-data"[^>]*>(.*?)</script>', html,
                                 re.S).group(1))  # type: ignore[union-attr]
    assert chart["day"] == "2026-03-05" and chart["bars"][-1] == 17 and chart["alarm"][-1] == 1
    assert chart["t"][0] == "2026-01-31" and chart["threshold"][0] == 9.8
    for form in ("form-assign", "form-start", "form-dismiss", "form-note"):
        assert f'data-testid="{form}"' in html
    assert 'data-testid="form-confirm"' not in html  # only once verification started
    assert 'value="wuchang"' in html  # the assignee choices


def test_detail_without_series_says_so(people: dict[str, Any]) -> None:
    alert = make_alert("420106", method=Method.SCAN)
    html = client(people["wuchang"]).get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="alert-chart-empty"' in html


def test_actions_through_the_page(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    c = client(people["wuchang"])
    url = f"/warning/alerts/{alert.pk}"
    r = c.post(f"{url}/start/", {"version": 1})
    assert r.status_code == 200 and "已开始核实" in r.content.decode()
    html = r.content.decode()
    assert 'data-testid="form-confirm"' in html and 'name="version" value="2"' in html
    r = c.post(f"{url}/confirm/", {"version": 2, "linked_event": ""})
    assert r.status_code == 422 and 'data-testid="error-linked-event"' in r.content.decode()
    r = c.post(f"{url}/note/", {"note": "已联系"})
    assert r.status_code == 200 and "已联系" in r.content.decode()
    r = c.post(f"{url}/dismiss/", {"version": 3, "reason": "补报造成的假信号"})
    assert r.status_code == 200
    fresh = Alert.objects.get(pk=alert.pk)
    assert (fresh.status, fresh.dismissed_reason) == ("dismissed", "补报造成的假信号")
    assert 'data-testid="form-dismiss"' not in r.content.decode()


def test_a_stale_form_is_refused_on_the_page(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    client(people["wuhan"]).post(f"/warning/alerts/{alert.pk}/start/", {"version": 1})
    r = client(people["wuchang"]).post(f"/warning/alerts/{alert.pk}/dismiss/",
                                       {"version": 1, "reason": "重复"})
    assert r.status_code == 409
    assert 'data-testid="conflict-error"' in r.content.decode()
    assert "已被他人修改" in r.content.decode()
    assert Alert.objects.get(pk=alert.pk).status == "verifying"


def test_assign_on_the_page(people: dict[str, Any]) -> None:
    alert = make_alert("420106")
    c = client(people["wuhan"])
    r = c.post(f"/warning/alerts/{alert.pk}/assign/", {"version": 1, "assignee": "hongshan"})
    assert r.status_code == 422 and 'data-testid="error-assignee"' in r.content.decode()
    r = c.post(f"/warning/alerts/{alert.pk}/assign/", {"version": 1, "assignee": "wuchang"})
    assert r.status_code == 200
    assert Alert.objects.get(pk=alert.pk).assigned_to == people["wuchang"]


def test_notifications_page_and_mark_read(people: dict[str, Any]) -> None:
    a = make_alert("420106")
    notify_alert(a, "new_alert")
    notify_alert(make_alert("420106", day=date(2026, 1, 1)), "new_alert")
    c = client(people["wuchang"])
    html = c.get(INBOX).content.decode()
    assert re.search(r'data-testid="unread-badge">2<', html)
    html = c.get("/warning/notifications/").content.decode()
    assert html.count('data-testid="notification"') == 2 and "新预警" in html
    mine = Notification.objects.filter(user=people["wuchang"]).order_by("id")
    r = c.post("/warning/notifications/read/", {"id": [str(mine[0].pk)]})
    assert r.status_code == 302
    assert Notification.objects.filter(user=people["wuchang"], read_at=None).count() == 1
    html = c.get("/warning/notifications/", {"unread": "1"}).content.decode()
    assert html.count('data-testid="notification"') == 1
    c.post("/warning/notifications/read/", {})
    assert not Notification.objects.filter(user=people["wuchang"], read_at=None).exists()
    assert 'data-testid="unread-badge"' not in c.get(INBOX).content.decode()


def test_nav_has_the_inbox(people: dict[str, Any]) -> None:
    html = client(people["wuchang"]).get(INBOX).content.decode()
    assert 'data-testid="nav-warning-alerts"' in html


def test_history_shows_a_re_runs_new_numbers_and_the_assignee_by_name(
        people: dict[str, Any]) -> None:
    from shouwang.warning.models import AlertHistory

    alert = make_alert("420106")
    AlertHistory.objects.create(alert=alert, version=2, kind="update", from_status="new",
                                to_status="new", changes={"observed": [17, 21],
                                                          "details": [{"a": 1}, {"a": 2}]})
    Alert.objects.filter(pk=alert.pk).update(version=2)
    from shouwang.warning.services.alerts import alert_assign

    alert_assign(actor=people["wuhan"], alert=alert, assignee=people["wuchang"], version=2)
    html = client(people["wuhan"]).get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "重新计算更新" in html and "<strong>观察值</strong> 17 → 21" in html
    assert "{&#x27;a&#x27;" not in html and "{'a'" not in html
    assert "<strong>核实人</strong> — → wuchang" in html


def test_history_names_the_linked_cluster_as_the_card_does(people: dict[str, Any]) -> None:
    """By its rank and days, not by its database id (the card said #1, the history #3)."""
    from shouwang.warning.services.alerts import alert_confirm

    make_cluster(day=date(2026, 3, 4))
    make_cluster(day=date(2026, 3, 5), rank=2)
    cluster = make_cluster(day=date(2026, 3, 6))
    alert = make_alert("420106", day=date(2026, 3, 6), status=AlertStatus.VERIFYING)
    alert_confirm(actor=people["wuchang"], alert=alert, version=1, cluster_id=cluster.pk)
    html = client(people["wuchang"]).get(f"/warning/alerts/{alert.pk}/").content.decode()
    assert "时空聚集 #1（2026-02-28 至 2026-03-06）" in html  # the card
    assert "<strong>时空聚集</strong> — → #1（2026-02-28 至 2026-03-06）" in html
    assert f"→ #{cluster.pk}<" not in html


def test_inbox_and_api_queries_do_not_grow_with_the_page(people: dict[str, Any]) -> None:
    """A fresh token for each API call: a token's first use also records its last use."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.accounts.helpers import bearer

    def count(url: str, **extra: Any) -> int:
        c = client(people["wuhan"])
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url, **extra).status_code == 200
        return len(ctx.captured_queries)

    make_alert("420106", day=date(2026, 1, 1), assigned_to=people["wuchang"])
    few = (count(INBOX), count("/api/v1/warning/alerts", **bearer(people["wuhan"])))
    for i in range(2, 30):
        make_alert("420111" if i % 2 else "420106", day=date(2026, 1, i),
                   assigned_to=people["wuchang"] if i % 2 == 0 else people["hongshan"])
    many = (count(INBOX), count("/api/v1/warning/alerts", **bearer(people["wuhan"])))
    assert many == few


def test_a_user_without_warning_read_reads_own_notifications(make_user: Any) -> None:
    """Livelihood cadres are told of overdue signals in-app: the notifications page and API
    are the reader's own, open to every signed-in role (dashboard.read), not only to those
    who read alerts."""
    cadre = make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-notified")
    other = make_user(Role.LIVELIHOOD_CADRE, "420111", username="lh-not-notified")
    Notification.objects.create(user=cadre, kind="overdue", subject="线索逾期未研判")
    c = client(cadre)
    html = c.get("/warning/notifications/").content.decode()
    assert html.count('data-testid="notification"') == 1
    assert 'data-testid="nav-notifications"' in html
    assert c.get("/api/v1/warning/alerts/notifications").json()["unread"] == 1
    assert c.post("/warning/notifications/read/", {}).status_code == 302
    assert not Notification.objects.filter(user=cadre, read_at=None).exists()
    other_page = client(other).get("/warning/notifications/").content.decode()
    assert 'data-testid="notification"' not in other_page
