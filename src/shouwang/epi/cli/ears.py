"""`shouwang epi ears`: EARS C1/C2/C3 on each count column, as R's surveillance::earsC."""

from __future__ import annotations

import argparse

from shouwang.epi.cli.io import EpiInputError, add_io_arguments, read_series, write_rows
from shouwang.epi.ears import METHODS, CountsError, ears_c


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
                        help="one-sided level; default as R: 0.001 for C1/C2, 0.025 for C3")
    parser.add_argument("--min-sigma", type=float, default=0.0,
                        help="floor for the baseline standard deviation (R's minSigma)")
    parser.add_argument("--range-start", type=int, default=None,
                        help="first time step to evaluate, 1-based row number as R's range "
                             "(default: baseline+1 for C1, +3 for C2, +5 for C3)")
    parser.add_argument("--range-end", type=int, default=None,
                        help="last time step to evaluate, 1-based (default: the last row)")


def run(args: argparse.Namespace) -> None:
    table = read_series(args.input, time_column=args.time_column,
                        columns=args.columns.split(",") if args.columns else None)
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
