"""Alerts from a night's stored results.

    alerts_raise(run=run) -> {"new": n, "updated": n, "unchanged": n, "closed": n}

Read from the run's SeriesResult and ScanCluster rows, a signal on the run's day is

- ears_c3: EARS C3 alarms on the day (at the levels in `aberration_alert_levels`);
- farrington: Farrington flexible alarms in the week ending on the day (same levels);
- cusum: the CUSUM alarms on the day (same levels);
  (these three only with at least `aberration_alert_min_observed` cases observed, and, when
  `aberration_alert_upper_echoes` is False, not above a county that alarms by the same method);
- scan: each stored cluster (p below `scan_p_value`), one alert at its focus county (the
  member with the most cases; the geometric centre often has none), linked through
  Alert.cluster;
- rt: a county whose R_t lower bound (2.5 % quantile) has been above `rt_alert_limit` for the
  last `rt_alert_days` days, with at least `rt_alert_min_cases` onset cases over those days.

Each signal upserts the alert (disease, division, method, day): a new one is created (status
new, verify_due_at = now + verify_hours, history "raise") and announced through
shouwang.warning.services.notify; an open one (new, verifying) whose numbers changed is updated
(version + 1, history "update" with the old and new numbers); a confirmed or dismissed alert is
never reopened or changed — people decided about it. Alert.details holds what the reason
(shouwang.warning.reasons) says. Runs inside the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from shouwang.geo.models import PREFIX_LENGTH, Level
from shouwang.warning.models import (
    Alert,
    AlertHistory,
    AlertStatus,
    Method,
    ScanCluster,
    SeriesResult,
    WarningRun,
)
from shouwang.warning.services.nightly_config import NightlySettings, nightly_settings

if TYPE_CHECKING:
    from collections.abc import Sequence

CLOSED = (AlertStatus.CONFIRMED, AlertStatus.DISMISSED)
ABERRATION_METHODS = (Method.EARS_C3, Method.FARRINGTON, Method.CUSUM)
EARS_ALPHA_C3 = 0.025  # R's earsC default for C3, which the job uses


@dataclass(frozen=True)
class Signal:
    division_code: str
    level: str
    method: str
    observed: float
    expected: float | None
    threshold: float | None
    details: dict[str, Any]
    cluster: ScanCluster | None = field(default=None, compare=False)

    def numbers(self) -> dict[str, Any]:
        return {"observed": self.observed, "expected": self.expected,
                "threshold": self.threshold, "details": self.details}


def _at(data: dict[str, Any], column: str, i: int) -> Any:
    values = data.get(column) or []
    return values[i] if -len(values) <= i < len(values) else None


def _run_of_alarms(alarm: Sequence[int], end: int) -> int:
    """Consecutive alarms ending at index `end`."""
    n = 0
    while end - n >= 0 and alarm[end - n]:
        n += 1
    return n


def aberration_signal(row: SeriesResult, day: date) -> Signal | None:
    """The alarm of an EARS, CUSUM or Farrington series on `day` (its week's end), if any."""
    data = row.data
    t = data.get("t") or []
    try:
        i = t.index(day.isoformat())
    except ValueError:
        return None
    alarm = data.get("alarm") or []
    if not (i < len(alarm) and alarm[i]):
        return None
    observed = float(_at(data, "observed", i) or 0)
    expected = _at(data, "expected", i)
    upper = _at(data, "upperbound", i)
    details: dict[str, Any] = {"observed": observed, "expected": expected, "upperbound": upper}
    if row.method == Method.FARRINGTON:
        details["week_start"] = (day - timedelta(days=6)).isoformat()
        details["week_end"] = day.isoformat()
    else:
        details["days"] = _run_of_alarms(alarm, i)
    if row.method == Method.CUSUM:
        details["cusum"] = _at(data, "cusum", i)
    if row.method == Method.EARS_C3:
        details["alpha"] = EARS_ALPHA_C3
    return Signal(row.division_code, row.level, row.method, observed, expected, upper, details)


def rt_signal(row: SeriesResult, day: date, cfg: NightlySettings) -> Signal | None:
    """R_t's lower bound above the limit for the last rt_alert_days days, with enough cases."""
    data = row.data
    t = data.get("t") or []
    n = cfg.rt_alert_days
    if not t or t[-1] != day.isoformat() or len(t) < n:
        return None
    lower = (data.get("lower") or [])[-n:]
    if len(lower) < n or any(v is None or not v > cfg.rt_alert_limit for v in lower):
        return None
    cases = sum(float(v or 0) for v in (data.get("cases") or [])[-n:])
    if cases < cfg.rt_alert_min_cases:
        return None
    mean, upper, low = _at(data, "mean", -1), _at(data, "upper", -1), lower[-1]
    details = {"days": n, "limit": cfg.rt_alert_limit, "mean": mean, "lower": low,
               "upper": upper, "cases": cases, "min_lower": min(lower)}
    return Signal(row.division_code, row.level, Method.RT, float(mean or 0), None,
                  cfg.rt_alert_limit, details)


def scan_signal(cluster: ScanCluster) -> Signal:
    details = {"observed": cluster.observed, "expected": cluster.expected,
               "p_value": cluster.p_value, "llr": cluster.llr, "radius_km": cluster.radius_km,
               "divisions": len(cluster.division_codes), "division_codes": cluster.division_codes,
               "start": cluster.start.isoformat(), "end": cluster.end.isoformat(),
               "rank": cluster.rank, "centre_code": cluster.centre_code,
               "member_counts": cluster.member_counts}
    return Signal(cluster.focus_code, "county", Method.SCAN, float(cluster.observed),
                  cluster.expected, None, details, cluster=cluster)


def signals(run: WarningRun, cfg: NightlySettings) -> list[Signal]:
    """Every signal of the run's day, from its stored rows."""
    out: list[Signal] = []
    wanted = Q(method__in=ABERRATION_METHODS, level__in=list(cfg.aberration_alert_levels)) | Q(
        method=Method.RT, level="county", latest_lower__gt=cfg.rt_alert_limit)
    for row in run.series.filter(wanted).order_by("method", "division_code").iterator(2000):
        signal = (rt_signal(row, run.day, cfg) if row.method == Method.RT
                  else aberration_signal(row, run.day))
        if signal is None or (row.method != Method.RT
                              and signal.observed < cfg.aberration_alert_min_observed):
            continue
        out.append(signal)
    if not cfg.aberration_alert_upper_echoes:
        out = without_upper_echoes(out)
    out.extend(scan_signal(c) for c in run.clusters.order_by("rank"))
    return out


def without_upper_echoes(found: list[Signal]) -> list[Signal]:
    """`found` without the prefecture, province and nation aberration signals that repeat a
    county signal of the same method under them."""
    county = {(s.method, s.division_code) for s in found if s.level == Level.COUNTY}

    def echo(s: Signal) -> bool:
        if s.method not in ABERRATION_METHODS or s.level == Level.COUNTY:
            return False
        prefix = s.division_code[:PREFIX_LENGTH[s.level]]
        return any(m == s.method and code.startswith(prefix) for m, code in county)

    return [s for s in found if not echo(s)]


def alerts_raise(*, run: WarningRun, settings: NightlySettings | None = None,
                 now: datetime | None = None) -> dict[str, int]:
    """Create or update the alerts of the run's day (see the module docstring). `now` (default:
    the clock) starts a new alert's verification time: a replayed past night passes its own."""
    from shouwang.warning.services.notify import notify_alert

    cfg = settings or nightly_settings()
    now = now or timezone.now()
    found = signals(run, cfg)
    existing = {(a.division_code, a.method): a for a in Alert.objects.select_for_update()
                .filter(disease_id=run.disease_id, day=run.day)}
    counts = {"new": 0, "updated": 0, "unchanged": 0, "closed": 0}
    for s in found:
        alert = existing.get((s.division_code, s.method))
        if alert is None:
            alert = Alert.objects.create(
                disease_id=run.disease_id, division_code=s.division_code, level=s.level,
                method=s.method, day=run.day, run=run, observed=s.observed,
                expected=s.expected, threshold=s.threshold, details=s.details,
                cluster=s.cluster, verify_due_at=now + timedelta(hours=cfg.verify_hours))
            AlertHistory.objects.create(alert=alert, version=alert.version, kind="raise",
                                        to_status=alert.status, changes=s.numbers())
            notify_alert(alert, "new_alert")
            counts["new"] += 1
            continue
        relink: dict[str, Any] = {}
        if s.cluster is not None and alert.cluster_id != s.cluster.pk:
            relink["cluster"] = s.cluster   # the re-run replaced the cluster rows
        if alert.status in CLOSED:
            if relink:
                Alert.objects.filter(pk=alert.pk).update(**relink)
            counts["closed"] += 1
            continue
        old = {"observed": alert.observed, "expected": alert.expected,
               "threshold": alert.threshold, "details": alert.details}
        new = s.numbers()
        if old == new:
            Alert.objects.filter(pk=alert.pk).update(run=run, **relink)
            counts["unchanged"] += 1
            continue
        version = alert.version + 1
        Alert.objects.filter(pk=alert.pk).update(
            run=run, observed=s.observed, expected=s.expected, threshold=s.threshold,
            details=s.details, version=version, updated_at=now, **relink)
        AlertHistory.objects.create(
            alert=alert, version=version, kind="update", from_status=alert.status,
            to_status=alert.status,
            changes={k: [old[k], new[k]] for k in new if old[k] != new[k]})
        counts["updated"] += 1
    return counts
