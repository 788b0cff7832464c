"""The backtest of the nightly nowcast and forecast on stored case reports (services/backtest.py
and `shouwang early-warning-backtest`)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from shouwang.epi.nowcast import CaseDays, NowcastOptions
from shouwang.epi.replay import replay
from shouwang.surveillance.models import CaseReport
from shouwang.warning.services.backtest import BacktestError, backtest_stored
from tests.warning.nightly_data import DAY, place_divisions, planted_outbreak, submit

SPLIT = 70  # the first cases have their onset 2 days before the report, the others 5


@pytest.fixture
def stored(divisions: None) -> list[tuple[str, date, date]]:
    """(county, onset, report day) of every stored case."""
    place_divisions()
    cases = planted_outbreak()
    submit(cases[:SPLIT], onset_lag=2)
    submit(cases[SPLIT:], start=SPLIT, onset_lag=5)
    return ([(c, d - timedelta(days=2), d) for c, d in cases[:SPLIT]]
            + [(c, d - timedelta(days=5), d) for c, d in cases[SPLIT:]])


def test_replays_the_stored_reports_exactly_as_the_science_on_the_same_cases(
        stored: list[tuple[str, date, date]]) -> None:
    assert CaseReport.objects.count() == len(stored)
    result = backtest_stored(disease="covid19", level="prefecture", days=45, horizon=5,
                             nights=3, step=4, samples=200)
    last_onset = max(onset for _c, onset, _r in stored)
    assert result.until == last_onset
    assert result.since == last_onset - timedelta(days=44)
    assert result.nights == [last_onset - timedelta(days=5 + 4 * k) for k in (2, 1, 0)]
    # 武昌区 and 洪山区 are both 武汉市; 芙蓉区 is 长沙市.
    assert result.series == 2
    kept = [(c, o, r) for c, o, r in stored if o >= result.since]
    assert result.cases == len(kept)
    # The same cases put through shouwang.epi.replay by hand give the same numbers.
    index = {"4201": 0, "4301": 1}
    cases = CaseDays(
        series=np.array([index[c[:4]] for c, _o, _r in kept]),
        event_day=np.array([(o - result.since).days for _c, o, _r in kept]),
        report_day=np.array([(r - result.since).days for _c, _o, r in kept]), n_series=2)
    origins = [(n - result.since).days + 1 for n in result.nights]
    by_hand = replay(cases, origins, horizon=5, mean_si=4.7, std_si=2.9, samples=200, seed=1,
                     model="negbin", dispersion=2.0,  # the nightly job's forecast model
                     nowcast_options=NowcastOptions(window=28, levels=(0.95,), pool=True,
                                                    seed=1))
    for name in ("platform", "reported", "final"):
        got, want = getattr(result.replay, name), getattr(by_hand, name)
        assert got.forecasts == want.forecasts > 0
        np.testing.assert_allclose(got.coverage, want.coverage)
        assert got.mae == pytest.approx(want.mae)
    assert result.replay.nowcast.cells == by_hand.nowcast.cells > 0


def test_the_command_prints_the_tables_and_writes_the_csv(
        stored: list[tuple[str, date, date]], tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "backtest.csv"
    call_command("early-warning-backtest", "--days", "45", "--horizon", "5", "--nights", "3",
                 "--step", "4", "--samples", "200", "--level", "nation", "--output",
                 str(target), stdout=out)
    text = out.getvalue()
    assert "Forecast backtest" in text and "Nowcast backtest" in text
    assert "platform" in text and "reported" in text and "final" in text
    with target.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["part", "input", "step", "scored", "coverage_50", "coverage_90",
                             "coverage_95", "mae", "bias", "mae_reported"]
    forecast = [r for r in rows if r["part"] == "forecast"]
    assert len(forecast) == 3 * (5 + 1)
    assert {r["input"] for r in forecast} == {"platform", "reported", "final"}
    nowcast = [r for r in rows if r["part"] == "nowcast"]
    assert [r["step"] for r in nowcast] == [*map(str, range(14)), "all"]
    for r in forecast:
        assert 0.0 <= float(r["coverage_95"]) <= 1.0 and float(r["mae"]) >= 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"disease": "no_such"}, "unknown disease 'no_such'"),
    ({"disease": "hfmd"}, "hfmd has no serial interval"),
    ({"level": "township"}, "level must be one of county, prefecture, province, nation"),
    ({"days": 10}, "days must be ≥ 30, got 10"),
    ({"days": 30, "nights": 4}, r"leaves 2 day\(s\) of onsets before it; R needs 8"),
])
def test_bad_options_say_which(divisions: None, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(BacktestError, match=message):
        backtest_stored(**{"disease": "covid19", "until": DAY, **kwargs})  # type: ignore[arg-type]


def test_no_reports_is_an_error_not_a_crash(divisions: None) -> None:
    with pytest.raises(BacktestError, match="covid19 has no case report with an onset date"):
        backtest_stored(disease="covid19")
    with pytest.raises(CommandError, match="no case with an onset"):
        call_command("early-warning-backtest", "--until", DAY.isoformat(), stdout=io.StringIO())
    with pytest.raises(CommandError, match="--until must be a date"):
        call_command("early-warning-backtest", "--until", "31/05/2026", stdout=io.StringIO())


def test_the_nightly_forecast_model_is_checked() -> None:
    from django.core.exceptions import ImproperlyConfigured

    from shouwang.warning.services.nightly_config import NightlySettings

    assert NightlySettings().forecast_model == "negbin"
    with pytest.raises(ImproperlyConfigured, match="forecast_model must be 'poisson' or 'negbin'"):
        NightlySettings(forecast_model="gauss")
    with pytest.raises(ImproperlyConfigured, match="forecast_dispersion must be > 0"):
        NightlySettings(forecast_dispersion=0.0)
