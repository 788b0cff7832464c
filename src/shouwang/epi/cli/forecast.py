"""`shouwang epi forecast`: incidence 1 … horizon days ahead by the renewal equation, with
R_t uncertainty, per count column: median, mean and central prediction intervals."""

from __future__ import annotations

import argparse
from datetime import timedelta

from shouwang.epi.cli.io import EpiInputError, SeriesTable, add_io_arguments, write_rows
from shouwang.epi.cli.rt import (
    add_serial_interval_arguments,
    read_incidence,
    serial_interval_kwargs,
)
from shouwang.epi.forecast import Forecast, forecast

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


def run(args: argparse.Namespace) -> None:
    table, imported = read_incidence(args)
    levels = _levels(args.levels)
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
