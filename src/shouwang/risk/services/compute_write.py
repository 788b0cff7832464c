"""Writing computed levels: AreaRisk rows in bulk, without a model instance per row.

A year of every county is a million rows. Each row's inputs and reason are built from a handful
of numbers, most of them shared by many rows (every low county without a case has the same), so
the JSON text and the Chinese reason are made once per distinct set of numbers. The rows go in
with one COPY on PostgreSQL (as surveillance/services/bulk_insert.py does for case reports) and
one executemany on SQLite.
The COPY is binary; the inputs JSON text goes in as it is made (_JsonTextDumper).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from django.db import connection
from django.utils import translation
from numpy.typing import NDArray
from psycopg.types.json import JsonbBinaryDumper

from shouwang.epi.risk_rules import LEVEL_NAMES, REASON_NAMES, Reason, RiskResult
from shouwang.risk.models import AreaRisk
from shouwang.risk.reasons import reason_text

HELD, STEPPED = int(Reason.HELD), int(Reason.STEPPED_DOWN)
BATCH = 20000
CHUNK_DAYS = 31


@dataclass
class Block:
    """One rule set's areas over consecutive days, evaluated, with what is in force."""

    rule_set_id: int
    params: Mapping[str, Any]
    codes: list[str]
    division_levels: list[str]
    first_day: date
    result: RiskResult
    level: NDArray[np.int8]         # (n, d) in force (the override's where one applies)
    override: NDArray[np.int64]     # (n, d) override id, 0: none
    stored: NDArray[np.bool_]       # (n, d) a row is written
    previous: NDArray[np.int8]      # (n, d) the level in force the day before (-1: unknown)
    since: NDArray[np.int64]        # (n, d) date ordinal of the first day of the run


class Reasons:
    """The Chinese reason of a cell, memoised on the numbers it quotes (most cells share one)."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        self.steps = params.get("step_down_days") or {}
        self._memo: dict[tuple[int, ...], str] = {}

    def held_inputs(self, code: int, level: int) -> dict[str, Any]:
        """What a held or stepped level adds to the inputs: the level and the step count."""
        if code == HELD:
            return {"level": LEVEL_NAMES[level],
                    "step_days": self.steps.get(LEVEL_NAMES[level], 0)}
        if code == STEPPED:
            return {"level": LEVEL_NAMES[level],
                    "step_days": self.steps.get(LEVEL_NAMES[min(level + 1, 2)], 0)}
        return {}

    def text(self, code: int, level: int, new: int, cumulative: int, counted: int,
             streak: int) -> str:
        key = (code, level, new, cumulative, counted, streak)
        found = self._memo.get(key)
        if found is None:
            inputs = {"new_in_window": new, "cumulative": cumulative, "counted": counted,
                      "streak": streak, "window_days": self.params.get("window_days"),
                      "threshold": self.params.get("high_threshold"),
                      "high_count": self.params.get("high_count", "cumulative"),
                      **self.held_inputs(code, level)}
            found = reason_text(REASON_NAMES[code], inputs)[:400]
            self._memo[key] = found
        return found


def inputs_json(params: Mapping[str, Any]) -> tuple[str, str]:
    """A %-template of a cell's inputs JSON (the numbers, then the rule's constants), and the
    rule's constants as JSON members; the same text json.dumps would make, made faster."""
    constants = {"window_days": params.get("window_days"),
                 "threshold": params.get("high_threshold"),
                 "high_count": params.get("high_count", "cumulative")}
    tail = json.dumps(constants, ensure_ascii=False)[1:-1]
    return ('{"new_in_window": %d, "cumulative": %d, "counted": %d, '
            '"cluster_in_window": %s, "quiet_days": %d, "streak": %d, ', tail)


_COLUMNS = ("disease_id", "division_code", "division_level", "day", "computed_level", "level",
            "rule_set_id", "inputs", "reason_code", "reason", "override_id", "previous_level",
            "since", "computed_at", "publication_id")


class _JsonText(str):
    """Only the key _JsonTextDumper is registered under: set_types picks each column's dumper
    by its type, so the inputs (a plain str) reach it."""


