"""Alerts for tests, made directly through the ORM (the nightly job is what raises them for real;
its tests exercise that path). Importable by every warning test module."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from shouwang.warning.models import Alert, AlertHistory, AlertStatus, Method
from tests.factories import ensure_sample_divisions


def make_alert(
    division_code: str = "420106",
    *,
    disease: str = "covid19",
    method: str = Method.EARS_C3,
    day: date | None = None,
    observed: float = 17,
    expected: float | None = 4.2,
    threshold: float | None = 9.8,
    status: str = AlertStatus.NEW,
    raised_at: datetime | None = None,
    verify_hours: float = 24,
    **extra: Any,
) -> Alert:
    """One alert as the nightly job raises it (version 1, a "raise" history row)."""
    ensure_sample_divisions()
    raised = raised_at or timezone.now()
    alert = Alert.objects.create(
        disease_id=disease, division_code=division_code,
        level="county" if len(division_code) == 6 else "township", method=method,
        day=day or timezone.localdate(), status=status, observed=observed, expected=expected,
        threshold=threshold,
        details=extra.pop("details", {"days": 3, "observed": observed, "expected": expected,
                                      "upperbound": threshold}),
        verify_due_at=raised + timedelta(hours=verify_hours), **extra)
    AlertHistory.objects.create(alert=alert, version=1, kind="raise", to_status=status)
    return alert
