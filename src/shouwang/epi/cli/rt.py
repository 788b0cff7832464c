"""`shouwang epi rt`: R_t per count column by Cori et al. (2013), as EpiEstim's estimate_R()$R."""

from __future__ import annotations

import argparse
import csv
import math
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.cli.io import (
    EpiInputError,
    SeriesTable,
    add_io_arguments,
    read_series,
    write_rows,
)
from shouwang.epi.rt import R_COLUMNS, PosteriorCVWarning, RtEstimate, estimate_r
from shouwang.epi.serial_interval import SI_SUM_TOLERANCE

HELP = ("R_t by Cori et al. 2013 (EpiEstim estimate_R, parametric or non-parametric serial "
        "interval): posterior mean, sd and quantiles per window")


def add_serial_interval_arguments(parser: argparse.ArgumentParser) -> None:
    """--si-mean/--si-sd or --si-distr, and the local/imported columns: shared with forecast."""
    group = parser.add_argument_group("serial interval (give --si-mean and --si-sd, or "
                                      "--si-distr)")
    group.add_argument("--si-mean", type=float, default=None,
                       help="mean serial interval in days, > 1 (EpiEstim parametric_si; "
                            "discretised as its discr_si)")
    group.add_argument("--si-sd", type=float, default=None,
                       help="standard deviation of the serial interval in days, > 0")
    group.add_argument("--si-distr", default=None, metavar="FILE",
                       help="CSV of the serial interval distribution (EpiEstim "
                            "non_parametric_si): one probability per row for 0, 1, 2, … days "
                            "(or rows 'day,p'), starting with 0 and summing to 1")
    group.add_argument("--si-sum-tolerance", type=float, default=SI_SUM_TOLERANCE,
                       help="how far from 1 the --si-distr probabilities may sum (EpiEstim's "
                            "0.01); they are used as given")
    cases = parser.add_argument_group("local and imported cases (instead of count columns)")
    cases.add_argument("--local-column", default=None,
                       help="column of locally infected cases (with --imported-column; one "
                            "series, other count columns are ignored)")
    cases.add_argument("--imported-column", default=None,
                       help="column of imported cases: they infect others but are not counted "
                            "as infected locally")
    prior = parser.add_argument_group("prior on R")
    prior.add_argument("--mean-prior", type=float, default=5.0,
                       help="mean of the Gamma prior on R (EpiEstim's mean_prior)")
    prior.add_argument("--std-prior", type=float, default=5.0,
                       help="standard deviation of the Gamma prior on R (EpiEstim's std_prior)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    add_serial_interval_arguments(parser)
    parser.add_argument("--window", type=int, default=7,
                        help="length in days of the sliding windows t_start = 2 … T−window+1 "
                             "(EpiEstim's weekly windows for 7)")
    parser.add_argument("--t-start", default=None,
                        help="comma-separated window starts as EpiEstim day numbers (row 1 is "
                             "day 1; each ≥ 2), with --t-end; instead of --window")
    parser.add_argument("--t-end", default=None,
                        help="comma-separated window ends, one per --t-start")
    parser.add_argument("--cv-posterior", type=float, default=0.3,
                        help="wanted posterior coefficient of variation: a warning names the "
                             "series with too few cases in their first window (EpiEstim's "
                             "cv_posterior)")


def run(args: argparse.Namespace) -> None:
    table, imported = read_incidence(args)
    si = serial_interval_kwargs(args)
    windows: dict[str, Any] = {}
    if args.t_start is not None or args.t_end is not None:
        windows = {"t_start": _int_list(args.t_start, "--t-start"),
                   "t_end": _int_list(args.t_end, "--t-end")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PosteriorCVWarning)
        try:
            est = estimate_r(table.counts, imported=imported, window=args.window,
                             mean_prior=args.mean_prior, std_prior=args.std_prior,
                             cv_posterior=args.cv_posterior, **si, **windows)
        except ValueError as error:
            raise EpiInputError(f"{args.input}: {error}") from error
    if any(issubclass(w.category, PosteriorCVWarning) for w in caught):
        names = [n for n, flag in zip(table.names, est.cv_warning, strict=True) if flag]
        print(f"warning: R estimated too early in the epidemic to get the desired posterior CV "
              f"({args.cv_posterior}) for: {', '.join(names)}", file=sys.stderr)
    write_rows(args.output, *rt_rows(table.names, est))


def rt_rows(names: list[str], est: RtEstimate) -> tuple[list[str], list[list[object]]]:
    """estimate_R()$R for every series; a leading `series` column when there are several."""
    several = len(names) > 1
    header = (["series"] if several else []) + list(R_COLUMNS)
    rows: list[list[object]] = []
    for i, name in enumerate(names):
        for j in range(est.t_start.size):
            values: list[object] = [int(est.t_start[j]), int(est.t_end[j]),
                                    float(est.mean[i, j]), float(est.std[i, j]),
                                    *(float(q) for q in est.quantiles[i, j])]
            rows.append(([name] if several else []) + values)
    return header, rows


def read_incidence(args: argparse.Namespace) -> tuple[SeriesTable, NDArray[np.float64] | None]:
    """The count columns, or the local column with the imported one beside it."""
    local, imported = args.local_column, args.imported_column
    if (local is None) != (imported is None):
        raise EpiInputError("give --local-column and --imported-column together")
    if local is None:
        table = read_series(args.input, time_column=args.time_column,
                            columns=args.columns.split(",") if args.columns else None)
        return table, None
    if args.columns:
        raise EpiInputError("--columns cannot be combined with --local-column/--imported-column")
    both = read_series(args.input, time_column=args.time_column, columns=[local, imported])
    table = SeriesTable(both.time_name, both.times, both.dates, [local], both.counts[:1])
    return table, both.counts[1:2]


def serial_interval_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """mean_si/std_si or si_distr for estimate_r and forecast, from the command line."""
    if args.si_distr is not None:
        if args.si_mean is not None or args.si_sd is not None:
            raise EpiInputError("give --si-distr or --si-mean/--si-sd, not both")
        return {"si_distr": read_si_distr(args.si_distr),
                "si_sum_tolerance": args.si_sum_tolerance}
    if args.si_mean is None or args.si_sd is None:
        raise EpiInputError("give the serial interval: --si-mean and --si-sd, or --si-distr FILE")
    return {"mean_si": args.si_mean, "std_si": args.si_sd}


def read_si_distr(path: str | Path) -> NDArray[np.float64]:
    """A serial-interval distribution from a CSV.

    Accepted shapes: one probability per row (days 0, 1, 2, …), rows ``day,p`` with days
    0, 1, 2, … in order, or one row of probabilities; an optional header row of names.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [[c.strip() for c in r] for r in csv.reader(handle) if any(c.strip() for c in r)]
    except OSError as error:
        raise EpiInputError(f"{path}: cannot read ({error.strerror})") from error
    if rows and not all(_is_number(c) for c in rows[0]):
        rows = rows[1:]
    if not rows:
        raise EpiInputError(f"{path}: no serial interval probabilities")
    for number, row in enumerate(rows, start=1):
        for cell in row:
            if not _is_number(cell):
                raise EpiInputError(f"{path}: data row {number}: {cell!r} is not a number")
    widths = {len(r) for r in rows}
    if len(rows) == 1:
        values = [float(c) for c in rows[0]]
    elif widths == {1}:
        values = [float(r[0]) for r in rows]
    elif widths == {2}:
        days = [float(r[0]) for r in rows]
        if days != list(range(len(rows))):
            raise EpiInputError(f"{path}: the day column must read 0, 1, 2, … in order")
        values = [float(r[1]) for r in rows]
    else:
        raise EpiInputError(f"{path}: expected one column of probabilities or 'day,p' rows")
    return np.asarray(values, dtype=np.float64)


def _is_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell))
    except ValueError:
        return False


def _int_list(text: str | None, option: str) -> list[float]:
    if text is None:
        raise EpiInputError("give --t-start and --t-end together")
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise EpiInputError(f"{option} must be comma-separated day numbers, got {text!r}") from None
