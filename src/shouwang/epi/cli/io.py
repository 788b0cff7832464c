"""CSV in, CSV out for the analyst's commands.

Input: a header row; the first column (or --time-column) holds ISO dates or integer time steps;
the count columns (all others, or the ones named with --columns) each hold one series. Output
columns carry the names R prints, so results compare with R line by line.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import numpy.typing as npt


class EpiInputError(ValueError):
    """Input a method cannot use; the message names the file, row and column."""


@dataclass(frozen=True)
class SeriesTable:
    time_name: str
    times: list[str]            # as written in the file
    dates: list[date] | None    # parsed when the time column holds ISO dates, else None
    names: list[str]            # one per series
    counts: npt.NDArray[np.float64]  # shape (len(names), len(times)); NaN where missing


def read_series(path: str | Path, *, time_column: str | None = None,
                columns: Sequence[str] | None = None, allow_missing: bool = False,
                allow_date_gaps: bool = False) -> SeriesTable:
    """Read a table of series; counts must be non-negative numbers.

    Missing cells are an error unless allow_missing (then NaN). Dates must be consecutive days
    unless allow_date_gaps, so a gap in a daily file is never silently read as adjacent days.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        raise EpiInputError(f"{path}: cannot read ({error.strerror})") from error
    if not rows or not rows[0]:
        raise EpiInputError(f"{path}: empty file, expected a header row")
    header = [h.strip() for h in rows[0]]
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    if not body:
        raise EpiInputError(f"{path}: no data rows")
    time_name = time_column or header[0]
    if time_name not in header:
        raise EpiInputError(f"{path}: no column {time_name!r} (columns: {', '.join(header)})")
    t_index = header.index(time_name)
    wanted = list(columns) if columns else [h for i, h in enumerate(header) if i != t_index]
    for name in wanted:
        if name not in header:
            raise EpiInputError(f"{path}: no column {name!r} (columns: {', '.join(header)})")
    if not wanted:
        raise EpiInputError(f"{path}: no count columns besides {time_name!r}")
    indices = [header.index(name) for name in wanted]
    counts = np.empty((len(wanted), len(body)), dtype=np.float64)
    times: list[str] = []
    for row_number, row in enumerate(body, start=2):
        if len(row) < len(header):
            row = row + [""] * (len(header) - len(row))
        times.append(row[t_index].strip())
        for k, (name, i) in enumerate(zip(wanted, indices, strict=True)):
            cell = row[i].strip()
            if cell == "" or cell.upper() in {"NA", "NAN"}:
                if not allow_missing:
                    raise EpiInputError(f"{path}: row {row_number}, column {name!r}: missing count")
                counts[k, row_number - 2] = math.nan
                continue
            try:
                value = float(cell)
            except ValueError:
                message = f"{path}: row {row_number}, column {name!r}: {cell!r} is not a number"
                raise EpiInputError(message) from None
            if value < 0 or not math.isfinite(value):
                raise EpiInputError(
                    f"{path}: row {row_number}, column {name!r}: count {cell} must be ≥ 0")
            counts[k, row_number - 2] = value
    dates = _parse_dates(path, time_name, times, allow_date_gaps)
    return SeriesTable(time_name, times, dates, wanted, counts)


def _parse_dates(path: Path, time_name: str, times: list[str],
                 allow_gaps: bool) -> list[date] | None:
    try:
        dates = [date.fromisoformat(t) for t in times]
    except ValueError:
        return None
    for row_number, (before, after) in enumerate(itertools.pairwise(dates), start=3):
        step = (after - before).days
        if step <= 0:
            raise EpiInputError(
                f"{path}: row {row_number}, column {time_name!r}: {after} does not follow {before}")
        if step != 1 and not allow_gaps:
            raise EpiInputError(
                f"{path}: row {row_number}, column {time_name!r}: gap of {step - 1} day(s) after "
                f"{before}; fill the missing days with 0 or pass --allow-date-gaps")
    return dates


def write_rows(path: str | Path | None, header: Sequence[str],
               rows: Iterable[Sequence[object]]) -> None:
    """Write CSV to path, or to stdout when path is None or '-'. Floats keep full precision."""
    def cell(value: object) -> object:
        if isinstance(value, float | np.floating):
            return "NA" if math.isnan(value) else repr(float(value))
        if isinstance(value, bool | np.bool_):
            return "TRUE" if value else "FALSE"
        return value

    if path is None or str(path) == "-":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([cell(v) for v in row] for row in rows)
        return
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([cell(v) for v in row] for row in rows)


def add_io_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every method shares: input, output, which columns hold time and counts."""
    parser.add_argument("input", help="CSV with a header row: a time column and count columns")
    parser.add_argument("-o", "--output", default="-", help="CSV to write ('-' for stdout)")
    parser.add_argument("--time-column", default=None,
                        help="column of ISO dates or integer time steps (default: the first)")
    parser.add_argument("--columns", default=None,
                        help="comma-separated count columns, one series each (default: all others)")



GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"


def write_graphml(path: str | Path, nodes: Sequence[dict[str, object]],
                  edges: Sequence[tuple[str, str]], *, directed: bool = True) -> None:
    """A GraphML file (Gephi, Cytoscape, yEd, networkx read it): nodes with their attributes
    (each dict's "id" and any int, float or str values), edges as (source id, target id)."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    kinds: dict[str, str] = {}
    for node in nodes:
        for key, value in node.items():
            if key == "id" or value is None:
                continue
            kind = ("int" if isinstance(value, int | np.integer) and not isinstance(value, bool)
                    else "double" if isinstance(value, float | np.floating) else "string")
            if kinds.get(key, kind) != kind:
                kind = "string"
            kinds[key] = kind
    for key, kind in kinds.items():
        ET.SubElement(root, f"{{{GRAPHML_NS}}}key", {"id": key, "for": "node",
                                                      "attr.name": key, "attr.type": kind})
    graph = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph",
                          {"id": "G", "edgedefault": "directed" if directed else "undirected"})
    for node in nodes:
        element = ET.SubElement(graph, f"{{{GRAPHML_NS}}}node", {"id": str(node["id"])})
        for key, value in node.items():
            if key == "id" or value is None:
                continue
            if isinstance(value, float | np.floating) and math.isnan(float(value)):
                continue
            data = ET.SubElement(element, f"{{{GRAPHML_NS}}}data", {"key": key})
            data.text = str(value)
    for n, (source, target) in enumerate(edges):
        ET.SubElement(graph, f"{{{GRAPHML_NS}}}edge",
                      {"id": f"e{n}", "source": str(source), "target": str(target)})
    ET.ElementTree(root).write(str(path), encoding="utf-8", xml_declaration=True)