class _JsonTextDumper(JsonbBinaryDumper):
    """COPY's binary jsonb (a version byte, then the text) from JSON text already made, where
    psycopg's own would encode the string again as a JSON string."""

    def dump(self, obj: Any) -> bytes:
        return b"\x01" + str(obj).encode()


# The types of _COLUMNS (COPY's binary format); inputs: the JSON text made by _rows.
_PG_TYPES = ("varchar", "varchar", "varchar", "date", "varchar", "varchar", "int8", "jsonb",
             "varchar", "varchar", "int8", "varchar", "date", "timestamptz", "int8")


def rows(disease: str, block: Block, computed_at: datetime,
         publication: NDArray[np.int64] | None = None) -> Iterator[tuple[Any, ...]]:
    """The parameter tuples of the block's stored cells (columns: _COLUMNS), day by day, a
    month of columns at a time (a year of every county as Python lists at once is ~1 GB).
    `publication`: each day's Publication id when the rows are written published."""
    reasons = Reasons(block.params)
    pubs = publication.tolist() if publication is not None else [None] * block.level.shape[1]
    for start in range(0, block.level.shape[1], CHUNK_DAYS):
        yield from _rows(disease, block, computed_at, reasons, start,
                         min(start + CHUNK_DAYS, block.level.shape[1]), pubs)


def _rows(disease: str, block: Block, computed_at: datetime, reasons: Reasons, start: int,
          end: int, pubs: list[int | None]) -> Iterator[tuple[Any, ...]]:
    r = block.result
    tt, ii = np.nonzero(block.stored[:, start:end].T)   # day-major: the unique index fills
    if not len(ii):                                        # in order
        return
    tt = tt + start
    ops = connection.ops
    at = ops.adapt_datetimefield_value(computed_at)
    head, tail = inputs_json(block.params)
    bools = ("false", "true")
    names = (*LEVEL_NAMES, "")       # index -1: unknown
    codes_of = {c: REASON_NAMES[c] for c in REASON_NAMES}
    first = block.first_day.toordinal()
    days: dict[int, Any] = {}

    def day_of(ordinal: int) -> Any:
        found = days.get(ordinal)
        if found is None:
            found = days[ordinal] = ops.adapt_datefield_value(date.fromordinal(ordinal))
        return found

    cols = [a[ii, tt].tolist() for a in (
        r.reason, r.level, block.level, r.new_in_window, r.cumulative, r.counted,
        r.cluster_in_window.astype(np.int8), r.quiet_days, r.streak, block.previous,
        block.override, block.since)]
    area_codes, area_levels, rule_set = block.codes, block.division_levels, block.rule_set_id
    with translation.override("zh-hans"):
        for (i, t, code, computed, level, new, cumulative, counted, cluster, quiet, streak,
             previous, override, since) in zip(ii.tolist(), tt.tolist(), *cols, strict=True):
            text = head % (new, cumulative, counted, bools[cluster], quiet, streak)
            if code >= HELD:
                text += "".join(f'"{key}": {json.dumps(value)}, '
                                for key, value in reasons.held_inputs(code, computed).items())
            yield (disease, area_codes[i], area_levels[i], day_of(first + t),
                   names[computed], names[level], rule_set, text + tail + "}",
                   codes_of[code], reasons.text(code, computed, new, cumulative, counted, streak),
                   override or None, names[previous], day_of(since), at, pubs[t])


def insert(params: Iterator[tuple[Any, ...]]) -> int:
    """Insert the rows; returns how many."""
    qn = connection.ops.quote_name
    fields = {f.attname: f.column for f in AreaRisk._meta.concrete_fields}
    columns = ", ".join(qn(str(fields[c])) for c in _COLUMNS)
    table = qn(str(AreaRisk._meta.db_table))
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Binary: the server parses no text for the numbers and dates (a year: 2.5 s less).
            raw = cursor.cursor
            raw.adapters.register_dumper(_JsonText, _JsonTextDumper)
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(_PG_TYPES)
                for values in params:
                    copy.write_row(values)
                    written += 1
            return written
        sql = (f"INSERT INTO {table} ({columns}) "  # noqa: S608 - quoted names only
               f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})")
        batch: list[Sequence[Any]] = []
        for values in params:
            batch.append(values)
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written
