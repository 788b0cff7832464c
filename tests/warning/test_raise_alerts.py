"""Alerts from stored results: each rule, the upsert, the verification time and the notices."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone, translation

from shouwang.warning.models import (
    Alert,
    AlertStatus,
    Method,
    RunStatus,
    ScanCluster,
    SeriesResult,
    WarningRun,
)
from shouwang.warning.reasons import alert_reason
from shouwang.warning.services import notify
from shouwang.warning.services.nightly_config import NightlySettings, nightly_settings
from shouwang.warning.services.raise_alerts import alerts_raise

DAY = date(2026, 5, 31)
CFG = NightlySettings()


@pytest.fixture
def run(db: None) -> WarningRun:
    return WarningRun.objects.create(day=DAY, disease_id="covid19", basis="report",
                                     status=RunStatus.RUNNING)


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    calls: list[tuple[int, str]] = []

    def record(alert: Alert, kind: str, **kwargs: Any) -> list[Any]:
        calls.append((alert.pk, kind))
        return []

    monkeypatch.setattr(notify, "notify_alert", record)
    return calls


def _days(n: int) -> list[str]:
    return [(DAY - timedelta(days=n - 1 - i)).isoformat() for i in range(n)]


def rt_series(run: WarningRun, code: str, lower: list[float], cases: list[float],
              level: str = "county") -> SeriesResult:
    n = len(lower)
    return SeriesResult.objects.create(
        run=run, method=Method.RT, division_code=code, level=level,
        data={"t": _days(n), "mean": [v + 0.4 for v in lower], "sd": [0.1] * n,
              "lower": lower, "median": [v + 0.4 for v in lower],
              "upper": [v + 0.8 for v in lower], "cases": cases},
        latest=lower[-1] + 0.4, latest_lower=lower[-1], latest_upper=lower[-1] + 0.8)


def test_rt_lower_bound_above_one_for_seven_days_with_enough_cases(
        run: WarningRun, told: list[tuple[int, str]]) -> None:
    rt_series(run, "420106", [0.9] * 3 + [1.1] * 7, [2.0] * 10)                 # 14 cases
    rt_series(run, "420111", [0.9] * 4 + [1.1] * 6, [5.0] * 10)                 # six days
    rt_series(run, "430102", [1.2] * 10, [1.0] * 10)                            # 7 cases
    rt_series(run, "420100", [1.2] * 10, [9.0] * 10, level="prefecture")        # not a county
    assert alerts_raise(run=run, settings=CFG)["new"] == 1
    alert = Alert.objects.get()
    assert (alert.division_code, alert.method, alert.level) == ("420106", Method.RT, "county")
    assert alert.details["cases"] == 14 and alert.details["days"] == 7
    assert alert.threshold == 1.0 and alert.observed == pytest.approx(1.5)
    assert told == [(alert.pk, "new_alert")]
    assert alert_reason(alert) == ("Rt 的 95% 可信区间下限连续 7 天高于 1：最新 Rt 1.50"
                                   "（1.10–1.90），这些天发病 14 例")
    with translation.override("en"):
        assert alert_reason(alert) == (
            "Lower bound of Rt's 95% credible interval above 1 for 7 days: latest Rt 1.50 "
            "(1.10–1.90), 14 cases with onset in those days")


def test_rt_rule_follows_the_settings(run: WarningRun, told: list[tuple[int, str]]) -> None:
    rt_series(run, "430102", [1.2] * 10, [1.0] * 10)
    assert alerts_raise(run=run, settings=replace(CFG, rt_alert_min_cases=5))["new"] == 1


def _cluster(run: WarningRun, rank: int = 1) -> ScanCluster:
    # The circle is drawn around 武昌区, but the cases are in 洪山区.
    return ScanCluster.objects.create(
        run=run, rank=rank, centre_code="420106", focus_code="420111",
        division_codes=["420106", "420111"], member_counts=[0, 42], radius_km=8.5,
        start=DAY - timedelta(days=2), end=DAY, observed=42, expected=11.3, llr=20.1,
        p_value=0.002)


def test_a_cluster_alerts_where_its_cases_are_and_relinks_on_a_rerun(
        run: WarningRun, told: list[tuple[int, str]]) -> None:
    cluster = _cluster(run)
    alerts_raise(run=run, settings=CFG)
    alert = Alert.objects.get()
    assert alert.method == Method.SCAN and alert.cluster == cluster
    # Raised in the member with the cases, not at the circle's centre with none.
    assert alert.division_code == "420111" and alert.details["centre_code"] == "420106"
    assert alert.details["divisions"] == 2 and alert.expected == pytest.approx(11.3)
    assert alert_reason(alert) == ("时空聚集：2 个区划（半径 8.5 公里）2026-05-29 至 2026-05-31 "
                                   "观察 42 例，期望 11.3 例，P = 0.002")
    # A re-run replaces the cluster rows: the alert follows, nothing is raised twice.
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.CONFIRMED)
    cluster.delete()
    again = _cluster(run)
    counts = alerts_raise(run=run, settings=CFG)
    assert counts == {"new": 0, "updated": 0, "unchanged": 0, "closed": 1}
    alert.refresh_from_db()
    assert alert.cluster == again and alert.status == AlertStatus.CONFIRMED
    assert told == [(alert.pk, "new_alert")]


def _aberration(run: WarningRun, method: str, code: str, level: str,
                alarm_days: int = 1, observed: float = 9.0) -> None:
    n = 10
    SeriesResult.objects.create(
        run=run, method=method, division_code=code, level=level,
        data={"t": _days(n), "observed": [1.0] * (n - 1) + [observed], "expected": [1.0] * n,
              "upperbound": [4.0] * n, "alarm": [0] * (n - alarm_days) + [1] * alarm_days,
              "cusum": [0.0] * (n - 1) + [3.5]},
        latest=9.0, latest_upper=4.0)


def test_aberration_alarms_at_the_configured_levels(
        run: WarningRun, told: list[tuple[int, str]]) -> None:
    _aberration(run, Method.CUSUM, "420106", "county", alarm_days=3)
    _aberration(run, Method.FARRINGTON, "420100", "prefecture")
    _aberration(run, Method.EARS_C1, "420106", "county")   # C1 and C2 are stored, not alerted
    alerts_raise(run=run, settings=replace(CFG, aberration_alert_levels=("county",)))
    alert = Alert.objects.get()
    assert alert.method == Method.CUSUM and alert.details["days"] == 3
    assert alert_reason(alert) == "CUSUM 累积和 3.50 达到决策界（3 天）：观察 9，期望 1"
    alerts_raise(run=run, settings=CFG)
    farrington = Alert.objects.get(method=Method.FARRINGTON)
    with translation.override("en"):
        assert alert_reason(farrington) == (
            "Farrington flexible: week 2026-05-25 to 2026-05-31 observed 9, expected 1, "
            "upper bound 4")


def test_an_alarm_on_too_few_cases_is_no_alert(
        run: WarningRun, told: list[tuple[int, str]]) -> None:
    _aberration(run, Method.EARS_C3, "420106", "county", observed=2.0)
    _aberration(run, Method.CUSUM, "420111", "county", observed=3.0)
    alerts_raise(run=run, settings=CFG)
    assert list(Alert.objects.values_list("division_code", flat=True)) == ["420111"]
    alerts_raise(run=run, settings=replace(CFG, aberration_alert_min_observed=1))
    assert Alert.objects.count() == 2


def test_verification_time_comes_from_the_settings(
        run: WarningRun, told: list[tuple[int, str]], settings: Any) -> None:
    settings.SHOUWANG_ALERT_VERIFY_HOURS = 6
    settings.SHOUWANG_WARNING = {"rt_alert_min_cases": 1}
    cfg = nightly_settings()
    assert cfg.verify_hours == 6 and cfg.rt_alert_min_cases == 1
    _aberration(run, Method.EARS_C3, "420106", "county")
    before = timezone.now()
    alerts_raise(run=run)
    alert = Alert.objects.get()
    assert before + timedelta(hours=6) <= alert.verify_due_at <= timezone.now() + timedelta(
        hours=6)


def test_unknown_settings_are_refused(settings: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.SHOUWANG_WARNING = {"scan_pvalue": 0.01}
    with pytest.raises(ImproperlyConfigured, match="scan_pvalue"):
        nightly_settings()


def test_a_replayed_night_dates_the_verification_from_its_own_time(
        run: WarningRun, told: list[tuple[int, str]]) -> None:
    # The demo replays past nights: an alert of a night then is due a day after that night,
    # so the escalation job (also given that night's time) treats it as it would have then.
    night = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.get_current_timezone())
    _aberration(run, Method.EARS_C3, "420106", "county")
    alerts_raise(run=run, settings=CFG, now=night)
    alert = Alert.objects.get()
    assert alert.verify_due_at == night + timedelta(hours=CFG.verify_hours)


def test_upper_level_echoes_of_a_county_alarm_are_left_out_unless_asked_for(
        run: WarningRun, told: list[tuple[int, str]]) -> None:
    _aberration(run, Method.EARS_C3, "420106", "county")
    _aberration(run, Method.EARS_C3, "420100", "prefecture")    # echoes 420106
    _aberration(run, Method.EARS_C3, "420000", "province")      # echoes 420106
    _aberration(run, Method.CUSUM, "420100", "prefecture")      # no county CUSUM alarm
    _aberration(run, Method.EARS_C3, "430000", "province")      # no county of Hunan alarms
    _aberration(run, Method.EARS_C3, "430100", "prefecture", observed=2.0)  # too few cases
    _aberration(run, Method.EARS_C3, "430102", "county", observed=2.0)      # …so no echo
    assert CFG.aberration_alert_upper_echoes is False   # the default
    alerts_raise(run=run, settings=CFG)
    assert set(Alert.objects.values_list("division_code", "method")) == {
        ("420106", Method.EARS_C3), ("420100", Method.CUSUM), ("430000", Method.EARS_C3)}
    alerts_raise(run=run, settings=replace(CFG, aberration_alert_upper_echoes=True))
    assert Alert.objects.filter(method=Method.EARS_C3, level__in=(
        "prefecture", "province")).count() == 3
