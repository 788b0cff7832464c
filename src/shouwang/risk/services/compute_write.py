"""Writing computed levels: AreaRisk rows in bulk, without a model instance per row.

A year of every county is a million rows. Each row's inputs and reason are built from a handful
of numbers, most of them shared by many rows (every low county without a case has the same), so
the JSON text and the Chinese reason are made once per distinct set of numbers. The rows go in
with one COPY on PostgreSQL (as surveillance/services/bulk_insert.py does for case reports) and
one executemany on SQLite.
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

from shouwang.epi.risk_rules import LEVEL_NAMES, REASON_NAMES, Reason, RiskResult
from shouwang.risk.models import AreaRisk
from shouwang.risk.reasons import reason_text

HELD, STEPPED = int(Reason.HELD), int(Reason.STEPPED_DOWN)
BATCH = 20000


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


class RowMaker:
    """Inputs JSON and reason text per distinct cell, memoised."""

    def __init__(self) -> None:
        self._memo: dict[tuple[Any, ...], tuple[str, str, str]] = {}

    def cell(self, params: Mapping[str, Any], code: int, level: int, numbers: tuple[int, ...]
             ) -> tuple[str, str, str]:
        """(reason_code, inputs JSON, reason in Chinese)."""
        key = (id(params), code, level, numbers)
        found = self._memo.get(key)
        if found is not None:
            return found
        new, cumulative, counted, cluster, quiet, streak = numbers
        inputs: dict[str, Any] = {
            "new_in_window": new, "cumulative": cumulative, "counted": counted,
            "cluster_in_window": bool(cluster), "quiet_days": quiet, "streak": streak,
            "window_days": params.get("window_days"), "threshold": params.get("high_threshold")}
        if params.get("high_count") == "window":
            inputs["high_count"] = "window"
        steps = params.get("step_down_days") or {}
        if code == HELD:
            inputs["level"] = LEVEL_NAMES[level]
            inputs["step_days"] = steps.get(LEVEL_NAMES[level], 0)
        elif code == STEPPED:
            inputs["level"] = LEVEL_NAMES[level]
            inputs["step_days"] = steps.get(LEVEL_NAMES[min(level + 1, 2)], 0)
        name = REASON_NAMES[code]
        made = (name, json.dumps(inputs, ensure_ascii=False), reason_text(name, inputs)[:400])
        self._memo[key] = made
        return made


_COLUMNS = ("disease_id", "division_code", "division_level", "day", "computed_level", "level",
            "rule_set_id", "inputs", "reason_code", "reason", "override_id", "previous_level",
            "since", "computed_at", "publication_id")


def rows(disease: str, block: Block, computed_at: datetime) -> Iterator[tuple[Any, ...]]:
    """The parameter tuples of the block's stored cells (columns: _COLUMNS), day by day."""
    r = block.result
    maker = RowMaker()
    ops = connection.ops
    at = ops.adapt_datetimefield_value(computed_at)
    names = LEVEL_NAMES
    first = block.first_day.toordinal()
    params = block.params
    numbers = np.stack([r.new_in_window, r.cumulative, r.counted,
                        r.cluster_in_window.astype(np.int64), r.quiet_days, r.streak], axis=2)
    with translation.override("zh-hans"):
        for t in range(block.level.shape[1]):
            day = ops.adapt_datefield_value(date.fromordinal(first + t))
            for i in np.flatnonzero(block.stored[:, t]).tolist():
                computed = int(r.level[i, t])
                code, inputs, reason = maker.cell(params, int(r.reason[i, t]), computed,
                                                  tuple(numbers[i, t].tolist()))
                previous = int(block.previous[i, t])
                override = int(block.override[i, t])
                yield (disease, block.codes[i], block.division_levels[i], day, names[computed],
                       names[int(block.level[i, t])], block.rule_set_id, inputs, code, reason,
                       override or None, names[previous] if previous >= 0 else "",
                       ops.adapt_datefield_value(date.fromordinal(int(block.since[i, t]))),
                       at, None)


def insert(params: Iterator[tuple[Any, ...]]) -> int:
    """Insert the rows; returns how many."""
    qn = connection.ops.quote_name
    fields = {f.attname: f.column for f in AreaRisk._meta.concrete_fields}
    columns = ", ".join(qn(str(fields[c])) for c in _COLUMNS)
    table = qn(str(AreaRisk._meta.db_table))
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
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
