"""`shouwang epi cusum`: a CUSUM for counts on each count column, as R's surveillance::cusum."""

from __future__ import annotations

import argparse

from shouwang.epi.cli.ears import observed_cell, read_regular
from shouwang.epi.cli.io import EpiInputError, add_io_arguments, write_rows
from shouwang.epi.cusum import TRANSFORMS, cusum
from shouwang.epi.ears import CountsError

HELP = "CUSUM for counts (surveillance::cusum): upperbound and alarm per step"


def _m(text: str) -> float | str:
    if text in {"mean", "glm"}:
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--m: {text!r} is not 'mean', 'glm' or a number"
                                         ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    parser.add_argument("--range-start", type=int, required=True,
                        help="first time step to evaluate, 1-based row number (R's range[1]; "
                             "R has no default). The rows before it are the training period")
    parser.add_argument("--range-end", type=int, default=None,
                        help="last time step to evaluate, 1-based; None means the last row")
    parser.add_argument("--k", type=float, default=1.04, help="reference value k")
    parser.add_argument("--h", type=float, default=2.26, help="decision interval h")
    parser.add_argument("--m", type=_m, default="mean",
                        help="in-control mean: 'mean' of the training rows, 'glm' (Poisson GLM "
                             "with one harmonic on the training rows), or a number")
    parser.add_argument("--trans", choices=TRANSFORMS, default="standard",
                        help="standardisation of the counts")
    parser.add_argument("--alpha", type=float, default=0.1,
                        help="negative-binomial dispersion for --trans pearsonNegBin")
    parser.add_argument("--first-period", type=int, default=1,
                        help="--m glm: period of the first row within the year (R's start[2])")
    parser.add_argument("--freq", type=int, default=52,
                        help="--m glm: periods per year (52 weekly, 365 daily)")


def run(args: argparse.Namespace) -> None:
    table = read_regular(args)
    m = None if args.m == "mean" else args.m
    try:
        result = cusum(table.counts, range_start=args.range_start, range_end=args.range_end,
                       k=args.k, h=args.h, m=m, trans=args.trans, alpha=args.alpha,
                       first_period=args.first_period, freq=args.freq)
    except CountsError as error:
        raise EpiInputError(f"{args.input}: {error}") from error
    several = len(table.names) > 1
    header = (["series"] if several else []) + ["t", "observed", "expected", "upperbound",
                                                 "alarm", "cusum"]
    defined = result.alarm_defined
    rows = []
    for s, name in enumerate(table.names):
        for j, t in enumerate(result.t):
            alarm: object = bool(result.alarm[s, j]) if defined[s, j] else "NA"
            row = [table.times[t - 1], observed_cell(result.observed[s, j]),
                   float(result.expected[s, j]), float(result.upperbound[s, j]), alarm,
                   float(result.cusum[s, j])]
            rows.append(([name] if several else []) + row)
    write_rows(args.output, header, rows)
