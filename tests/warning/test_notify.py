"""Who an alert notification goes to, what it says, through which channels, and only once."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import mail

from shouwang.warning.models import AlertHistory, Notification
from shouwang.warning.services import notify
from shouwang.warning.services.notify import (
    ConsoleBackend,
    EmailBackend,
    LoggingSmsBackend,
    NotificationBackend,
    notify_alert,
)
from tests.warning.factories import make_alert

pytestmark = pytest.mark.django_db



def _users(notes: list[Notification]) -> set[str]:
    return {n.user.username for n in notes}


def test_new_alert_goes_to_the_county_officers(officers: dict[str, Any]) -> None:
    notes = notify_alert(make_alert("420106"), "new_alert")
    assert _users(notes) == {"wuchang", "wuchang2"}
    assert all(n.kind == "new_alert" and n.channels for n in notes)


def test_new_alert_of_a_township_goes_to_its_county(officers: dict[str, Any]) -> None:
    notes = notify_alert(make_alert("420111001"), "new_alert")
    assert _users(notes) == {"hongshan"}


def test_new_alert_falls_back_to_the_prefecture(officers: dict[str, Any]) -> None:
    officers["hongshan"].is_active = False
    officers["hongshan"].save()
    notes = notify_alert(make_alert("420111"), "new_alert")
    assert _users(notes) == {"wuhan"}


def test_inactive_and_other_roles_are_not_told(officers: dict[str, Any]) -> None:
    officers["wuchang2"].is_active = False
    officers["wuchang2"].save()
    notes = notify_alert(make_alert("420106"), "new_alert")
    assert _users(notes) == {"wuchang"}


def test_new_alert_is_announced_once(officers: dict[str, Any]) -> None:
    alert = make_alert("420106")
    assert len(notify_alert(alert, "new_alert")) == 2
    alert.version = 2  # a re-run updated the numbers
    alert.save()
    assert notify_alert(alert, "new_alert") == []
    assert Notification.objects.count() == 2


def test_same_kind_and_version_notifies_once_a_new_version_again(
        officers: dict[str, Any]) -> None:
    alert = make_alert("420106", assigned_to=officers["wuchang"])
    assert _users(notify_alert(alert, "assigned")) == {"wuchang"}
    assert notify_alert(alert, "assigned") == []
    alert.version = 2
    alert.save()
    AlertHistory.objects.create(alert=alert, version=2, kind="assign", actor=officers["wuhan"])
    assert _users(notify_alert(alert, "assigned")) == {"wuchang"}
    assert Notification.objects.filter(kind="assigned").count() == 2


def _escalate_to(alert: Any, level: int) -> None:
    alert.escalation_level = level
    alert.version += 1
    alert.save()
    AlertHistory.objects.create(alert=alert, version=alert.version, kind="escalate")


def test_escalation_goes_up_the_ladder_to_the_nation(officers: dict[str, Any]) -> None:
    alert = make_alert("420106", escalation_level=1)
    assert _users(notify_alert(alert, "escalated")) == {"wuhan"}
    _escalate_to(alert, 2)
    assert _users(notify_alert(alert, "escalated")) == {"hubei"}
    _escalate_to(alert, 3)
    assert _users(notify_alert(alert, "escalated")) == {"china"}


def test_a_city_alert_escalates_from_the_city(officers: dict[str, Any]) -> None:
    """The city officers were told of their own alert when it was raised: its first escalation
    goes to the province, its second to the nation."""
    alert = make_alert("420100", escalation_level=0)
    assert _users(notify_alert(alert, "new_alert")) == {"wuhan"}
    _escalate_to(alert, 1)
    assert _users(notify_alert(alert, "escalated")) == {"hubei"}
    _escalate_to(alert, 2)
    assert _users(notify_alert(alert, "escalated")) == {"china"}


def test_escalation_skips_a_level_with_nobody(officers: dict[str, Any]) -> None:
    officers["hubei"].is_active = False
    officers["hubei"].save()
    alert = make_alert("420106", escalation_level=2)
    assert _users(notify_alert(alert, "escalated")) == {"china"}


@pytest.mark.parametrize(("code", "level", "words"), [
    ("420106", 0, ""),
    ("420106", 1, "已上报至市级"),
    ("420111001", 2, "已上报至省级"),
    ("420106", 3, "已上报至国家级"),
    ("420100", 1, "已上报至省级"),
    ("420000", 1, "已上报至国家级"),
    ("420106", 7, "已上报至国家级"),
])
def test_the_escalation_level_in_words(code: str, level: int, words: str) -> None:
    assert notify.escalation_words(make_alert(code, escalation_level=level)) == words


def test_escalation_message_says_where_the_alert_now_is(officers: dict[str, Any]) -> None:
    note = notify_alert(make_alert("420106", escalation_level=3), "escalated")[0]
    assert "已上报至国家级" in note.body and "第 3 次升级" in note.body


def test_status_goes_to_assignee_and_assigner_not_the_actor(officers: dict[str, Any]) -> None:
    alert = make_alert("420106", assigned_to=officers["wuchang"], version=2)
    AlertHistory.objects.create(alert=alert, version=2, kind="assign", actor=officers["wuhan"])
    notes = notify_alert(alert, "status", actor=officers["wuchang"])
    assert _users(notes) == {"wuhan"}


def test_unknown_kind_is_refused(officers: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="kind"):
        notify_alert(make_alert(), "bogus")


def test_message_is_chinese_with_the_numbers(officers: dict[str, Any]) -> None:
    note = notify_alert(make_alert("420106"), "new_alert")[0]
    assert "新预警" in note.subject and "武昌区" in note.subject
    assert "观察 17" in note.body and "期望 4.2" in note.body


def test_english_reader_gets_english(officers: dict[str, Any]) -> None:
    user = officers["wuchang"]
    user.preferred_language = "en"
    user.save()
    notes = {n.user.username: n for n in notify_alert(make_alert("420106"), "new_alert")}
    assert notes["wuchang"].subject.startswith("New alert")
    assert "新预警" in notes["wuchang2"].subject


def test_backends_after_commit_record_channels(
        officers: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any,
        caplog: Any) -> None:
    settings.SHOUWANG_NOTIFY_BACKENDS = [
        "shouwang.warning.services.notify.EmailBackend",
        "shouwang.warning.services.notify.LoggingSmsBackend",
    ]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    officers["wuchang"].email = "wuchang@example.org"
    officers["wuchang"].save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notes = notify_alert(make_alert("420106"), "new_alert")
    assert len(mail.outbox) == 0  # nothing leaves before commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["wuchang@example.org"]]
    channels = {n.user.username: Notification.objects.get(pk=n.pk).channels for n in notes}
    assert channels == {"wuchang": ["app", "email", "sms"], "wuchang2": ["app", "sms"]}
    assert "SMS" in caplog.text


def test_a_failing_backend_does_not_lose_the_others(
        officers: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.SHOUWANG_NOTIFY_BACKENDS = ["tests.warning.test_notify.Broken",
                                         "shouwang.warning.services.notify.LoggingSmsBackend"]
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify_alert(make_alert("420106"), "new_alert")
    assert Notification.objects.get(pk=notes[0].pk).channels == ["app", "sms"]


class Broken:
    name = "broken"

    def send(self, user: Any, subject: str, body: str) -> bool:
        raise ConnectionError("gateway down")


def test_console_backend_writes(officers: dict[str, Any]) -> None:
    out = io.StringIO()
    assert ConsoleBackend(stream=out).send(officers["wuchang"], "主题", "内容")
    assert "主题" in out.getvalue() and "wuchang" in out.getvalue()


def test_backends_share_one_interface() -> None:
    for cls in (ConsoleBackend, EmailBackend, LoggingSmsBackend):
        assert isinstance(cls(), NotificationBackend)


def test_not_a_backend_is_refused(settings: Any) -> None:
    settings.SHOUWANG_NOTIFY_BACKENDS = ["shouwang.warning.models.Alert"]
    with pytest.raises(TypeError, match="not a notification backend"):
        notify.notify_backends()


def test_escalation_message_gives_the_new_deadline_in_local_time(
        officers: dict[str, Any]) -> None:
    from datetime import datetime

    from django.utils import timezone

    due = datetime(2026, 3, 3, 0, 30, tzinfo=timezone.get_fixed_timezone(0))  # 08:30 in China
    alert = make_alert("420106", escalation_level=1)
    alert.verify_due_at = due
    alert.save()
    note = notify_alert(alert, "escalated")[0]
    assert "第 1 次升级" in note.body and "2026-03-03 08:30" in note.body


def test_a_misconfigured_backend_list_keeps_the_in_app_notification(
        officers: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any,
        caplog: Any) -> None:
    settings.SHOUWANG_NOTIFY_BACKENDS = ["no.such.Backend"]
    with django_capture_on_commit_callbacks(execute=True):
        notes = notify_alert(make_alert("420106"), "new_alert")
    assert Notification.objects.get(pk=notes[0].pk).channels == ["app"]
    assert "cannot be loaded" in caplog.text


@pytest.mark.django_db
def test_the_database_keeps_a_message_from_going_out_twice(officers: dict[str, Any]) -> None:
    from django.db import IntegrityError, transaction

    alert = make_alert("420106")
    user = next(iter(officers.values()))
    Notification.objects.create(user=user, alert=alert, kind="assigned", alert_version=1,
                                subject="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(user=user, alert=alert, kind="assigned", alert_version=1,
                                    subject="again")
    # Another version of the alert is another message.
    Notification.objects.create(user=user, alert=alert, kind="assigned", alert_version=2,
                                subject="y")
    assert Notification.objects.filter(alert=alert).count() == 2
