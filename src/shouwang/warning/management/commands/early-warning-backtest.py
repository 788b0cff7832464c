"""`shouwang early-warning-backtest`: how well the nightly nowcast and forecast did on past nights.

Replays nights of one disease from the stored case reports with what was known on each night
(services/backtest.py, shouwang.epi.replay) and prints interval coverage and mean absolute error,
per day ahead for the forecasts and per lag for the nowcast; `--output` writes the same as CSV.
"""

from __future__ import annotations

import csv
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shouwang.warning.services.backtest import (
    LEVELS,
    BacktestError,
    StoredBacktest,
    backtest_stored,
)

INPUTS = (("platform", "reported by the night, nowcast-corrected (what the nightly job uses)"),
          ("reported", "reported by the night, uncorrected"),
          ("final", "every report, however late (the best possible input)"))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--until must be a date YYYY-MM-DD, got {text!r}") from None


def _pct(level: float) -> str:
    value = round(level * 100, 6)
    return str(int(value)) if float(value).is_integer() else str(value)


class Command(BaseCommand):
    help = ("Backtest the nightly nowcast and forecast of one disease on the stored case "
            "reports: interval coverage and mean absolute error on replayed past nights.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--disease", default="covid19",
                            help="disease code (default: covid19); it needs a serial interval")
        parser.add_argument("--level", choices=LEVELS, default="county",
                            help="divisions whose series are forecast (default: county)")
        parser.add_argument("--until", type=_day, default=None,
                            help="last onset day read, YYYY-MM-DD (default: the disease's last "
                                 "onset)")
        parser.add_argument("--days", type=int, default=120,
                            help="days of onsets read up to --until (default: 120)")
        parser.add_argument("--horizon", type=int, default=7,
                            help="days forecast ahead (default: 7)")
        parser.add_argument("--nights", type=int, default=8,
                            help="nights replayed (default: 8), the last --horizon days before "
                                 "--until")
        parser.add_argument("--step", type=int, default=7,
                            help="days between replayed nights (default: 7)")
        parser.add_argument("--samples", type=int, default=500,
                            help="forecast sample paths per series (default: 500)")
        parser.add_argument("--model", choices=("poisson", "negbin"), default=None,
                            help="offspring model of the forecast (default: the nightly job's, "
                                 "SHOUWANG_WARNING forecast_model: negbin)")
        parser.add_argument("--dispersion", type=float, default=None,
                            help="negative binomial k for --model negbin (default with the "
                                 "nightly job's model: its forecast_dispersion, 2)")
        parser.add_argument("--seed", type=int, default=1, help="sampling seed (default: 1)")
        parser.add_argument("--output", type=Path, default=None,
                            help="also write the tables as CSV to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=self.stdout,  # type: ignore[arg-type]  # a text stream
                          highlight=False, soft_wrap=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
        try:
            with Progress(*columns, console=console, transient=False) as bar:
                task = bar.add_task("回放 replay", total=options["nights"] + 4)

                def step(done: int, total: int, stage: str) -> None:
                    bar.update(task, completed=done, total=total,
                               description=f"回放 replay: {stage}")

                result = backtest_stored(
                    disease=options["disease"], level=options["level"],
                    until=options["until"], days=options["days"],
                    horizon=options["horizon"], nights=options["nights"],
                    step=options["step"], samples=options["samples"],
                    model=options["model"], dispersion=options["dispersion"],
                    seed=options["seed"], progress=step)
        except BacktestError as error:
            raise CommandError(str(error)) from error
        _print(console, result)
        if options["output"] is not None:
            _write_csv(options["output"], result)
            console.print(f"CSV: {options['output']}")


def _rows(result: StoredBacktest) -> tuple[list[str], list[list[object]]]:
    """One tidy table: forecast rows per input and day ahead, nowcast rows per lag."""
    levels = result.replay.final.levels
    header = ["part", "input", "step", "scored",
              *(f"coverage_{_pct(lv)}" for lv in levels), "mae", "bias", "mae_reported"]
    rows: list[list[object]] = []
    for name, _about in INPUTS:
        bt = getattr(result.replay, name)
        for h in range(bt.horizon):
            rows.append(["forecast", name, h + 1, bt.forecasts,
                         *(round(float(c), 4) for c in bt.coverage_by_day[:, h]),
                         round(float(bt.mae_by_day[h]), 3), "", ""])
        rows.append(["forecast", name, "all", bt.forecasts,
                     *(round(float(c), 4) for c in bt.coverage), round(bt.mae, 3),
                     round(bt.bias, 3), ""])
    nc = result.replay.nowcast
    lags = len(nc.mae_median_by_lag)
    per_lag = round(nc.cells / lags) if lags else 0
    for lag in range(lags):
        rows.append(["nowcast", "platform", lag, per_lag,
                     *(round(float(nc.coverage_by_lag[lv][lag]), 4) if lv in nc.coverage_by_lag
                       else "" for lv in levels),
                     round(float(nc.mae_median_by_lag[lag]), 3), "",
                     round(float(nc.mae_observed_by_lag[lag]), 3)])
    rows.append(["nowcast", "platform", "all", nc.cells,
                 *(round(nc.coverage[lv], 4) if lv in nc.coverage else "" for lv in levels),
                 round(nc.mae_median, 3), "", round(nc.mae_observed, 3)])
    return header, rows


def _write_csv(path: Path, result: StoredBacktest) -> None:
    header, rows = _rows(result)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _print(console: Console, result: StoredBacktest) -> None:
    console.print(
        f"{result.disease}, {result.level} level: {result.cases:,} reports with an onset from "
        f"{result.since} to {result.until} in {result.series} division(s); "
        f"{len(result.nights)} nights {result.nights[0]} … {result.nights[-1]}, "
        f"{result.horizon} days ahead ({result.seconds} s).")
    levels = result.replay.final.levels
    table = Table(title="预测回测 Forecast backtest (coverage of the central intervals, "
                        "mean absolute error and bias of the median)")
    for col in ("input", "forecasts", *(f"{_pct(lv)} %" for lv in levels), "MAE", "bias"):
        table.add_column(col)
    for name, _about in INPUTS:
        bt = getattr(result.replay, name)
        table.add_row(name, str(bt.forecasts), *(f"{c:.3f}" for c in bt.coverage),
                      f"{bt.mae:.2f}", f"{bt.bias:+.2f}")
    console.print(table)
    for name, about in INPUTS:
        console.print(f"  {name}: {about}")
    nc = result.replay.nowcast
    ntable = Table(title="现时推算回测 Nowcast backtest (last 14 onset days of each night)")
    for col in ("cells", *(f"{_pct(lv)} %" for lv in nc.coverage), "MAE (median)",
                "MAE (reported so far)"):
        ntable.add_column(col)
    ntable.add_row(str(nc.cells), *(f"{c:.3f}" for c in nc.coverage.values()),
                   f"{nc.mae_median:.2f}", f"{nc.mae_observed:.2f}")
    console.print(ntable)
