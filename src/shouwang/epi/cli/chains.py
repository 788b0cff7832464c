"""`shouwang epi chains` (also `shouwang tracing analyze`): chain statistics of a line list with an
infector column, as JSON — roots, generations, chain sizes, the offspring distribution with its
negative binomial k, super-spreaders and the largest spreaders. No database.

The file is a published-style outbreak line list: one row per case, an id column, an infector
column (the id of the case that infected it; empty when unknown or imported) and optionally an
onset column (ISO dates or day numbers) for the serial interval and the onset check.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from shouwang.epi.chains import NO_INFECTOR, ChainInputError, analyse_chains
from shouwang.epi.cli.io import EpiInputError, write_graphml

HELP = "transmission-chain statistics of a line list with an infector column (JSON)"
TOP = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="CSV line list with a header row, one row per case")
    parser.add_argument("--id-column", required=True, help="column holding each case's id")
    parser.add_argument("--infector-column", required=True,
                        help="column holding the id of the case's infector (empty: unknown)")
    parser.add_argument("--onset-column", default=None,
                        help="column of onset dates (YYYY-MM-DD) or day numbers: adds the serial "
                             "interval and refuses infectees ill before their infector")
    parser.add_argument("--max-onset-lead", type=float, default=0.0,
                        help="days an infectee's onset may precede its infector's "
                             "(pre-symptomatic transmission)")
    parser.add_argument("--offspring-until", default=None,
                        help="fit R and k only over cases with an onset on or before this date "
                             "or day (later cases have not finished infecting others); needs "
                             "--onset-column")
    parser.add_argument("-o", "--output", default="-", help="JSON file to write ('-': stdout)")
    parser.add_argument("--graphml", default=None,
                        help="also write the chains as GraphML (infector → infectee edges; nodes "
                             "with chain root, generation, infectees and onset) for Gephi, "
                             "Cytoscape or networkx")


def _onset_days(path: Path, column: str, values: list[str]
                ) -> tuple[np.ndarray[Any, Any], bool]:
    """Day numbers (dates as ordinals) and whether any cell was a date."""
    out = np.full(len(values), np.nan)
    dated = False
    for i, text in enumerate(values):
        text = text.strip()
        if not text:
            continue
        try:
            out[i] = float(text)
            continue
        except ValueError:
            pass
        try:
            out[i] = date.fromisoformat(text).toordinal()
            dated = True
        except ValueError:
            raise EpiInputError(f"{path}: row {i + 2}, column {column!r}: {text!r} is neither a "
                                f"date (YYYY-MM-DD) nor a day number") from None
    return out, dated


def read_line_list(path: Path, id_column: str, infector_column: str,
                   onset_column: str | None) -> tuple[list[str], np.ndarray[Any, Any],
                                                      np.ndarray[Any, Any] | None, bool]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            rows = [r for r in reader if any(cell.strip() for cell in r)]
    except OSError as error:
        raise EpiInputError(f"{path}: cannot read ({error.strerror})") from error
    except UnicodeDecodeError:
        raise EpiInputError(f"{path}: not UTF-8 text") from None
    if not header:
        raise EpiInputError(f"{path}: empty file, expected a header row")
    wanted = [id_column, infector_column] + ([onset_column] if onset_column else [])
    for name in wanted:
        if name not in header:
            raise EpiInputError(f"{path}: no column {name!r} (columns: {', '.join(header)})")
    if not rows:
        raise EpiInputError(f"{path}: no data rows")
    at = {name: header.index(name) for name in wanted}

    def cell(row: list[str], name: str) -> str:
        i = at[name]
        return row[i].strip() if i < len(row) else ""

    ids = [cell(r, id_column) for r in rows]
    index: dict[str, int] = {}
    for i, case_id in enumerate(ids):
        if not case_id:
            raise EpiInputError(f"{path}: row {i + 2}, column {id_column!r}: empty id")
        if case_id in index:
            raise EpiInputError(f"{path}: row {i + 2}, column {id_column!r}: id {case_id!r} "
                                f"repeats row {index[case_id] + 2}")
        index[case_id] = i
    infector = np.full(len(ids), NO_INFECTOR, dtype=np.int64)
    for i, row in enumerate(rows):
        source = cell(row, infector_column)
        if not source:
            continue
        if source not in index:
            raise EpiInputError(f"{path}: row {i + 2}, column {infector_column!r}: infector "
                                f"{source!r} is not an id of this file")
        infector[i] = index[source]
    if not onset_column:
        return ids, infector, None, False
    onset, dated = _onset_days(path, onset_column, [cell(r, onset_column) for r in rows])
    return ids, infector, onset, dated


def summary(ids: list[str], infector: np.ndarray[Any, Any], onset: np.ndarray[Any, Any] | None,
            max_onset_lead: float = 0.0, dated: bool = False,
            offspring_until: float | None = None) -> dict[str, Any]:
    """The statistics as a JSON-ready dict (case ids as in the file)."""
    def day_label(day: float) -> str:
        return date.fromordinal(int(day)).isoformat() if dated else f"{day:g}"

    try:
        c = analyse_chains(infector, onset=onset, max_onset_lead=max_onset_lead,
                           day_label=day_label, offspring_until=offspring_until)
    except ChainInputError as error:
        # Name cases by their ids, not their row indices.
        raise EpiInputError(_with_ids(str(error), ids)) from None
    sizes = np.bincount(c.chain_size[c.roots]) if c.roots.size else np.zeros(1, dtype=np.int64)
    gens = np.bincount(c.generation)
    offspring = np.bincount(c.offspring)
    order = np.argsort(-c.offspring, kind="stable")[:TOP]
    largest_roots = c.roots[np.argsort(-c.chain_size[c.roots], kind="stable")[:TOP]]
    sse = np.flatnonzero(c.offspring > c.superspreading_threshold)
    total = int(c.offspring.sum())
    ranked = np.sort(c.offspring)[::-1]
    reach = int(np.searchsorted(np.cumsum(ranked), 0.8 * total) + 1) if total else 0
    out: dict[str, Any] = {
        "cases": len(ids),
        "links": int((infector >= 0).sum()),
        "roots": int(c.roots.size),
        "chains": {
            "count": int(c.roots.size),
            "size_distribution": {str(s): int(n) for s, n in enumerate(sizes) if n},
            "largest": [{"root": ids[r], "size": int(c.chain_size[r])} for r in largest_roots],
        },
        "generations": {
            "max": int(c.generation.max(initial=0)),
            "distribution": {str(g): int(n) for g, n in enumerate(gens) if n},
        },
        "offspring": {
            "mean_r": c.fit.r,
            "cases_fitted": c.fit.n,
            "fitted_until": None if offspring_until is None else day_label(offspring_until),
            "k": None if math.isinf(c.fit.k) else c.fit.k,
            "k_note": ("no over-dispersion (variance ≤ mean): Poisson, k infinite"
                       if math.isinf(c.fit.k) else "negative binomial maximum likelihood"),
            "loglik": c.fit.loglik,
            "distribution": {str(k): int(n) for k, n in enumerate(offspring) if n},
            "share_of_cases_causing_80_percent": (reach / len(ids)) if total else None,
        },
        "superspreading": {
            "threshold": c.superspreading_threshold,
            "rule": "more infectees than the 99th percentile of Poisson(mean R) "
                    "(Lloyd-Smith et al. 2005)",
            "events": int(sse.size),
            "cases": [ids[i] for i in sse[np.argsort(-c.offspring[sse], kind="stable")][:TOP]],
        },
        "largest_spreaders": [{"id": ids[i], "infectees": int(c.offspring[i])}
                              for i in order if c.offspring[i] > 0],
    }
    if onset is not None:
        linked = np.flatnonzero(infector >= 0)
        gaps = onset[linked] - onset[infector[linked]]
        gaps = gaps[np.isfinite(gaps)]
        out["serial_interval"] = ({"pairs": int(gaps.size), "mean": float(gaps.mean()),
                                   "sd": float(gaps.std(ddof=1)) if gaps.size > 1 else None}
                                  if gaps.size else {"pairs": 0, "mean": None, "sd": None})
    return out


def _write_graphml(path: Path, ids: list[str], infector: np.ndarray[Any, Any],
                   onset: np.ndarray[Any, Any] | None, dated: bool) -> None:
    c = analyse_chains(infector)   # already checked by summary()
    nodes: list[dict[str, object]] = []
    for i, case_id in enumerate(ids):
        node: dict[str, object] = {"id": case_id, "chain_root": ids[int(c.root[i])],
                                   "generation": int(c.generation[i]),
                                   "infectees": int(c.offspring[i])}
        if onset is not None and np.isfinite(onset[i]):
            node["onset"] = (date.fromordinal(int(onset[i])).isoformat() if dated
                             else float(onset[i]))
        nodes.append(node)
    linked = np.flatnonzero(infector >= 0)
    write_graphml(path, nodes, [(ids[int(infector[i])], ids[int(i)]) for i in linked])


def _with_ids(message: str, ids: list[str]) -> str:
    """'case 3' → 'case 'C4'' in a ChainInputError message."""
    import re

    def name(match: re.Match[str]) -> str:
        i = int(match.group(2))
        return f"{match.group(1)}{ids[i]!r}" if 0 <= i < len(ids) else match.group(0)

    message = re.sub(r"(case |infector )(\d+)", name, message)
    return re.sub(r"(?<=: |→ )(\d+)", lambda m: repr(ids[int(m.group(1))])
                  if int(m.group(1)) < len(ids) else m.group(1), message)


def _until(args: argparse.Namespace, have_onsets: bool) -> float | None:
    text = getattr(args, "offspring_until", None)
    if text is None:
        return None
    if not have_onsets:
        raise EpiInputError("--offspring-until needs --onset-column")
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return float(date.fromisoformat(text).toordinal())
    except ValueError:
        raise EpiInputError(f"--offspring-until: {text!r} is neither a date (YYYY-MM-DD) nor a "
                            f"day number") from None


def run(args: argparse.Namespace) -> None:
    path = Path(args.input)
    ids, infector, onset, dated = read_line_list(path, args.id_column, args.infector_column,
                                                 args.onset_column)
    until = _until(args, onset is not None)
    text = json.dumps(summary(ids, infector, onset, args.max_onset_lead, dated, until),
                      ensure_ascii=False, indent=2)
    if getattr(args, "graphml", None):
        _write_graphml(Path(args.graphml), ids, infector, onset, dated)
    if args.output in (None, "-"):
        sys.stdout.write(text + "\n")
    else:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
