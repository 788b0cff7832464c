"""`shouwang epi scan`: prospective space-time permutation scan over location centroids.

Counts come long (one row per date and location: `date,location,count`; rows left out are zero
cases, and every day from the first to the last date is in the study) or wide (a time column and
one count column per location, read by read_series). Coordinates come from --locations, a CSV with
columns location, lon, lat in degrees; every location listed there is on the map, with zero cases
when the counts do not mention it. The study ends on the last day of the counts.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from shouwang.epi.cli.io import EpiInputError, add_io_arguments, read_series, write_rows
from shouwang.epi.scan import ScanInputError, ScanOptions, space_time_permutation_scan

HELP = ("Space-time permutation scan (Kulldorff 2005): the most likely and secondary "
        "non-overlapping clusters ending on the last day, with Monte Carlo p-values")

COLUMNS = ["cluster", "centre", "locations", "radius_km", "start", "end", "observed", "expected",
           "ratio", "llr", "p_value"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_io_arguments(parser)
    parser.epilog = (
        "INPUT is long (columns date, location, count; absent rows are zero cases; dates or "
        "integer time steps) or wide (a time column and one count column per location). "
        "Sizes larger than the data (more locations or days than there are) are clamped to it. "
        "Output: one row per cluster, the most likely first; locations are ';'-separated, "
        "nearest to the centre first; p_value is NA with --replicates 0.")
    parser.add_argument("--locations", required=True,
                        help="CSV with columns location, lon, lat (degrees): the centroids")
    parser.add_argument("--max-locations", type=int, default=30,
                        help="largest circle, in locations including its centre")
    parser.add_argument("--max-days", type=int, default=14,
                        help="longest window, in days ending on the last day")
    parser.add_argument("--replicates", type=int, default=999,
                        help="Monte Carlo replicates for the p-values (0: none)")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the replicates")
    parser.add_argument("--alpha", type=float, default=1.0,
                        help="report clusters with p-value ≤ alpha only")
    parser.add_argument("--min-cases", type=int, default=2,
                        help="fewest cases a cluster may hold (SaTScan's default, 2)")


def run(args: argparse.Namespace) -> None:
    try:
        options = ScanOptions(max_locations=args.max_locations, max_days=args.max_days,
                              replicates=args.replicates, seed=args.seed, alpha=args.alpha,
                              min_cases=args.min_cases)
    except ScanInputError as error:
        raise EpiInputError(str(error)) from None
    names, lon, lat = read_locations(args.locations)
    times, series, counts = read_counts(args)
    row_of = {name: i for i, name in enumerate(names)}
    table = np.zeros((len(names), len(times)), dtype=np.float64)
    for name, row in zip(series, counts, strict=True):
        if name not in row_of:
            raise EpiInputError(
                f"{args.locations}: coordinates missing for location {name!r} (in {args.input})")
        table[row_of[name]] = row
    try:
        result = space_time_permutation_scan(table, lon, lat, options)
    except ScanInputError as error:
        raise EpiInputError(f"{args.input}: {error}") from None
    notes = []
    if result.max_locations < options.max_locations:
        notes.append(f"max-locations clamped to {result.max_locations} (locations available)")
    if result.max_days < options.max_days:
        notes.append(f"max-days clamped to {result.max_days} (days available)")
    if not result.clusters:
        notes.append(f"no cluster: {result.total_cases} case(s), none above expectation")
    for note in notes:
        print(f"scan: {note}", file=sys.stderr)
    write_rows(args.output, COLUMNS, (
        (n, names[c.centre], ";".join(names[i] for i in c.locations), c.radius_km,
         times[c.start_day], times[c.end_day], c.observed, c.expected, c.ratio, c.llr, c.p_value)
        for n, c in enumerate(result.clusters, start=1)))


def read_locations(path: str | Path) -> tuple[list[str], NDArray[np.float64],
                                               NDArray[np.float64]]:
    """Names and centroids from a CSV with columns location, lon, lat."""
    header, body = _read_csv(path)
    for column in ("location", "lon", "lat"):
        if column not in header:
            raise EpiInputError(f"{path}: no column {column!r} (columns: {', '.join(header)})")
    at = {column: header.index(column) for column in ("location", "lon", "lat")}
    names: list[str] = []
    coords: list[tuple[float, float]] = []
    seen: set[str] = set()
    for row_number, row in body:
        name = _cell(row, at["location"])
        if not name:
            raise EpiInputError(f"{path}: row {row_number}, column 'location': missing name")
        if name in seen:
            raise EpiInputError(f"{path}: row {row_number}: location {name!r} listed twice")
        seen.add(name)
        values = []
        for column in ("lon", "lat"):
            cell = _cell(row, at[column])
            if cell == "" or cell.upper() in {"NA", "NAN"}:
                raise EpiInputError(f"{path}: row {row_number}, column {column!r}: coordinates "
                                    f"missing for location {name!r}")
            try:
                values.append(float(cell))
            except ValueError:
                raise EpiInputError(f"{path}: row {row_number}, column {column!r}: {cell!r} is "
                                    "not a number") from None
        names.append(name)
        coords.append((values[0], values[1]))
    xy = np.array(coords, dtype=np.float64)
    return names, xy[:, 0], xy[:, 1]


def read_counts(args: argparse.Namespace) -> tuple[list[str], list[str], NDArray[np.float64]]:
    """(time labels, location names, counts shaped (locations, times)) from a long or wide CSV."""
    header, _ = _read_csv(args.input)
    if "location" in header and "count" in header:
        return _read_long(args.input, args.time_column)
    table = read_series(args.input, time_column=args.time_column,
                        columns=args.columns.split(",") if args.columns else None)
    return table.times, table.names, table.counts


def _read_long(path: str | Path, time_column: str | None) -> tuple[
        list[str], list[str], NDArray[np.float64]]:
    header, body = _read_csv(path)
    time_name = time_column or next((h for h in header if h not in {"location", "count"}), None)
    if time_name is None or time_name not in header:
        raise EpiInputError(f"{path}: no time column besides 'location' and 'count'")
    t_at, l_at, c_at = header.index(time_name), header.index("location"), header.index("count")
    cells: dict[tuple[str, str], float] = {}
    for row_number, row in body:
        time, name, cell = _cell(row, t_at), _cell(row, l_at), _cell(row, c_at)
        if not time:
            raise EpiInputError(f"{path}: row {row_number}, column {time_name!r}: missing")
        if not name:
            raise EpiInputError(f"{path}: row {row_number}, column 'location': missing name")
        if cell == "" or cell.upper() in {"NA", "NAN"}:
            raise EpiInputError(f"{path}: row {row_number}, column 'count': missing count")
        try:
            value = float(cell)
        except ValueError:
            raise EpiInputError(
                f"{path}: row {row_number}, column 'count': {cell!r} is not a number") from None
        if not (math.isfinite(value) and value >= 0):
            raise EpiInputError(f"{path}: row {row_number}, column 'count': count {cell} must "
                                "be ≥ 0")
        if (time, name) in cells:
            raise EpiInputError(f"{path}: row {row_number}: a second row for {name!r} on {time}")
        cells[(time, name)] = value
    stamps = {time for time, _ in cells}
    labels, index = _time_axis(path, time_name, stamps)
    names = sorted({name for _, name in cells})
    row_of = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(labels)), dtype=np.float64)
    for (time, name), value in cells.items():
        counts[row_of[name], index[time]] = value
    return labels, names, counts


def _time_axis(path: str | Path, time_name: str,
               stamps: set[str]) -> tuple[list[str], dict[str, int]]:
    """Every day (or integer step) from the first to the last, and where each stamp falls."""
    try:
        days = {s: date.fromisoformat(s) for s in stamps}
    except ValueError:
        days = {}
    if days:
        first, last = min(days.values()), max(days.values())
        labels = [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
        return labels, {s: (d - first).days for s, d in days.items()}
    try:
        steps = {s: int(s) for s in stamps}
    except ValueError:
        raise EpiInputError(f"{path}: column {time_name!r} must hold ISO dates or integer time "
                            "steps") from None
    first_step, last_step = min(steps.values()), max(steps.values())
    return ([str(t) for t in range(first_step, last_step + 1)],
            {s: t - first_step for s, t in steps.items()})


def _read_csv(path: str | Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise EpiInputError(f"{path}: cannot read ({error.strerror})") from error
    if not rows or not rows[0]:
        raise EpiInputError(f"{path}: empty file, expected a header row")
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    if not body:
        raise EpiInputError(f"{path}: no data rows")
    return [h.strip() for h in rows[0]], body


def _cell(row: list[str], at: int) -> str:
    return row[at].strip() if at < len(row) else ""
