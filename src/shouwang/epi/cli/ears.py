"""`shouwang epi ears`: EARS C1/C2/C3 on each count column, as R's surveillance::earsC."""

from __future__ import annotations

import argparse

from shouwang.epi.cli.io import (
    EpiInputError,
    SeriesTable,
    add_io_arguments,
    read_series,
    write_rows,
)
from shouwang.epi.ears import METHODS, CountsError, ears_c


def read_regular(args: argparse.Namespace, *, step_days: int | None = None) -> SeriesTable:
    """The counts of args.input, whose dates (if the time column holds dates) must be equally
    spaced — every `step_days` days when given — since each row is one time step."""
    table = read_series(args.input, time_column=args.time_column,
                        columns=args.columns.split(",") if args.columns else None,
                        allow_date_gaps=True)
    if table.dates is not None and len(table.dates) > 1:
        steps = {(b - a).days for a, b in zip(table.dates, table.dates[1:], strict=False)}
        wanted = step_days or (table.dates[1] - table.dates[0]).days
        if steps != {wanted}:
            row, before, after = next(
                (i, a, b) for i, (a, b) in enumerate(zip(table.dates, table.dates[1:],
                                                         strict=False), start=3)
                if (b - a).days != wanted)
            expected = (f"rows must be {wanted} days apart" if step_days else
                        f"the first rows are {wanted} day(s) apart")
            raise EpiInputError(
                f"{args.input}: row {row}, column {table.time_name!r}: {after} is "
                f"{(after - before).days} day(s) after {before}, but {expected}; one row per "
                "time step (fill missing steps with 0)")
    return table


def observed_cell(value: float) -> object:
    """A count as R prints it: an integer when it is one."""
    return int(value) if float(value).is_integer() else float(value)

HELP = "EARS C1/C2/C3 aberration detection (surveillance::earsC): upperbound and alarm per step"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    parser.add_argument("--method", choices=METHODS, default="C1",
                        help="C1: baseline just before the day; C2: baseline lagged 2 days; "
                             "C3: sum of the last 3 C2 statistics")
    parser.add_argument("--baseline", type=int, default=7,
                        help="number of reference time steps, at least 3")
    parser.add_argument("--alpha", type=float, default=None,
                        help="one-sided level; None means R's: 0.001 for C1/C2, 0.025 for C3")
    parser.add_argument("--min-sigma", type=float, default=0.0,
                        help="floor for the baseline standard deviation (R's minSigma)")
    parser.add_argument("--range-start", type=int, default=None,
                        help="first time step to evaluate, 1-based row number as R's range; "
                             "None means baseline+1 for C1, +3 for C2, +5 for C3")
    parser.add_argument("--range-end", type=int, default=None,
                        help="last time step to evaluate, 1-based; None means the last row")


def run(args: argparse.Namespace) -> None:
    table = read_regular(args)
    try:
        result = ears_c(table.counts, method=args.method, baseline=args.baseline,
                        min_sigma=args.min_sigma, alpha=args.alpha,
                        range_start=args.range_start, range_end=args.range_end)
    except CountsError as error:
        raise EpiInputError(f"{args.input}: {error}") from error
    several = len(table.names) > 1
    header = (["series"] if several else []) + ["t", "observed", "expected", "upperbound",
                                                 "alarm"]
    defined = result.alarm_defined
    rows = []
    for s, name in enumerate(table.names):
        for j, t in enumerate(result.t):
            alarm: object = bool(result.alarm[s, j]) if defined[s, j] else "NA"
            row = [table.times[t - 1], observed_cell(result.observed[s, j]),
                   float(result.expected[s, j]), float(result.upperbound[s, j]), alarm]
            rows.append(([name] if several else []) + row)
    write_rows(args.output, header, rows)
