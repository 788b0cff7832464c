"""Read the R fixtures of this directory (made by make_fixtures.R, surveillance 1.20.3)."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

HERE = Path(__file__).resolve().parent


def read_input(name: str) -> tuple[list[str], NDArray[np.float64]]:
    """input_<name>.csv as (series names, counts shaped (series, time))."""
    with (HERE / f"input_{name}.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    names = rows[0][1:]
    counts = np.array([[float(v) for v in row[1:]] for row in rows[1:]]).T
    return names, counts


def read_output(name: str) -> dict[str, NDArray[np.float64]]:
    """<name>.csv as columns shaped (series, time); NA → NaN, TRUE/FALSE → 1/0, series kept."""
    with (HERE / f"{name}.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    series = list(dict.fromkeys(row["series"] for row in rows))
    out: dict[str, NDArray[np.float64]] = {}
    for column in rows[0]:
        if column in {"series", "date"}:
            continue
        values = [{"NA": np.nan, "TRUE": 1.0, "FALSE": 0.0}.get(r[column]) for r in rows]
        flat = np.array([float(r[column]) if v is None else v for r, v in zip(rows, values,
                                                                              strict=True)])
        out[column] = flat.reshape(len(series), -1)
    return out


def read_dates(name: str) -> list[date]:
    """The date column of input_<name>.csv."""
    with (HERE / f"input_{name}.csv").open(newline="") as handle:
        return [date.fromisoformat(row["date"]) for row in csv.DictReader(handle)]


def cases(prefix: str) -> list[str]:
    return sorted(p.stem for p in HERE.glob(f"{prefix}_*.csv"))
