"""The risk demo builder: levels over the small demo outbreak's whole course, through the
services, idempotent and quick."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from shouwang.core.models import AuditEvent
from shouwang.demo import demo_builders
from shouwang.risk import demo
from shouwang.risk.models import AreaRisk, Publication
from shouwang.warning.models import Notification
from tests.warning.test_detection_e2e import small_demo_outbreak

pytestmark = pytest.mark.django_db


def test_builder_runs_after_tracing() -> None:
    builders = {b.name: b.order for b in demo_builders()}
    assert builders["risk.levels"] == 80 > builders["tracing.investigations"]


def test_demo_levels_over_the_whole_course_idempotent() -> None:
    ctx = small_demo_outbreak()
    first = demo.first_case_day()
    assert first is not None
    today = timezone.localdate()
    t0 = time.perf_counter()
    demo.build_demo_risk(ctx)
    seconds = time.perf_counter() - t0
    days = (today - first).days + 1
    assert Publication.objects.count() == days
    assert Publication.objects.filter(day=first).exists()
    assert Publication.objects.filter(day=today).exists()
    counties = AreaRisk.objects.filter(day=today, division_level="county").count()
    assert counties >= 13
    assert not AreaRisk.objects.filter(publication=None).exists()
    # The outbreak made areas medium (and the summary says when).
    peak = Publication.objects.order_by("-n_medium").first()
    assert peak is not None and peak.n_medium > 0
    note = ctx.notes[-1]
    assert note.startswith(f"Risk levels (covid19, {first} to {today}): {days} days published")
    assert f"medium on {peak.day}" in note
    # The first day is computed from the day before: no case counted yet, all low.
    assert set(AreaRisk.objects.filter(day=first).values_list("level", flat=True)) == {"low"}
    assert not Notification.objects.filter(kind="risk_levels").exists()
    state = (AreaRisk.objects.count(), Publication.objects.count(), AuditEvent.objects.count())
    demo.build_demo_risk(ctx)
    assert (AreaRisk.objects.count(), Publication.objects.count(),
            AuditEvent.objects.count()) == state
    assert ctx.notes[-1] == note
    assert seconds < 30, f"the demo levels took {seconds:.1f} s"
    assert Publication.objects.filter(day=today - timedelta(days=1)).exists()
