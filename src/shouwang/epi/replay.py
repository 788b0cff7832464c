"""What the nightly nowcast and forecast would have said on past nights, against what followed.

`shouwang.epi.forecast.backtest` forecasts from the *final* counts before each origin: every case
with its onset before the origin, however late it was reported. On the night itself the platform
knows less — the cases of the last days are still coming in — so it raises the last days to the
nowcast median first (`nowcast_corrected`) and forecasts from that. `replay` scores the three
inputs side by side from one table of cases:

- ``platform``: the counts reported by the night, nowcast-corrected (what the nightly job does);
- ``reported``: the counts reported by the night, uncorrected (what a naive system would do);
- ``final``: the final counts (the best any forecast could start from; the usual backtest);

together with the nowcast's own backtest on the same nights. Same numbering as the backtest: an
origin o means that days 0 … o−1 are over, so the night is day o−1 and the forecast covers days
o … o+horizon−1; the truth is the final count of those days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from shouwang.epi import forecast as fc
from shouwang.epi import nowcast as nc


@dataclass(frozen=True)
class Replay:
    """Forecast backtests for each input, and the nowcast backtest on the same nights."""

    platform: fc.Backtest
    reported: fc.Backtest
    final: fc.Backtest
    nowcast: nc.Backtest


def onset_counts(cases: nc.CaseDays, *, days: int, night: int | None = None
                 ) -> NDArray[np.float64]:
    """(series, days) cases by onset day 0 … days−1; with `night`, only those reported by then."""
    keep = (cases.event_day >= 0) & (cases.event_day < days)
    if night is not None:
        keep &= cases.report_day <= night
    flat = cases.series[keep] * days + cases.event_day[keep]
    return (np.bincount(flat, minlength=cases.n_series * days)
            .reshape(cases.n_series, days).astype(np.float64))


def corrected_onsets(cases: nc.CaseDays, *, night: int, max_delay: int,
                     options: nc.NowcastOptions) -> NDArray[np.float64]:
    """The onset counts of days 0 … night as the nightly job would use them on `night`: those
    reported by then, the last days raised to the nowcast median (series without a case in the
    nowcast's rows are left as they are)."""
    known = onset_counts(cases, days=night + 1, night=night)
    rows = (options.window if options.window is not None else 2 * max_delay) + max_delay
    rows = min(rows, night + 1)
    if rows <= max_delay:
        return known
    tri = nc.triangle_from_cases(cases.event_day, cases.report_day, now=night, days=rows,
                                 max_delay=max_delay, series=cases.series,
                                 n_series=cases.n_series)
    active = np.flatnonzero(np.nansum(tri, axis=(1, 2)) > 0)
    if active.size == 0:
        return known
    medians = np.full((cases.n_series, rows), np.nan)
    medians[active] = nc.nowcast(tri[active], options).median
    return nc.nowcast_corrected(known, medians)


def replay(cases: nc.CaseDays, origins: Sequence[int], *, horizon: int, mean_si: float,
           std_si: float, window: int = 7, max_delay: int = 14,
           nowcast_options: nc.NowcastOptions | None = None, samples: int = 500,
           seed: int = 0, model: fc.Model = "poisson", dispersion: float | None = None,
           levels: Sequence[float] = fc.DEFAULT_LEVELS, min_recent_cases: int = 1,
           progress: Callable[[int, int, str], None] | None = None) -> Replay:
    """Replay the nowcast and the forecast at each origin (see the module's docstring).

    `cases` holds one entry per case with an onset (day numbers ≥ 0); each origin needs
    window + 1 ≤ o and o + horizon ≤ the last onset day + 1. The nowcast defaults to the nightly
    job's: a pooled delay distribution over 28 rows, 95 % intervals. A series takes part at an
    origin when the input *it would have had* holds ≥ `min_recent_cases` cases in the last
    `window` days, so the three inputs may score slightly different sets of series.
    """
    opts = nowcast_options or nc.NowcastOptions(window=28, levels=(0.95,), pool=True, seed=seed)
    days = int(cases.event_day.max(initial=-1)) + 1
    if days == 0:
        raise fc.ForecastInputError("no case has an onset day: nothing to replay")
    final = onset_counts(cases, days=days)
    total = len(origins) + 4
    report = progress or (lambda done, total, stage: None)
    platform_inputs: dict[int, NDArray[np.float64]] = {}
    for n, o in enumerate(origins, start=1):
        if o not in platform_inputs:
            platform_inputs[o] = corrected_onsets(cases, night=o - 1, max_delay=max_delay,
                                                  options=opts)
        report(n, total, "nowcast")

    def reported_input(o: int) -> NDArray[np.float64]:
        return onset_counts(cases, days=o, night=o - 1)

    def score(known: Callable[[int], NDArray[np.float64]] | None, step: int,
              stage: str) -> fc.Backtest:
        result = fc.backtest(final, known=known, horizon=horizon, origins=origins,
                             mean_si=mean_si, std_si=std_si, window=window, samples=samples,
                             seed=seed, model=model, dispersion=dispersion, levels=levels,
                             min_recent_cases=min_recent_cases)
        report(len(origins) + step, total, stage)
        return result

    platform = score(platform_inputs.__getitem__, 1, "forecast (platform)")
    reported = score(reported_input, 2, "forecast (reported)")
    final_score = score(None, 3, "forecast (final)")
    nowcast = nc.backtest(cases, [o - 1 for o in origins], max_delay=max_delay, options=opts)
    report(total, total, "nowcast backtest")
    return Replay(platform=platform, reported=reported, final=final_score, nowcast=nowcast)


__all__ = ["Replay", "corrected_onsets", "onset_counts", "replay"]
