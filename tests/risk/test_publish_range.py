"""A range computed with publish (the demo, `risk history --publish`): its rows are written
published, with the same publications as computing first and publishing each day after."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.risk.models import AreaRisk, Publication
from shouwang.risk.services.compute import levels_compute_range
from shouwang.risk.services.publish import levels_publish
from shouwang.warning.models import Notification
from tests.risk.test_compute import DIAG, ONSET, make_case, state

pytestmark = pytest.mark.django_db
FIELDS = ("day", "n_high", "n_medium", "n_up", "n_down")


def _cases() -> None:
    make_case("420106", onset=ONSET)
    make_case("420111001", onset=ONSET)
    for _ in range(3):
        make_case("430102", onset=ONSET + timedelta(days=3))


def _publications() -> list[tuple[Any, ...]]:
    return list(Publication.objects.order_by("day").values_list(*FIELDS))


def _audits(after: int = 0) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.changes.items() if k != "effective_at"}
            for e in AuditEvent.objects.filter(object_type="risk.publication", id__gt=after)
            .order_by("id")]


def _normalised_state() -> list[tuple[Any, ...]]:
    days = dict(Publication.objects.values_list("pk", "day"))
    return [(*row[:-1], days.get(row[-1])) for row in state()]


def test_published_at_insert_equals_published_after(officers: dict[str, Any]) -> None:
    _cases()
    start, end = DIAG - timedelta(days=1), DIAG + timedelta(days=30)
    levels_compute_range(disease="covid19", start=start, end=end)
    day = start
    while day <= end:
        levels_publish(disease="covid19", day=day, actor=officers["hubei"], notify=False)
        day += timedelta(days=1)
    after = (_publications(), _normalised_state(), _audits())
    assert any(p[3] for p in after[0]) and any(p[4] for p in after[0])   # ups and downs
    seen = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    AreaRisk.objects.all().delete()
    Publication.objects.all().delete()

    before = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        result = levels_compute_range(disease="covid19", start=start, end=end, publish=True,
                                      actor=officers["hubei"])
    assert (_publications(), _normalised_state(), _audits(seen)) == after
    assert result.published == result.computed and len(result.computed) == 32
    # Written published: no row is updated afterwards.
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")
                and "risk_arearisk" in q["sql"]]
    for pub in Publication.objects.all():
        assert pub.published_by == officers["hubei"] and pub.notified_at is None
        assert before <= pub.published_at <= timezone.now()
        assert pub.effective_at == max(pub.published_at, _start(pub.day))


def _start(day: Any) -> Any:
    from shouwang.risk.services.compute import day_start

    return day_start(day)


def test_a_range_published_with_notify_tells_the_officers(officers: dict[str, Any]) -> None:
    _cases()
    levels_compute_range(disease="covid19", start=DIAG, end=DIAG + timedelta(days=1),
                         publish=True, notify=True)
    assert Publication.objects.filter(notified_at__isnull=True).count() == 0
    told = Notification.objects.filter(kind="risk_levels", user=officers["wuchang"])
    assert told.count() == 1 and "武昌区" in told.get().body


def test_published_days_are_skipped_and_keep_their_publication(
        officers: dict[str, Any]) -> None:
    _cases()
    levels_compute_range(disease="covid19", start=DIAG, end=DIAG + timedelta(days=2),
                         publish=True)
    first = dict(Publication.objects.values_list("day", "pk"))
    result = levels_compute_range(disease="covid19", start=DIAG, end=DIAG + timedelta(days=4),
                                  publish=True)
    assert result.skipped_published == sorted(first)
    assert {d: p for d, p in Publication.objects.values_list("day", "pk") if d in first} == first
    assert Publication.objects.count() == 5
    assert not AreaRisk.objects.filter(publication__isnull=True).exists()
