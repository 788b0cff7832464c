"""The backtest of the nightly nowcast and forecast on the stored case reports.

`shouwang early-warning-backtest` (decision 0910): replays past nights of one disease with what the
platform knew on each of them — the reports received by then, nowcast-corrected, as the nightly
job does — and scores the forecasts against the onsets finally reported, beside a forecast from
the uncorrected counts and one from the final counts (shouwang.epi.replay). The read is the
system's (like the nightly job's), for operators and analysts; it stores nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import numpy as np
from django.db.models import Max

from shouwang.epi.forecast import DEFAULT_LEVELS, ForecastInputError, Model
from shouwang.epi.nowcast import CaseDays, NowcastInputError, NowcastOptions
from shouwang.epi.replay import Replay, replay
from shouwang.geo.models import NATION_CODE
from shouwang.surveillance.models import CaseReport, CaseStatus, Disease
from shouwang.warning.selectors.triangle import onset_report_counts
from shouwang.warning.services.nightly_compute import LEVEL_WIDTHS
from shouwang.warning.services.nightly_config import nightly_settings, serial_intervals

LEVELS = tuple(level for level, _width in LEVEL_WIDTHS)


class BacktestError(ValueError):
    """Options the backtest cannot use, or data it cannot replay; the message says which."""


@dataclass(frozen=True)
class StoredBacktest:
    disease: str
    level: str
    since: date              # the first onset day read
    until: date              # the last onset day read (the truth ends here)
    nights: list[date]       # the replayed nights, oldest first
    horizon: int
    series: int              # divisions of the level with a case
    cases: int               # reports with an onset in since … until
    replay: Replay
    seconds: float


def backtest_stored(*, disease: str, level: str = "county", until: date | None = None,
                    days: int = 120, horizon: int = 7, nights: int = 8, step: int = 7,
                    samples: int = 500, model: Model | None = None,
                    dispersion: float | None = None, seed: int = 1,
                    levels: tuple[float, ...] = DEFAULT_LEVELS,
                    progress: Callable[[int, int, str], None] | None = None) -> StoredBacktest:
    """Replay `nights` nights `step` days apart, the last `horizon` days before `until` (default:
    the disease's last onset), with `days` days of onsets up to `until`. The forecast model is
    the nightly job's unless `model` (and `dispersion` for negbin) are given."""
    started = time.perf_counter()
    if level not in LEVELS:
        raise BacktestError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    for name, value, low in (("days", days, 30), ("horizon", horizon, 1), ("nights", nights, 1),
                             ("step", step, 1), ("samples", samples, 100)):
        if value < low:
            raise BacktestError(f"{name} must be ≥ {low}, got {value}")
    if not Disease.objects.filter(code=disease).exists():
        raise BacktestError(f"unknown disease {disease!r}")
    si = serial_intervals().get(disease)
    if si is None:
        raise BacktestError(
            f"{disease} has no serial interval (warning/data/serial_intervals.csv): the nightly "
            "job makes no forecast for it, so there is nothing to backtest")
    if until is None:
        until = (CaseReport.objects.filter(status=CaseStatus.ACTIVE, disease_id=disease)
                 .aggregate(last=Max("onset_date"))["last"])
        if until is None:
            raise BacktestError(f"{disease} has no case report with an onset date")
    since = until - timedelta(days=days - 1)
    cfg = nightly_settings()
    if model is None:
        model = cast("Model", cfg.forecast_model)  # checked in the settings
        dispersion = cfg.forecast_dispersion if model == "negbin" else None
    last_night = until - timedelta(days=horizon)
    night_list = [last_night - timedelta(days=k * step) for k in range(nights)][::-1]
    first_origin = (night_list[0] - since).days + 1
    if first_origin < cfg.rt_window + 1:
        raise BacktestError(
            f"the first night {night_list[0]} leaves {first_origin} day(s) of onsets before it; "
            f"R needs {cfg.rt_window + 1}: read more days, or replay fewer nights")
    cases, series = _case_days(disease, since, until, level)
    if cases.event_day.size == 0:
        raise BacktestError(f"{disease} has no case with an onset from {since} to {until}")
    opts = NowcastOptions(window=cfg.nowcast_window, samples=cfg.nowcast_samples,
                          levels=(0.95,), pool=True, seed=seed)
    try:
        result = replay(cases, [(n - since).days + 1 for n in night_list], horizon=horizon,
                        mean_si=si.mean, std_si=si.sd, window=cfg.rt_window,
                        max_delay=cfg.nowcast_max_delay, nowcast_options=opts, samples=samples,
                        seed=seed, model=model, dispersion=dispersion, levels=levels,
                        progress=progress)
    except (ForecastInputError, NowcastInputError) as error:
        raise BacktestError(str(error)) from error
    return StoredBacktest(disease=disease, level=level, since=since, until=until,
                          nights=night_list, horizon=horizon, series=series,
                          cases=int(cases.event_day.size), replay=result,
                          seconds=round(time.perf_counter() - started, 2))


def _case_days(disease: str, since: date, until: date, level: str) -> tuple[CaseDays, int]:
    """One entry per case with its onset in since … until: its division of `level` (a series
    index), onset day and report day (numbered from `since`). A report dated before its onset
    counts on the onset day, as in the nightly triangle."""
    width = dict(LEVEL_WIDTHS)[level]
    index: dict[str, int] = {}
    series, onset, report, weight = [], [], [], []
    for county, onset_date, report_day, n in onset_report_counts(
            disease=disease, since=since, until=until):
        if onset_date is None or report_day is None:
            continue
        key = NATION_CODE if width == 0 else county[:width]
        series.append(index.setdefault(key, len(index)))
        day = (onset_date - since).days
        onset.append(day)
        report.append(max((report_day - since).days, day))
        weight.append(n)
    repeat = np.asarray(weight, dtype=np.int64)
    cases = CaseDays(series=np.repeat(np.asarray(series, dtype=np.int64), repeat),
                     event_day=np.repeat(np.asarray(onset, dtype=np.int64), repeat),
                     report_day=np.repeat(np.asarray(report, dtype=np.int64), repeat),
                     n_series=max(len(index), 1))
    return cases, len(index)


__all__ = ["LEVELS", "BacktestError", "StoredBacktest", "backtest_stored"]
