"""`shouwang epi forecast`: incidence 1 … horizon days ahead by the renewal equation, with
R_t uncertainty, per count column: median, mean and central prediction intervals."""

from __future__ import annotations

import argparse
from datetime import timedelta

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.cli.io import EpiInputError, SeriesTable, add_io_arguments, write_rows
from shouwang.epi.cli.rt import (
    add_serial_interval_arguments,
    read_incidence,
    serial_interval_kwargs,
)
from shouwang.epi.forecast import Forecast, backtest, forecast

HELP = ("forecast incidence by projecting the renewal equation with R_t drawn from its "
        "posterior (Cori et al. 2013): median and prediction intervals per day ahead")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    add_serial_interval_arguments(parser)
    parser.add_argument("--horizon", type=int, default=14, help="days to project, ≥ 1")
    parser.add_argument("--samples", type=int, default=1000,
                        help="simulated paths per series")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed: the same seed gives the same forecast")
    parser.add_argument("--window", type=int, default=7,
                        help="the last WINDOW days give the R_t posterior that R is drawn from")
    parser.add_argument("--r", type=float, default=None,
                        help="a fixed R for every series instead of the R_t posterior")
    parser.add_argument("--model", choices=("poisson", "negbin"), default="poisson",
                        help="daily draw around R × total infectiousness")
    parser.add_argument("--dispersion", type=float, default=None,
                        help="negative-binomial size k (variance μ + μ²/k); needed for negbin")
    parser.add_argument("--levels", default="50,90,95",
                        help="comma-separated central prediction intervals, in percent")
    parser.add_argument("--backtest", type=int, default=0, metavar="N",
                        help="instead of one forecast, forecast from N origins (the last one "
                             "HORIZON days before the end, the others every --backtest-step "
                             "days before it), each with only the days before it, and write the "
                             "coverage of each interval and the mean absolute error of the "
                             "median by day ahead and overall (row day_ahead 'all')")
    parser.add_argument("--backtest-step", type=int, default=7,
                        help="days between the origins of --backtest")
    parser.add_argument("--min-recent-cases", type=int, default=1,
                        help="--backtest leaves out a series at an origin when it had fewer "
                             "cases in the WINDOW days before it")


def run(args: argparse.Namespace) -> None:
    table, imported = read_incidence(args)
    levels = _levels(args.levels)
    if args.backtest:
        _backtest(args, table, imported, levels)
        return
    try:
        fc = forecast(table.counts, imported=imported, horizon=args.horizon,
                      samples=args.samples, seed=args.seed, window=args.window, r=args.r,
                      mean_prior=args.mean_prior, std_prior=args.std_prior, model=args.model,
                      dispersion=args.dispersion, levels=[lv / 100 for lv in levels],
                      **serial_interval_kwargs(args))
    except ValueError as error:
        raise EpiInputError(f"{args.input}: {error}") from error
    write_rows(args.output, *forecast_rows(table, fc, levels))


def forecast_rows(table: SeriesTable, fc: Forecast,
                  levels: list[float]) -> tuple[list[str], list[list[object]]]:
    """One row per series and day ahead: time, series, median, mean, lower/upper per level."""
    time_name, future = _future_times(table, fc.horizon)
    header = [time_name, "series", "median", "mean"]
    for lv in levels:
        header += [f"lower_{_pct(lv)}", f"upper_{_pct(lv)}"]
    rows: list[list[object]] = []
    for i, name in enumerate(table.names):
        for h in range(fc.horizon):
            row: list[object] = [future[h], name, float(fc.median[i, h]), float(fc.mean[i, h])]
            for l_index in range(len(levels)):
                row += [float(fc.lower[i, l_index, h]), float(fc.upper[i, l_index, h])]
            rows.append(row)
    return header, rows


def _future_times(table: SeriesTable, horizon: int) -> tuple[str, list[object]]:
    """The projected days: ISO dates after the last date, else integer steps after the last."""
    if table.dates is not None:
        last = table.dates[-1]
        return "date", [(last + timedelta(days=h)).isoformat() for h in range(1, horizon + 1)]
    try:
        last_step = int(table.times[-1])
    except ValueError:
        last_step = len(table.times)
    return "t", [last_step + h for h in range(1, horizon + 1)]


def _levels(text: str) -> list[float]:
    try:
        levels = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise EpiInputError(f"--levels must be comma-separated percentages, got {text!r}") from None
    if not levels or any(not 0 < lv < 100 for lv in levels):
        raise EpiInputError(f"--levels must be percentages between 0 and 100, got {text!r}")
    return levels


def _pct(level: float) -> str:
    return str(int(level)) if float(level).is_integer() else str(level)


def _backtest(args: argparse.Namespace, table: SeriesTable,
              imported: NDArray[np.float64] | None, levels: list[float]) -> None:
    if args.backtest < 1 or args.backtest_step < 1:
        raise EpiInputError("--backtest and --backtest-step must be ≥ 1")
    if args.r is not None:
        raise EpiInputError("--backtest estimates R at each origin; it cannot take --r")
    last = table.counts.shape[1] - args.horizon
    origins = [last - k * args.backtest_step for k in range(args.backtest)][::-1]
    try:
        result = backtest(table.counts, imported=imported, horizon=args.horizon,
                          origins=origins, window=args.window,
                          mean_prior=args.mean_prior, std_prior=args.std_prior,
                          samples=args.samples, seed=args.seed, model=args.model,
                          dispersion=args.dispersion, levels=[lv / 100 for lv in levels],
                          min_recent_cases=args.min_recent_cases,
                          **serial_interval_kwargs(args))
    except ValueError as error:
        raise EpiInputError(f"{args.input}: {error}") from error
    header = ["day_ahead", "forecasts", *(f"coverage_{_pct(lv)}" for lv in levels), "mae"]
    rows: list[list[object]] = []
    for h in range(result.horizon):
        rows.append([h + 1, result.forecasts,
                     *(float(c) for c in result.coverage_by_day[:, h]),
                     float(result.mae_by_day[h])])
    rows.append(["all", result.forecasts, *(float(c) for c in result.coverage),
                 float(result.mae)])
    write_rows(args.output, header, rows)
