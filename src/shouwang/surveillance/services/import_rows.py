"""The row engine of the bulk import, part one: assess a chunk of rows (validate, key) and
prepare what will be stored (no query: this part may run in a second process, see
services/import_pipeline.py), then resolve what the rows repeat (stored source keys, the same
person and disease; a few queries per chunk). Writing is services/import_write.py; the batch
loop, the errors file and the resume are services/import_batch.py.

The per-row rules are not repeated here: `validate_case_input` checks the fields, dedup.py
decides what an upgrade is and proposes candidate pairs, labs.py links waiting lab results.
"""

from __future__ import annotations

import functools
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from shouwang.core import crypto
from shouwang.core.fields import EncryptedTextField
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.surveillance.models import CaseReport, CaseStatus, ImportBatch
from shouwang.surveillance.services.bulk_insert import aware, day, inserter, select_in
from shouwang.surveillance.services.import_io import COLUMNS_BY_FIELD, IMPORT_COLUMNS, row_values
from shouwang.surveillance.services.timeliness import case_deadlines
from shouwang.surveillance.validation import (
    CleanCase,
    DivisionCodes,
    active_diseases,
    validate_case_input,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.surveillance.models import Disease

# Rows per transaction. Larger chunks touch each page of the random-key indexes (source key,
# ID, name and phone hashes) for several rows at once: at 100,000 rows, 25,000-row chunks spent
# 2.2 s committing against 5.2 s for 5,000-row ones (bench/bench_import.py).
CHUNK = int(os.environ.get("SHOUWANG_IMPORT_CHUNK", "20000"))
IN_BATCH = 500  # values per IN (…) list: far below every backend's parameter limit
KEY_PREFIX = "imp1:"
ROW = "row"  # the error "field" of a row as a whole


@dataclass
class Stored:
    """An active stored report of a person (ID hash) and disease, as the dedup needs it."""

    pk: int
    diagnosed_at: datetime
    version: int
    classification: str
    division_code: str
    onset_date: date | None
    reported_at: datetime


@dataclass
class Outcome:
    """What became of one row. status: error | existing | new | merged."""

    line: int
    cells: list[str]
    values: dict[str, str]
    key: str
    errors: dict[str, list[str | Promise]] = field(default_factory=dict)
    clean: CleanCase | None = None
    status: str = "error"
    duplicate_of: int | None = None
    duplicate_kind: str = ""
    id_hash: str = ""
    survivor: Stored | Outcome | None = None
    # Prepared by `prepare`: the report's INSERT parameters (as a new, active report; the
    # writer patches status, merge target and timestamps), the lookup hashes the candidate
    # check needs, and an error row's messages in Chinese and English for the errors file.
    params: list[Any] | None = None
    name_hash: str | None = None
    phone_hash: str | None = None
    error_text: tuple[str, str] | None = None
    pk: int | None = None


@dataclass
class RowContext:
    """Everything a chunk needs, loaded once per run (diseases, every division code)."""

    batch: ImportBatch
    actor: User
    headers: list[str]
    mapping: dict[str, str | None]
    write: bool
    now: datetime
    diseases: dict[str, Disease]
    divisions: DivisionCodes
    prefix: str
    zone: Any = field(default_factory=timezone.get_current_timezone)
    seen_keys: dict[str, int] = field(default_factory=dict)
    people: dict[tuple[str, str], list[Outcome]] = field(default_factory=dict)
    # Seconds spent per step, for the benchmark's report.
    timings: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def lap(self, step: str, since: float) -> float:
        now = time.perf_counter()
        self.timings[step] += now - since
        return now

    @classmethod
    def for_batch(cls, batch: ImportBatch, headers: list[str],
                  mapping: dict[str, str | None], *, write: bool) -> RowContext:
        actor = batch.owner
        return cls(batch=batch, actor=actor, headers=headers, mapping=mapping, write=write,
                   now=timezone.now(), diseases=active_diseases(), divisions=DivisionCodes.load(),
                   prefix=_prefix(actor))


def _prefix(actor: User) -> str:
    """The importer's division prefix ("" for the nation); one no code starts with when the
    importer has no jurisdiction at all."""
    prefix = jurisdiction_prefix(actor)
    return "\x00" if prefix is None else prefix


# --- assess: pure Python, no query -------------------------------------------------------------


def source_key(division: str, values: dict[str, str]) -> str:
    """The row's key: a keyed hash of the importer's division and the row's normalised values
    (so it reveals nothing about the person). Same division + same content = same key."""
    parts = [division]
    for column in IMPORT_COLUMNS:
        value = values.get(column.field, "")
        if value:
            parts.append(f"{column.field}={' '.join(value.split())}")
    return KEY_PREFIX + crypto.keyed_hash("\x1f".join(parts), "text")


def validate_row(ctx: RowContext, values: dict[str, str]
              ) -> tuple[CleanCase | None, dict[str, list[str | Promise]]]:
    clean, errors = validate_case_input(values, now=ctx.now, diseases=ctx.diseases,
                                        divisions=ctx.divisions, zone=ctx.zone)
    if clean is not None and not clean.division_code.startswith(ctx.prefix):
        return None, {"division_code": [_("现住址区划不在您的管辖范围内。")]}
    return clean, dict(errors)


def assess(ctx: RowContext, rows: Iterable[tuple[int, list[str]]]) -> list[Outcome]:
    """Map, key and validate rows; exact repeats of an earlier line are errors."""
    out: list[Outcome] = []
    division = ctx.batch.division_code
    for line, cells in rows:
        values = row_values(ctx.headers, cells, ctx.mapping)
        key = source_key(division, values)
        o = Outcome(line=line, cells=cells, values=values, key=key)
        first = ctx.seen_keys.get(key)
        if first is not None:
            o.errors = {ROW: [_("与第 %(n)s 行完全相同（文件内重复行）。") % {"n": first}]}
            o.duplicate_of, o.duplicate_kind = first, "file"
        else:
            ctx.seen_keys[key] = line
            o.clean, o.errors = validate_row(ctx, values)
            if o.clean is not None:
                o.status = "valid"
                if o.clean.id_number:
                    o.id_hash = crypto.keyed_hash(o.clean.id_number, "id_number")
        out.append(o)
    return out


def case_row(ctx: RowContext, o: Outcome, now: datetime) -> dict[str, Any]:
    """The attribute values of the report a valid row becomes (new and active)."""
    clean = o.clean
    assert clean is not None
    deadlines = case_deadlines(disease=clean.disease, diagnosed_at=clean.diagnosed_at,
                               reported_at=clean.reported_at)
    row = dict(inserter(CaseReport).defaults)
    row.update(clean.as_model_fields())
    del row["disease"]
    # The lookup hashes the dedup needs before the insert (the insert keeps them).
    row["id_number_hash"] = o.id_hash or None
    row["name_hash"] = _lookup_hash("name", clean.name)
    row["phone_hash"] = _lookup_hash("phone", clean.phone)
    row.update(disease_id=clean.disease.code, source_key=o.key, created_by_id=ctx.actor.pk,
               report_deadline_at=deadlines.report_deadline_at,
               verification_due_at=deadlines.verification_due_at, created_at=now,
               updated_at=now)
    return row


@functools.cache
def _lookup_kind(name: str) -> str:
    source = CaseReport._meta.get_field(name)
    assert isinstance(source, EncryptedTextField)
    return source.lookup_kind


def _lookup_hash(name: str, value: str) -> str | None:
    """What LookupHashField.pre_save stores for CaseReport.<name> = value."""
    return crypto.keyed_hash(value, _lookup_kind(name)) if value else None


def label(ctx: RowContext, name: str) -> str:
    """The column a field was read from, as the officer's file names it."""
    if name == ROW:
        return _("整行")
    for header, target in ctx.mapping.items():
        if target == name:
            return header
    column = COLUMNS_BY_FIELD.get(name)
    return column.header_zh if column is not None else name


def _messages(ctx: RowContext, o: Outcome, language: str) -> str:
    """The row's errors as one line of text in `language` (validated again in it: interpolated
    lazy messages are fixed in the language active when they are built)."""
    with translation.override(language):
        if o.duplicate_kind == "file":
            errors: dict[str, list[str | Promise]] = {
                ROW: [_("与第 %(n)s 行完全相同（文件内重复行）。") % {"n": o.duplicate_of}]}
        else:
            errors = validate_row(ctx, o.values)[1] or o.errors
        return "; ".join(f"{label(ctx, name)}: {' '.join(str(m) for m in messages)}"
                         for name, messages in errors.items())


def prepare(ctx: RowContext, outcomes: list[Outcome]) -> None:
    """Everything per row that needs no database: the INSERT parameters of each valid row,
    the error messages of each bad one. The costly part of a row (encryption, keyed hashes,
    adapters, a second validation for English messages), so it is what a second process does
    while the first writes."""
    insert = inserter(CaseReport)
    for o in outcomes:
        if o.status == "valid" and o.params is None:
            row = case_row(ctx, o, ctx.now)
            o.params = insert.params(row)
            o.name_hash, o.phone_hash = row["name_hash"], row["phone_hash"]
        elif o.status == "error" and o.error_text is None:
            o.error_text = (_messages(ctx, o, "zh-hans"), _messages(ctx, o, "en"))


# --- look up: a few queries per chunk ------------------------------------------------------------


def in_batches(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for i in range(0, len(items), IN_BATCH):
        yield items[i:i + IN_BATCH]


def _stored_keys(keys: Iterable[str]) -> dict[str, int]:
    """source key → the stored case it names (the survivor when it was merged)."""
    found: dict[str, int] = {}
    for part in in_batches(keys):
        for key, pk, merged in select_in(
                "SELECT source_key, id, merged_into_id FROM surveillance_casereport "
                "WHERE source_key IN ({values})", part):
            found[str(key)] = merged or pk
    return found


def _stored_people(pairs: set[tuple[str, str]], *, lock: bool) -> dict[tuple[str, str],
                                                                        list[Stored]]:
    """Active stored reports by (disease, ID hash), locked when the chunk writes."""
    found: dict[tuple[str, str], list[Stored]] = defaultdict(list)
    # Filtered on the hash alone, the rest in Python: with disease or status in the WHERE
    # clause SQLite's planner may walk those low-selectivity indexes instead.
    # FOR UPDATE where the database has row locks (SQLite's write transaction locks it all).
    locking = " FOR UPDATE" if lock and connection.features.has_select_for_update else ""
    for part in in_batches(h for _d, h in pairs):
        for disease, id_hash, status, pk, diagnosed, version, cls, division, onset, reported \
                in select_in(
                    "SELECT disease_id, id_number_hash, status, id, diagnosed_at, version, "
                    "classification, division_code, onset_date, reported_at "
                    "FROM surveillance_casereport WHERE id_number_hash IN ({values})"
                    + locking, part):
            if status == CaseStatus.ACTIVE and (disease, id_hash) in pairs:
                found[(disease, str(id_hash))].append(Stored(
                    pk, aware(diagnosed), version, cls, division, day(onset), aware(reported)))
    return found


def resolve(ctx: RowContext, outcomes: list[Outcome]) -> None:
    """Mark rows already imported (same key) and repeats of the same person and disease.

    The rule is dedup.same_person_case's, over a whole chunk at once: an ACTIVE report of the
    same ID-number hash and disease diagnosed within the disease's window, the earliest
    diagnosed first (stored reports before rows of this file at the same moment).
    """
    valid = [o for o in outcomes if o.status == "valid"]
    stored = _stored_keys(o.key for o in valid)
    pairs: set[tuple[str, str]] = set()
    for o in valid:
        if o.key in stored:
            o.status, o.duplicate_of, o.duplicate_kind = "existing", stored[o.key], "imported"
        elif o.id_hash:
            assert o.clean is not None
            pairs.add((o.clean.disease.code, o.id_hash))
    people = _stored_people(pairs, lock=ctx.write) if pairs else {}
    for o in valid:
        if o.status != "valid":
            continue
        o.status = "new"
        if not o.id_hash:
            continue
        clean = o.clean
        assert clean is not None
        pair = (clean.disease.code, o.id_hash)
        window = timedelta(days=clean.disease.dedup_window_days)
        best: tuple[datetime, int, int] | None = None
        for s in people.get(pair, ()):
            if abs(s.diagnosed_at - clean.diagnosed_at) <= window:
                rank = (s.diagnosed_at, 0, s.pk)
                if best is None or rank < best:
                    best, o.survivor = rank, s
        for earlier in ctx.people.get(pair, ()):
            assert earlier.clean is not None
            if abs(earlier.clean.diagnosed_at - clean.diagnosed_at) <= window:
                rank = (earlier.clean.diagnosed_at, 1, earlier.line)
                if best is None or rank < best:
                    best, o.survivor = rank, earlier
        if o.survivor is None:
            ctx.people.setdefault(pair, []).append(o)
        else:
            o.status = "merged"
            o.duplicate_kind = "case" if isinstance(o.survivor, Stored) else "file"
            o.duplicate_of = (o.survivor.pk if isinstance(o.survivor, Stored)
                              else o.survivor.line)




def process_chunk(ctx: RowContext, rows: Iterable[tuple[int, list[str]]]) -> list[Outcome]:
    """Assess, prepare and resolve (and write, when the context writes) one chunk in this
    process; for the preview."""
    from shouwang.surveillance.services.import_write import write

    outcomes = assess(ctx, rows)
    prepare(ctx, outcomes)
    resolve(ctx, outcomes)
    if ctx.write:
        write(ctx, outcomes)
    return outcomes
