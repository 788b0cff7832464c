"""Alerts for tests, made directly through the ORM (the nightly job is what raises them for real;
its tests exercise that path). Importable by every warning test module."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from shouwang.warning.models import (
    Alert,
    AlertHistory,
    AlertStatus,
    Method,
    RunStatus,
    ScanCluster,
    SeriesResult,
    WarningRun,
)
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


def make_run(day: date | None = None, disease: str = "covid19",
             status: str = RunStatus.DONE) -> WarningRun:
    """A run of the nightly job (the row only: its series and clusters are added by hand)."""
    run_day = day or timezone.localdate()
    run, _ = WarningRun.objects.get_or_create(
        day=run_day, disease_id=disease, defaults={"basis": "onset", "status": status})
    return run


def make_cluster(centre: str = "420106", *, disease: str = "covid19", day: date | None = None,
                 status: str = RunStatus.DONE, rank: int = 1) -> ScanCluster:
    run = make_run(day, disease, status)
    return ScanCluster.objects.create(
        run=run, rank=rank, centre_code=centre, focus_code=centre, division_codes=[centre],
        member_counts=[30], radius_km=3.0,
        start=run.day - timedelta(days=6), end=run.day, observed=30, expected=8.5, llr=12.0,
        p_value=0.001)


def make_aberration_series(alert: Alert, *, days: int = 42, baseline: float = 3,
                           run: WarningRun | None = None) -> SeriesResult:
    """An EARS-like series ending on the alert's day: flat counts, then the alert's observed
    count on its day above the threshold."""
    run = run or make_run(alert.day, alert.disease_id)
    t = [alert.day - timedelta(days=days - 1 - i) for i in range(days)]
    observed = [baseline + (i % 3) for i in range(days - 1)] + [alert.observed]
    return SeriesResult.objects.create(
        run=run, method=alert.method, division_code=alert.division_code, level=alert.level,
        data={"t": [d.isoformat() for d in t], "observed": observed,
              "expected": [alert.expected] * days, "upperbound": [alert.threshold] * days,
              "alarm": [0] * (days - 1) + [1]})
