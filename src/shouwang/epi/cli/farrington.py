"""`shouwang epi farrington`: Farrington flexible on each weekly count column, as R's
surveillance::farringtonFlexible. With ISO dates in the time column (weekly, 7 days apart) the
reference weeks are found by calendar year, as R does for a dated sts (epochAsDate = TRUE);
with integer time steps, or --ignore-dates, they lie exactly --freq rows back
(epochAsDate = FALSE)."""

from __future__ import annotations

import argparse

from shouwang.epi.cli.ears import observed_cell, read_regular
from shouwang.epi.cli.io import EpiInputError, add_io_arguments, write_rows
from shouwang.epi.ears import CountsError
from shouwang.epi.farrington import (
    POWER_TRANSFORMS,
    THRESHOLD_METHODS,
    FarringtonControl,
    farrington_flexible,
)

HELP = ("Farrington flexible (surveillance::farringtonFlexible) on weekly counts: expected, "
        "upperbound and alarm per week")


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "1"}:
        return True
    if lowered in {"false", "no", "0"}:
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not TRUE or FALSE")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    d = FarringtonControl()
    parser.add_argument("--b", type=int, default=d.b, help="years back in the baseline")
    parser.add_argument("--w", type=int, default=d.w,
                        help="half-width of the window around each reference week")
    parser.add_argument("--no-periods", type=int, default=d.no_periods,
                        help="levels of the seasonal factor (Noufaily et al.: 10); 1 = only "
                             "the windows")
    parser.add_argument("--past-weeks-not-included", type=int, default=None,
                        help="recent weeks left out of the fit; None means w (Noufaily: 26)")
    parser.add_argument("--threshold-method", choices=THRESHOLD_METHODS,
                        default=d.threshold_method,
                        help="delta: Farrington 1996 power-transformed normal; nbPlugin / muan: "
                             "negative binomial quantile (Noufaily et al. 2013)")
    parser.add_argument("--alpha", type=float, default=d.alpha, help="one-sided level")
    parser.add_argument("--powertrans", choices=POWER_TRANSFORMS, default=d.powertrans,
                        help="power transformation of the delta method")
    parser.add_argument("--reweight", type=_flag, default=d.reweight,
                        help="down-weight past outbreaks by Anscombe residuals (TRUE/FALSE)")
    parser.add_argument("--weights-threshold", type=float, default=d.weights_threshold,
                        help="Anscombe residual above which a week is down-weighted")
    parser.add_argument("--trend", type=_flag, default=d.trend,
                        help="fit a time trend, kept when significant (TRUE/FALSE)")
    parser.add_argument("--p-threshold-trend", type=float, default=d.p_threshold_trend,
                        help="p-value below which the trend is kept")
    parser.add_argument("--limit54", type=float, nargs=2, default=list(d.limit54),
                        metavar=("CASES", "WEEKS"),
                        help="no upperbound/alarm unless ≥ CASES cases in the last WEEKS weeks")
    parser.add_argument("--freq", type=int, default=d.freq, help="time steps a year")
    parser.add_argument("--ignore-dates", action="store_true",
                        help="treat dated rows as plain time steps: reference weeks exactly "
                             "--freq rows back (R's epochAsDate = FALSE)")
    parser.add_argument("--range-start", type=int, default=None,
                        help="first week to evaluate, 1-based row number; None means "
                             "freq·b + w + 1, R's default")
    parser.add_argument("--range-end", type=int, default=None,
                        help="last week to evaluate, 1-based; None means the last row")


def run(args: argparse.Namespace) -> None:
    table = read_regular(args, step_days=None if args.ignore_dates else 7)
    dates = None if args.ignore_dates else table.dates
    cases, weeks = args.limit54
    try:
        if int(weeks) != weeks:
            raise CountsError(f"--limit54 WEEKS must be a whole number, got {weeks}")
        control = FarringtonControl(
            b=args.b, w=args.w, reweight=args.reweight, weights_threshold=args.weights_threshold,
            alpha=args.alpha, trend=args.trend, p_threshold_trend=args.p_threshold_trend,
            limit54=(cases, int(weeks)), powertrans=args.powertrans, no_periods=args.no_periods,
            past_weeks_not_included=args.past_weeks_not_included,
            threshold_method=args.threshold_method, freq=args.freq)
        result = farrington_flexible(table.counts, control, range_start=args.range_start,
                                     range_end=args.range_end, dates=dates)
    except CountsError as error:
        raise EpiInputError(f"{args.input}: {error}") from error
    several = len(table.names) > 1
    header = (["series"] if several else []) + ["t", "observed", "expected", "upperbound",
                                                 "alarm", "score", "pvalue", "trend", "phi"]
    rows = []
    for s, name in enumerate(table.names):
        for j, t in enumerate(result.t):
            fitted = bool(result.fitted[s, j])
            row = [table.times[t - 1], observed_cell(result.observed[s, j]),
                   float(result.expected[s, j]), float(result.upperbound[s, j]),
                   bool(result.alarm[s, j]) if fitted else "NA", float(result.score[s, j]),
                   float(result.pvalue[s, j]), int(result.trend[s, j]) if fitted else "NA",
                   float(result.phi[s, j])]
            rows.append(([name] if several else []) + row)
    write_rows(args.output, header, rows)
