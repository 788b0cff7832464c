"""Publishing a computed day (services/publish.py) and telling the officers of the areas that
went up or down."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditEvent
from shouwang.risk.models import AreaRisk, Publication
from shouwang.risk.services.compute import levels_compute, levels_compute_range
from shouwang.risk.services.publish import levels_publish, publication_notify
from shouwang.warning.models import Notification
from tests.risk.test_compute import DIAG, ONSET, make_case

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _two_days() -> tuple[date, date]:
    """Day 1 all low; day 2 武昌区, 洪山区 and 珞南街道 medium."""
    make_case("420106", onset=ONSET)
    make_case("420111001", onset=ONSET)
    levels_compute_range(disease="covid19", start=DIAG, end=DIAG + timedelta(days=1))
    return DIAG, DIAG + timedelta(days=1)


def test_publish_counts_links_rows_and_audits(officers: dict[str, Any]) -> None:
    day1, day2 = _two_days()
    levels_publish(disease="covid19", day=day1, notify=False)
    before = timezone.now()
    pub = levels_publish(disease="covid19", day=day2, actor=officers["hubei"], notify=False)
    assert (pub.n_high, pub.n_medium, pub.n_up, pub.n_down) == (0, 3, 3, 0)
    assert pub.published_by == officers["hubei"]
    # A past day takes effect at the moment of publication.
    assert before <= pub.effective_at <= timezone.now()
    assert AreaRisk.objects.filter(day=day2, publication=pub).count() == 5
    assert not AreaRisk.objects.filter(day=day2, publication=None).exists()
    event = AuditEvent.objects.filter(object_type="risk.publication").latest("id")
    assert event.changes["n_medium"] == 3
    assert pub.notified_at is None


def test_a_future_day_takes_effect_at_its_start(officers: dict[str, Any]) -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    levels_compute(disease="covid19", day=tomorrow)
    pub = levels_publish(disease="covid19", day=tomorrow, notify=False)
    assert pub.effective_at == datetime.combine(tomorrow, time.min, tzinfo=SHANGHAI)


def test_publishing_twice_is_one_publication(officers: dict[str, Any]) -> None:
    day1, day2 = _two_days()
    levels_publish(disease="covid19", day=day1)
    first = levels_publish(disease="covid19", day=day2)
    audits = AuditEvent.objects.count()
    notes = Notification.objects.count()
    again = levels_publish(disease="covid19", day=day2)
    assert again.pk == first.pk and Publication.objects.filter(day=day2).count() == 1
    assert AuditEvent.objects.count() == audits
    assert Notification.objects.count() == notes
    assert publication_notify(first) == []


def test_bad_input(officers: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as raised:
        levels_publish(disease="nope", day=ONSET)
    assert "disease" in raised.value.fields
    with pytest.raises(InvalidInput) as raised:
        levels_publish(disease="covid19", day=ONSET)   # not computed
    assert "day" in raised.value.fields
    assert not Publication.objects.exists()


def test_officers_of_the_changed_areas_are_told_once(
        officers: dict[str, Any], django_capture_on_commit_callbacks: Any,
        settings: Any) -> None:
    settings.SHOUWANG_NOTIFY_BACKENDS = ["shouwang.warning.services.notify.LoggingSmsBackend"]
    day1, day2 = _two_days()
    levels_publish(disease="covid19", day=day1)
    assert not Notification.objects.exists()   # the first day changed nothing
    with django_capture_on_commit_callbacks(execute=True):
        pub = levels_publish(disease="covid19", day=day2)
    assert pub.notified_at is not None
    told = {n.user.username: n for n in Notification.objects.select_related("user")}
    # County, city and province officers with risk.read; not the grid worker (no risk.read),
    # the other province, the nation, or the county of another province.
    # (make_case made the tracing-county-* officers who filed the reports.)
    assert set(told) == {"wuchang", "hongshan", "wuhan", "hubei", "tracing-county-420106",
                         "tracing-county-420111"}
    assert "武昌区（420106）：低风险 → 中风险" in told["wuchang"].body
    assert "洪山区" not in told["wuchang"].body
    assert "珞南街道（420111001）" in told["hongshan"].body
    assert told["wuhan"].body.count("→") == 3
    assert told["wuhan"].subject == f"{day2} 风险等级变化：3 个地区升级，0 个地区降级"
    assert told["wuhan"].kind == "risk_levels" and told["wuhan"].alert is None
    assert told["wuhan"].channels == ["app", "sms"]   # delivered after commit
    levels_publish(disease="covid19", day=day2)
    assert Notification.objects.count() == 6


def test_a_notification_in_english(officers: dict[str, Any]) -> None:
    user = officers["wuchang"]
    user.preferred_language = "en"
    user.save()
    day1, day2 = _two_days()
    levels_publish(disease="covid19", day=day1)
    levels_publish(disease="covid19", day=day2)
    note = Notification.objects.get(user=user)
    assert "Wuchang Qu" in note.body and "Low risk → Medium risk" in note.body


def test_the_notifications_page_shows_a_notification_without_an_alert(
        officers: dict[str, Any]) -> None:
    day1, day2 = _two_days()
    levels_publish(disease="covid19", day=day1)
    levels_publish(disease="covid19", day=day2)
    c = Client()
    c.force_login(officers["wuchang"])
    r = c.get("/warning/notifications/")
    html = r.content.decode()
    assert r.status_code == 200
    assert html.count('data-testid="notification"') == 1
    assert "风险等级变化" in html and "武昌区（420106）" in html
    assert 'data-testid="notification-alert"' not in html
