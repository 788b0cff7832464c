"""`shouwang epi nowcast`: the latest days corrected for reporting delay, with intervals.

INPUT is either case-level (one row per case: event_date, report_date and optionally series) or
a reporting triangle of one series (event_date and delay columns d0 … dD, cells after --now left
empty). The output has one row per series and event date from the first event date to --now:
date, series, observed, nowcast (chain ladder), median, lower_95, upper_95, lower_90, upper_90.
"""

from __future__ import annotations

import argparse
import csv
import re
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.cli.io import EpiInputError, add_io_arguments, read_series, write_rows
from shouwang.epi.nowcast import (
    CaseDays,
    NowcastInputError,
    NowcastOptions,
    backtest,
    check_triangle,
    nowcast,
    triangle_from_cases,
)

HELP = ("Nowcast the latest days corrected for reporting delay (chain-ladder delay "
        "distribution, negative-binomial prediction intervals)")

LEVELS = (0.95, 0.90)
HEADER = ["date", "series", "observed", "nowcast", "median",
          "lower_95", "upper_95", "lower_90", "upper_90"]
_DELAY_COLUMN = re.compile(r"^d(\d+)$")
DEFAULT_MAX_DELAY = 14
SINGLE_SERIES = "all"


_IO_HELP = {
    "input": "CSV, case-level (event_date, report_date[, series]: one row per case) or a "
             "triangle of one series (event_date, d0 … dD: cases by event date and delay)",
    "time_column": "the column of event (onset) dates (default: event_date, else the first)",
    "columns": "triangle input: the delay columns d0 … dD (default: every column named dN)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    for action in parser._actions:  # the shared options, told what they mean here
        if action.dest in _IO_HELP:
            action.help = _IO_HELP[action.dest]
    parser.add_argument("--now", required=True, type=_iso_date,
                        help="the day of the nowcast (ISO date); cases reported later are "
                             "left out of case-level input")
    parser.add_argument("--max-delay", type=int, default=None,
                        help=f"longest delay D in days; later reports count at D (default: "
                             f"{DEFAULT_MAX_DELAY} for case-level input, the last delay column "
                             f"of a triangle)")
    parser.add_argument("--window", type=int, default=28,
                        help="days before --now whose rows estimate the delay distribution "
                             "(≥ the maximum delay; the input must span window + 1 days)")
    parser.add_argument("--samples", type=int, default=1000,
                        help="Monte Carlo samples for the median and the intervals")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random numbers")
    parser.add_argument("--pool", action="store_true",
                        help="estimate one delay distribution from all series together")
    parser.add_argument("--report-column", default="report_date",
                        help="case-level input: the column of report dates")
    parser.add_argument("--series-column", default="series",
                        help="case-level input: the optional column naming each case's series")
    parser.add_argument("--backtest", type=int, default=0, metavar="N",
                        help="case-level input: instead of one nowcast, nowcast on --now and the "
                             "N−1 days every --backtest-step days before it, each with only the "
                             "reports known then, and write the coverage of the 90 %% and 95 %% "
                             "intervals and the mean absolute errors against all cases in the "
                             "file, by lag (now − event date) and overall (row lag 'all'); "
                             "--now should lie at least --max-delay days before the last report")
    parser.add_argument("--backtest-step", type=int, default=7,
                        help="days between the nowcasts of --backtest")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> None:
    path = Path(args.input)
    header = _header(path)
    event_column = args.time_column or ("event_date" if "event_date" in header else header[0])
    try:
        options = NowcastOptions(window=args.window, samples=args.samples, seed=args.seed,
                                 pool=args.pool)
    except NowcastInputError as error:
        raise EpiInputError(str(error)) from None
    now: date = args.now
    if args.backtest:
        _backtest(path, header, event_column, args, options)
        return
    if args.report_column in header:
        names, start, tri = _from_cases(path, header, event_column, args, now)
    else:
        names, start, tri = _from_triangle(path, header, event_column, args, now)
    try:
        result = nowcast(tri, options)
    except NowcastInputError as error:
        raise EpiInputError(f"{path}: {error}") from None
    days = tri.shape[1]
    rows = []
    for s, name in enumerate(names):
        for t in range(days):
            point = float(result.nowcast[s, t])
            rows.append([
                date.fromordinal(start + t).isoformat(), name, _whole(result.observed[s, t]),
                point, _whole(result.median[s, t]),
                *(_whole(bound[level][s, t]) for level in LEVELS
                  for bound in (result.lower, result.upper)),
            ])
    write_rows(args.output, HEADER, rows)


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _header(path: Path) -> list[str]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            first = next(csv.reader(handle), [])
    except OSError as error:
        raise EpiInputError(f"{path}: cannot read ({error.strerror})") from error
    if not first:
        raise EpiInputError(f"{path}: empty file, expected a header row")
    return [h.strip() for h in first]


BACKTEST_HEADER = ["lag", "cells", "coverage_90", "coverage_95", "mae_nowcast", "mae_median",
                   "mae_observed"]


def _backtest(path: Path, header: list[str], event_column: str, args: argparse.Namespace,
              options: NowcastOptions) -> None:
    if args.report_column not in header:
        raise EpiInputError(f"{path}: --backtest needs case-level input (a column "
                            f"{args.report_column!r})")
    if args.backtest < 1 or args.backtest_step < 1:
        raise EpiInputError("--backtest and --backtest-step must be ≥ 1")
    names, event, report, series = _read_cases(path, header, event_column, args)
    cases = CaseDays(series=series, event_day=event, report_day=report, n_series=len(names))
    last = args.now.toordinal()
    nows = [last - k * args.backtest_step for k in range(args.backtest)][::-1]
    max_delay = args.max_delay if args.max_delay is not None else DEFAULT_MAX_DELAY
    try:
        result = backtest(cases, nows, max_delay=max_delay, options=options)
    except NowcastInputError as error:
        raise EpiInputError(f"{path}: {error}") from None
    per_lag = result.cells // max_delay
    rows: list[list[object]] = [
        [lag, per_lag, float(result.coverage_by_lag[0.90][lag]),
         float(result.coverage_by_lag[0.95][lag]), float(result.mae_by_lag[lag]),
         float(result.mae_median_by_lag[lag]), float(result.mae_observed_by_lag[lag])]
        for lag in range(max_delay)]
    rows.append(["all", result.cells, result.coverage[0.90], result.coverage[0.95],
                 result.mae_nowcast, result.mae_median, result.mae_observed])
    write_rows(args.output, BACKTEST_HEADER, rows)


def _read_cases(path: Path, header: list[str], event_column: str, args: argparse.Namespace,
                ) -> tuple[list[str], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Series names and, per case, event and report day numbers and series index."""
    if event_column not in header:
        raise EpiInputError(f"{path}: no column {event_column!r} (columns: {', '.join(header)})")
    i_event, i_report = header.index(event_column), header.index(args.report_column)
    i_series = header.index(args.series_column) if args.series_column in header else None
    events: list[int] = []
    reports: list[int] = []
    labels: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row_number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            row = row + [""] * (len(header) - len(row))
            event_day = _cell_date(path, row_number, event_column, row[i_event])
            report_day = _cell_date(path, row_number, args.report_column, row[i_report])
            if report_day < event_day:
                raise EpiInputError(
                    f"{path}: row {row_number}, column {args.report_column!r}: reported "
                    f"{report_day.isoformat()} before its event date {event_day.isoformat()}")
            events.append(event_day.toordinal())
            reports.append(report_day.toordinal())
            labels.append(row[i_series].strip() if i_series is not None else SINGLE_SERIES)
    if not events:
        raise EpiInputError(f"{path}: no data rows")
    names = sorted(set(labels))
    index = {name: k for k, name in enumerate(names)}
    series = np.asarray([index[label] for label in labels], dtype=np.int64)
    return (names, np.asarray(events, dtype=np.int64), np.asarray(reports, dtype=np.int64),
            series)


def _from_cases(path: Path, header: list[str], event_column: str, args: argparse.Namespace,
                now: date) -> tuple[list[str], int, NDArray[np.float64]]:
    names, event, report, series = _read_cases(path, header, event_column, args)
    known = report <= now.toordinal()
    if not np.any(known):
        raise EpiInputError(f"{path}: no case reported on or before {now.isoformat()}")
    start = int(event[known].min())
    max_delay = args.max_delay if args.max_delay is not None else DEFAULT_MAX_DELAY
    try:
        tri = triangle_from_cases(event, report, now=now.toordinal(),
                                  days=now.toordinal() - start + 1, max_delay=max_delay,
                                  series=series, n_series=len(names))
    except NowcastInputError as error:
        raise EpiInputError(f"{path}: {error}") from None
    return names, start, tri


def _cell_date(path: Path, row_number: int, column: str, cell: str) -> date:
    text = cell.strip()
    if text == "" or text.upper() in {"NA", "NAN"}:
        raise EpiInputError(f"{path}: row {row_number}, column {column!r}: missing date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise EpiInputError(
            f"{path}: row {row_number}, column {column!r}: {text!r} is not an ISO date") from None


def _from_triangle(path: Path, header: list[str], event_column: str, args: argparse.Namespace,
                   now: date) -> tuple[list[str], int, NDArray[np.float64]]:
    if args.columns:
        columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    else:
        columns = [h for h in header if _DELAY_COLUMN.match(h)]
    if not columns:
        raise EpiInputError(
            f"{path}: neither case-level (no column {args.report_column!r}) nor a triangle "
            f"(no delay columns d0, d1, …); columns: {', '.join(header)}")
    delays = [_DELAY_COLUMN.match(c) for c in columns]
    if any(m is None for m in delays) or [int(m.group(1)) for m in delays if m] != list(
            range(len(columns))):
        raise EpiInputError(f"{path}: delay columns must be d0, d1, … dD in order, got "
                            f"{', '.join(columns)}")
    max_delay = len(columns) - 1
    if args.max_delay is not None and args.max_delay != max_delay:
        raise EpiInputError(f"{path}: --max-delay {args.max_delay} differs from the triangle's "
                            f"delay columns d0 … d{max_delay}")
    table = read_series(path, time_column=event_column, columns=columns, allow_missing=True)
    if table.dates is None:
        raise EpiInputError(f"{path}: column {event_column!r} must hold ISO dates")
    last = table.dates[-1]
    if last > now:
        raise EpiInputError(
            f"{path}: observed cells after now: event date {last.isoformat()} is after --now "
            f"{now.isoformat()}")
    if last < now:
        raise EpiInputError(f"{path}: the triangle ends on {last.isoformat()}, before --now "
                            f"{now.isoformat()}; it needs a row for every day up to now")
    try:
        tri = check_triangle(table.counts.T[None])
    except NowcastInputError as error:
        raise EpiInputError(f"{path}: {_with_dates(str(error), table.times)}") from None
    return [SINGLE_SERIES], table.dates[0].toordinal(), tri


def _with_dates(message: str, times: list[str]) -> str:
    """Name rows by their event date rather than their index in the triangle."""
    return re.sub(r"day (\d+)", lambda m: f"day {times[int(m.group(1))]}"
                  if int(m.group(1)) < len(times) else m.group(0), message)
