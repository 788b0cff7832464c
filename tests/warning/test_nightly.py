"""The nightly early-warning job on a planted outbreak: results stored per division and method,
alerts with their numbers, idempotent re-runs, failures that leave nothing half-written."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import translation

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
from shouwang.warning.reasons import alert_reason
from shouwang.warning.services import nightly_compute
from shouwang.warning.services.nightly import run_early_warning
from shouwang.warning.services.nightly_config import NightlySettings
from tests.warning.nightly_data import (
    DAY,
    OUTBREAK,
    OUTBREAK_COUNTY,
    place_divisions,
    planted_outbreak,
    submit,
)

# Fewer samples and replicates than the nightly defaults: the same code, quicker.
FAST = NightlySettings(nowcast_samples=200, forecast_samples=200, scan_replicates=99)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def outbreak(divisions: None) -> None:
    place_divisions()
    submit(planted_outbreak())


def _rows() -> list[tuple[Any, ...]]:
    return sorted(SeriesResult.objects.values_list("method", "division_code", "level", "data",
                                                   "latest"))


def test_planted_outbreak_raises_a_c3_alert_that_says_its_numbers(outbreak: None) -> None:
    figures = run_early_warning(day=DAY, settings=FAST)
    run = WarningRun.objects.get(day=DAY, disease_id="covid19")
    assert run.status == RunStatus.DONE and figures["failed"] == 0
    assert set(run.figures["seconds"]) >= {"read", "rt", "nowcast", "forecast", "ears", "cusum",
                                           "scan", "write", "alerts"}
    alert = Alert.objects.get(disease_id="covid19", division_code=OUTBREAK_COUNTY,
                              method=Method.EARS_C3, day=DAY)
    assert alert.status == AlertStatus.NEW and alert.run == run and alert.level == "county"
    # R's C3 leaves the day's own C2 term out of its bound, so it fires from the second day of
    # the rise (12 cases on day 1 stayed under 14.2); by the third its bound is 0.
    assert alert.observed == OUTBREAK[-1] and alert.details["days"] == 2
    assert alert.expected == pytest.approx(9 / 7, abs=1e-3) and alert.threshold == 0
    assert alert_reason(alert) == "C3 连续 2 天超过阈值：观察 16，期望 1.3，阈值 0"
    with translation.override("en"):
        assert alert_reason(alert) == (
            "C3 above threshold for 2 days: observed 16, expected 1.3, threshold 0")
    assert AlertHistory.objects.filter(alert=alert, kind="raise", version=1).count() == 1
    # The county's alert is in the inboxes of its city, province and the nation; their own C3
    # alarms only repeat it, so they are not alerts of their own (aberration_alert_upper_echoes)…
    levels = set(Alert.objects.filter(method=Method.EARS_C3).values_list("level", flat=True))
    assert levels == {"county"}
    # …unless asked for.
    run_early_warning(day=DAY, settings=replace(FAST, aberration_alert_upper_echoes=True))
    levels = set(Alert.objects.filter(method=Method.EARS_C3).values_list("level", flat=True))
    assert levels == {"county", "prefecture", "province", "nation"}
    # A quiet county raised nothing.
    assert not Alert.objects.filter(division_code="430102", method=Method.EARS_C3).exists()


def test_every_method_stores_series_for_every_level(outbreak: None) -> None:
    run_early_warning(day=DAY, settings=FAST)
    stored = set(SeriesResult.objects.values_list("method", "division_code"))
    for method in ("rt", "nowcast", "forecast", "ears_c1", "ears_c2", "ears_c3", "cusum"):
        for code in (OUTBREAK_COUNTY, "420100", "420000", "000000"):
            assert (method, code) in stored, (method, code)
    assert ("rt", "420606") not in stored   # no case: no series
    rt = SeriesResult.objects.get(method="rt", division_code=OUTBREAK_COUNTY)
    assert len(rt.data["t"]) == 60 and rt.data["t"][-1] == DAY.isoformat()
    assert set(rt.data) == {"t", "mean", "sd", "lower", "median", "upper", "cases"}
    assert rt.latest == rt.data["mean"][-1] and rt.latest_lower == rt.data["lower"][-1]
    nation = SeriesResult.objects.get(method="ears_c1", division_code="000000").data
    county = [SeriesResult.objects.get(method="ears_c1", division_code=c).data["observed"]
              for c in ("420106", "420111", "430102")]
    assert nation["observed"] == [sum(v) for v in zip(*county, strict=True)]
    forecast = SeriesResult.objects.get(method="forecast", division_code=OUTBREAK_COUNTY).data
    assert len(forecast["t"]) == 14 and all(
        lo <= md <= hi for lo, md, hi in zip(forecast["lower"], forecast["median"],
                                             forecast["upper"], strict=True))
    nowcast = SeriesResult.objects.get(method="nowcast", division_code=OUTBREAK_COUNTY).data
    assert nowcast["t"][-1] == DAY.isoformat() and len(nowcast["t"]) == 42
    # Onsets two days before the report: the last two onset days are not reported yet.
    assert nowcast["observed"][-1] == 0 and nowcast["observed"][-3] == OUTBREAK[-1]


def test_a_cluster_counts_its_members_and_names_the_one_with_most_cases() -> None:
    import numpy as np

    rng = np.random.default_rng(5)
    codes = [f"4201{i:02d}" for i in range(1, 21)]
    lat = 30.0 + rng.uniform(0, 0.5, 20)
    lon = 114.0 + rng.uniform(0, 0.5, 20)
    days = [DAY - timedelta(days=27 - k) for k in range(28)]
    report = rng.poisson(2.0, (20, 28)).astype(float)
    # Surges in two counties on either side of a third with no case, away from the rest: the
    # best circle is centred on the county in the middle.
    lat[2:5], lon[2:5] = 31.0, [115.0, 114.9, 115.1]
    report[2] = 0
    report[3, -5:] += [6, 9, 14, 18, 25]
    report[4, -5:] += [5, 8, 13, 17, 22]
    clusters, _notes = nightly_compute.scan_clusters(codes, report, lat, lon, days, FAST)
    assert clusters
    for c in clusters:
        assert len(c.member_counts) == len(c.division_codes)
        assert sum(c.member_counts) == c.observed
        assert c.focus_code == c.division_codes[c.member_counts.index(max(c.member_counts))]
    first = clusters[0]
    assert first.centre_code == codes[2] and first.focus_code == codes[3]
    assert first.member_counts[first.division_codes.index(codes[2])] == 0


def test_rerun_replaces_results_and_never_duplicates_alerts(outbreak: None) -> None:
    run_early_warning(day=DAY, settings=FAST)
    rows, alerts = _rows(), sorted(Alert.objects.values_list("pk", "division_code", "method"))
    history = AlertHistory.objects.count()
    run_id = WarningRun.objects.get().pk

    run_early_warning(day=DAY, settings=FAST)
    assert WarningRun.objects.get().pk == run_id
    assert _rows() == rows
    assert sorted(Alert.objects.values_list("pk", "division_code", "method")) == alerts
    assert AlertHistory.objects.count() == history   # same numbers: nothing to record


def test_rerun_updates_open_alerts_and_leaves_dismissed_ones(outbreak: None) -> None:
    echoes = replace(FAST, aberration_alert_upper_echoes=True)   # the city's alert too
    run_early_warning(day=DAY, settings=echoes)
    county = Alert.objects.get(division_code=OUTBREAK_COUNTY, method=Method.EARS_C3)
    city = Alert.objects.get(division_code="420100", method=Method.EARS_C3)
    Alert.objects.filter(pk=county.pk).update(status=AlertStatus.DISMISSED,
                                              dismissed_reason="集体食堂已排查")
    # Four more cases reported on the day in 武昌区.
    submit([(OUTBREAK_COUNTY, DAY)] * 4, start=500)
    run_early_warning(day=DAY, settings=echoes)

    county.refresh_from_db()
    assert county.status == AlertStatus.DISMISSED and county.observed == OUTBREAK[-1]
    assert county.version == 1 and not county.history.filter(kind="update").exists()
    city.refresh_from_db()
    assert city.status == AlertStatus.NEW and city.version == 2
    before = OUTBREAK[-1] + 1   # 洪山区 had a case that day too
    assert city.observed == before + 4
    update = city.history.get(kind="update")
    assert update.changes["observed"] == [before, before + 4]
    assert Alert.objects.filter(division_code="420100", method=Method.EARS_C3).count() == 1


def test_a_failing_method_fails_the_run_and_writes_nothing(
        outbreak: None, monkeypatch: pytest.MonkeyPatch) -> None:
    run_early_warning(day=DAY, settings=FAST)
    assert SeriesResult.objects.exists() and Alert.objects.exists()
    alerts = Alert.objects.count()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("CUSUM exploded")

    monkeypatch.setattr(nightly_compute, "cusum_rows", broken)
    submit([(OUTBREAK_COUNTY, DAY)] * 4, start=500)
    figures = run_early_warning(day=DAY, settings=FAST)
    run = WarningRun.objects.get()
    assert figures["failed"] == 1 and run.status == RunStatus.FAILED
    assert "CUSUM exploded" in run.failure and run.finished_at is not None
    assert not SeriesResult.objects.filter(run=run).exists()
    assert not ScanCluster.objects.filter(run=run).exists()
    assert Alert.objects.count() == alerts
    assert not AlertHistory.objects.filter(kind="update").exists()


def test_a_failing_write_rolls_back_every_row(
        outbreak: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from shouwang.warning.services import nightly

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("alerts table locked")

    monkeypatch.setattr(nightly, "alerts_raise", broken)
    run_early_warning(day=DAY, settings=FAST)
    run = WarningRun.objects.get()
    assert run.status == RunStatus.FAILED and "alerts table locked" in run.failure
    assert not SeriesResult.objects.exists() and not Alert.objects.exists()


def test_a_day_without_cases_is_a_no_op(divisions: None) -> None:
    figures = run_early_warning(day=DAY, settings=FAST)
    assert figures["runs"] == 0 and "no active disease" in figures["note"]
    assert not WarningRun.objects.exists() and not Alert.objects.exists()


def test_a_disease_without_serial_interval_gets_no_rt(divisions: None) -> None:
    place_divisions()
    submit(planted_outbreak()[:60])
    from shouwang.surveillance.models import CaseReport, DailyCount

    CaseReport.objects.update(disease_id="hfmd")
    DailyCount.objects.update(disease_id="hfmd")
    run_early_warning(day=DAY, settings=FAST)
    run = WarningRun.objects.get(disease_id="hfmd")
    assert run.status == RunStatus.DONE and "serial interval" in run.figures["rt"]
    methods = set(SeriesResult.objects.values_list("method", flat=True))
    assert "rt" not in methods and "forecast" not in methods and "ears_c3" in methods


def test_run_jobs_command_runs_the_night(outbreak: None) -> None:
    out = io.StringIO()
    call_command("run-jobs", "early-warning", "--date", DAY.isoformat(), stdout=out)
    assert f"early-warning {DAY.isoformat()}:" in out.getvalue()
    assert WarningRun.objects.get().status == RunStatus.DONE


def test_celery_task_runs_the_night(outbreak: None, settings: Any) -> None:
    from shouwang.config.celery import app
    from shouwang.warning.tasks import EARLY_WARNING_TASK, early_warning

    settings.SHOUWANG_WARNING = {"scan_replicates": 99, "nowcast_samples": 200,
                                 "forecast_samples": 200}
    result = early_warning.apply(kwargs={"day": DAY.isoformat()}).get()
    assert result["runs"] == 1 and WarningRun.objects.get().status == RunStatus.DONE
    assert app.conf.beat_schedule["warning-early-warning"]["task"] == EARLY_WARNING_TASK


def test_the_night_of_a_small_demo_outbreak_completes(
        divisions: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo builder's outbreak, a few hundred cases through the bulk importer."""
    from django.db.models import Max

    from shouwang.accounts.roles import Role
    from shouwang.demo import DemoContext, Scale
    from shouwang.surveillance import demo
    from shouwang.surveillance.models import DailyCount
    from tests.factories import make_user

    place_divisions()
    monkeypatch.setitem(demo.MAX_CASES, "tiny", 300)
    make_user(Role.NATIONAL_OFFICER, "000000", username=demo.REPORTER)
    demo.build_demo_outbreak(DemoContext(scale=Scale("tiny", "4201", 200, ""), seed=1,
                                         out=io.StringIO()))
    last = DailyCount.objects.filter(basis="report").aggregate(day=Max("day"))["day"]
    figures = run_early_warning(day=last, settings=FAST)
    run = WarningRun.objects.get()
    assert run.status == RunStatus.DONE, run.failure
    assert figures["series"] == SeriesResult.objects.count() > 0
    assert run.figures["cases"]["report"] > 0
    assert {"rt", "nowcast", "forecast", "ears_c3", "cusum"} <= set(run.figures["series"])


def test_rt_reads_onset_counts_raised_to_the_nowcast_on_the_last_days() -> None:
    import numpy as np

    from shouwang.warning.services.nightly_compute import nowcast_corrected

    onset = np.array([[5.0, 5, 5, 5, 2, 1], [3, 3, 3, 3, 3, 3]])
    medians = np.array([[5.0, 4.6, 4.4], [np.nan, 2.0, 3.6]])  # the last three days
    out = nowcast_corrected(onset, medians)
    # Raised where the nowcast expects more cases than reported so far, never lowered, left
    # alone where there is no nowcast; the days before the nowcast's are untouched.
    np.testing.assert_array_equal(out, [[5, 5, 5, 5, 5, 4], [3, 3, 3, 3, 3, 4]])
    np.testing.assert_array_equal(onset[0], [5, 5, 5, 5, 2, 1])  # the input is not changed
