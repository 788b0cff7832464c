"""The row engine of the bulk import: assess a chunk of rows (validate, key), look up what they
repeat (stored source keys, the same person and disease), write them, (the batch loop, the
errors file and the resume are in services/import_batch.py).

Writes are set-based per chunk: one INSERT statement executed for all new reports (values
prepared by each field's own `pre_save` and `get_db_prep_save`, exactly what `bulk_create`
does, so encrypted fields and lookup hashes are byte-for-byte what the services store), one for
the merged repeats, one for the history rows, one UPDATE per 500 survivors of a merge. The
per-row rules are not repeated here: `validate_case_input` checks the fields, dedup.py decides
what an upgrade is and proposes candidate pairs, labs.py links waiting lab results.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from shouwang.core import crypto
from shouwang.core.audit import MASK
from shouwang.core.fields import EncryptedTextField, LookupHashField
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.surveillance.models import (
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    DuplicateCandidate,
    HistoryKind,
    ImportBatch,
    LabResult,
    ReportTask,
    TaskStatus,
)
from shouwang.surveillance.services.cases import PERSONAL, masked, payload_fingerprint
from shouwang.surveillance.services.counts import (
    COUNTY_DIGITS,
    local_day,
)
from shouwang.surveillance.services.import_io import IMPORT_COLUMNS, row_values
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

CHUNK = int(os.environ.get("SHOUWANG_IMPORT_CHUNK", "5000"))
IN_BATCH = 500  # values per IN (…) list: far below every backend's parameter limit
KEY_PREFIX = "imp1:"
ROW = "row"  # the error "field" of a row as a whole
MERGE_REASON = "重复报告（证件号码相同），已合并。"
UPGRADE_REASON = "由重复报告订正"


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
    fields: dict[str, Any] | None = None  # clean.as_model_fields(), computed once
    row: dict[str, Any] | None = None  # the stored values, once written
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
    seen_keys: dict[str, int] = field(default_factory=dict)
    people: dict[tuple[str, str], list[Outcome]] = field(default_factory=dict)
    counties: set[str] = field(default_factory=set)
    days: set[date] = field(default_factory=set)
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
                                        divisions=ctx.divisions)
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
                o.fields = o.clean.as_model_fields()
                if o.clean.id_number:
                    o.id_hash = crypto.keyed_hash(o.clean.id_number, "id_number")
        out.append(o)
    return out


# --- look up: a few queries per chunk ------------------------------------------------------------


def _in_batches(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for i in range(0, len(items), IN_BATCH):
        yield items[i:i + IN_BATCH]


def _stored_keys(keys: Iterable[str]) -> dict[str, int]:
    """source key → the stored case it names (the survivor when it was merged)."""
    found: dict[str, int] = {}
    for part in _in_batches(keys):
        for key, pk, merged in CaseReport.objects.filter(source_key__in=part).values_list(
                "source_key", "pk", "merged_into_id"):
            found[str(key)] = merged or pk
    return found


def _stored_people(pairs: set[tuple[str, str]], *, lock: bool) -> dict[tuple[str, str],
                                                                        list[Stored]]:
    """Active stored reports by (disease, ID hash), locked when the chunk writes."""
    found: dict[tuple[str, str], list[Stored]] = defaultdict(list)
    # Filtered on the hash alone, the rest in Python: with disease or status in the WHERE
    # clause SQLite's planner may walk those low-selectivity indexes instead.
    for part in _in_batches(h for _d, h in pairs):
        qs = CaseReport.objects.filter(id_number_hash__in=part).order_by()
        if lock:
            qs = qs.select_for_update()
        for row in qs.values_list("disease_id", "id_number_hash", "status", "pk",
                                  "diagnosed_at", "version", "classification", "division_code",
                                  "onset_date", "reported_at"):
            if row[2] == CaseStatus.ACTIVE and (row[0], row[1]) in pairs:
                found[(row[0], str(row[1]))].append(Stored(*row[3:]))
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


# --- write ---------------------------------------------------------------------------------------


class Inserter:
    """INSERT rows of one model with one executemany, from dicts of attribute values.

    Each column's value is prepared as `bulk_create` would prepare it (the same field methods:
    an encrypted field's get_prep_value seals it for its column, a lookup hash is the keyed
    hash of its source field's value as LookupHashField.pre_save computes it, dates and times
    through the backend's adapters), without building a model instance per row, which alone
    cost more than the whole per-row budget. Ids are not returned (SQLite cannot with
    executemany); the caller reads them back by a unique key.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        qn = connection.ops.quote_name
        columns = ", ".join(qn(str(f.column)) for f in self.fields)
        self.sql = (f"INSERT INTO {qn(model._meta.db_table)} ({columns}) "  # noqa: S608
                    f"VALUES ({', '.join(['%s'] * len(self.fields))})")
        self.converters = [self._converter(f) for f in self.fields]

    @staticmethod
    def _converter(f: Any) -> Any:
        ops = connection.ops
        name = f.attname
        if isinstance(f, LookupHashField):
            source = f.source_field()
            assert source is not None
            src, kind = source.attname, source.lookup_kind

            def hashed(r: dict[str, Any]) -> Any:
                # A caller may have computed it already (the ID hash, for the dedup).
                if r[name] is None and r[src]:
                    r[name] = crypto.keyed_hash(r[src], kind)
                return r[name]
            return hashed
        if isinstance(f, EncryptedTextField):
            return lambda r: f.get_prep_value(r[name])
        if isinstance(f, models.DateTimeField):
            return lambda r: ops.adapt_datetimefield_value(r[name])
        if isinstance(f, models.DateField):
            return lambda r: ops.adapt_datefield_value(r[name])
        if isinstance(f, models.JSONField):
            return lambda r: f.get_db_prep_save(r[name], connection)
        return lambda r: r[name]

    def insert(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        convert = self.converters
        params = [[c(r) for c in convert] for r in rows]
        with connection.cursor() as cursor:
            cursor.executemany(self.sql, params)


_INSERTERS: dict[tuple[str, str], Inserter] = {}


def inserter(model: type[models.Model]) -> Inserter:
    key = (connection.vendor, model._meta.label)
    if key not in _INSERTERS:
        _INSERTERS[key] = Inserter(model)
    return _INSERTERS[key]


def _case_row(ctx: RowContext, o: Outcome, now: datetime, **extra: Any) -> dict[str, Any]:
    clean = o.clean
    assert clean is not None
    deadlines = case_deadlines(disease=clean.disease, diagnosed_at=clean.diagnosed_at,
                               reported_at=clean.reported_at)
    row = dict(inserter(CaseReport).defaults)
    row.update(o.fields or clean.as_model_fields())
    del row["disease"]
    # The lookup hashes the dedup needs before the insert (the insert keeps them).
    row["id_number_hash"] = o.id_hash or None
    row["name_hash"] = _lookup_hash("name", clean.name)
    row["phone_hash"] = _lookup_hash("phone", clean.phone)
    row.update(disease_id=clean.disease.code, source_key=o.key, created_by_id=ctx.actor.pk,
               report_deadline_at=deadlines.report_deadline_at,
               verification_due_at=deadlines.verification_due_at, created_at=now,
               updated_at=now, **extra)
    o.row = row
    return row


def _lookup_hash(name: str, value: str) -> str | None:
    """What LookupHashField.pre_save stores for CaseReport.<name> = value."""
    source = CaseReport._meta.get_field(name)
    assert isinstance(source, EncryptedTextField)
    return crypto.keyed_hash(value, source.lookup_kind) if value else None


def _read_ids(outcomes: list[Outcome]) -> None:
    ids: dict[str, int] = {}
    for part in _in_batches(o.key for o in outcomes):
        for key, pk in CaseReport.objects.filter(source_key__in=part).values_list(
                "source_key", "pk"):
            ids[str(key)] = pk
    for o in outcomes:
        o.pk = ids[o.key]


def created_changes(fields: dict[str, Any], payload: str) -> dict[str, Any]:
    """The changes of a CREATE history row, as `masked` makes them in case_report_submit:
    every filled field as [None, value], personal ones masked, dates as ISO text.
    `fields` is CleanCase.as_model_fields()."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "disease":
            value = value.code
        if value is None or value == "":
            continue
        if name in PERSONAL:
            out[name] = [None, MASK]
        elif isinstance(value, date):
            out[name] = [None, value.isoformat()]
        else:
            out[name] = [None, value]
    out["payload"] = payload
    return out


def _history(case_id: int, version: int, kind: str, actor_id: int, reason: str,
             changes: dict[str, Any], classification: str, now: datetime) -> dict[str, Any]:
    return {"case_id": case_id, "version": version, "kind": kind, "changed_at": now,
            "actor_id": actor_id, "reason": reason, "changes": changes,
            "classification": classification}


def _touch(ctx: RowContext, division_code: str, onset: date | None,
           moments: Iterable[datetime]) -> None:
    ctx.counties.add(division_code[:COUNTY_DIGITS])
    if onset is not None:
        ctx.days.add(onset)
    for moment in moments:
        ctx.days.add(local_day(moment))


def write(ctx: RowContext, outcomes: list[Outcome]) -> int:
    """Store the chunk's new and merged rows; returns how many rows got candidate pairs."""
    from shouwang.surveillance.services.dedup import is_upgrade

    now = timezone.now()
    t = time.perf_counter()
    actor = ctx.actor.pk
    new = [o for o in outcomes if o.status == "new"]
    new_rows = [_case_row(ctx, o, now) for o in new]
    t = ctx.lap("write.case_rows", t)
    candidates = _candidate_rows(new)
    t = ctx.lap("write.candidates_find", t)
    inserter(CaseReport).insert(new_rows)
    t = ctx.lap("write.insert_cases", t)
    _read_ids(new)
    t = ctx.lap("write.read_ids", t)
    merged = [o for o in outcomes if o.status == "merged"]
    rows = []
    for o in merged:
        survivor = o.survivor
        assert survivor is not None
        target = survivor.pk
        rows.append(_case_row(ctx, o, now, status=CaseStatus.MERGED, merged_into_id=target))
    inserter(CaseReport).insert(rows)
    _read_ids(merged)
    history = []
    for o in new + merged:
        assert o.clean is not None and o.pk is not None
        history.append(_history(o.pk, 1, HistoryKind.CREATE, actor, "",
                                created_changes(o.fields or o.clean.as_model_fields(),
                                                payload_fingerprint(o.values)),
                                o.clean.classification, now))
    t = ctx.lap("write.history_rows", t)

    # The survivors' side of every merge, in file order (dedup.record_merge's steps).
    state: dict[int, list[Any]] = {}
    merge_reason, upgrade_reason = _(MERGE_REASON), _(UPGRADE_REASON)
    for o in merged:
        survivor = o.survivor
        assert o.clean is not None and o.pk is not None and survivor is not None
        pk = int(survivor.pk or 0)
        if isinstance(survivor, Stored):
            cur = state.setdefault(pk, [survivor.version, survivor.classification,
                                        survivor.classification, survivor])
        else:
            assert survivor.clean is not None
            cls = survivor.clean.classification
            cur = state.setdefault(pk, [1, cls, cls, survivor])
        cur[0] += 1
        history.append(_history(pk, cur[0], HistoryKind.MERGE, actor, merge_reason,
                                masked({"merged_report": [None, o.pk]}), cur[1], now))
        new_cls = o.clean.classification
        if is_upgrade(cur[1], new_cls):
            cur[0] += 1
            history.append(_history(pk, cur[0], HistoryKind.RECLASSIFY, actor, upgrade_reason,
                                    masked({"classification": [cur[1], new_cls]}), new_cls, now))
            cur[1] = new_cls
    if state:
        CaseReport.objects.bulk_update(
            [CaseReport(pk=pk, version=v, classification=cls, updated_at=now)
             for pk, (v, cls, _was, _s) in state.items()],
            ["version", "classification", "updated_at"], batch_size=IN_BATCH)
    t = ctx.lap("write.merges", t)
    inserter(CaseReportHistory).insert(history)
    t = ctx.lap("write.insert_history", t)

    for o in new:
        clean = o.clean
        assert clean is not None
        _touch(ctx, clean.division_code, clean.onset_date, (clean.diagnosed_at, clean.reported_at))
    for _v, cls, was, s in state.values():
        if cls != was and isinstance(s, Stored):
            _touch(ctx, s.division_code, s.onset_date, (s.diagnosed_at, s.reported_at))
    _link_lab_results(ctx, new)
    t = ctx.lap("write.lab_links", t)
    proposed = _propose(ctx, new, candidates)
    ctx.lap("write.candidates", t)
    return proposed


def _instance(ctx: RowContext, o: Outcome) -> CaseReport:
    """The stored report of a new row as a model instance (for the few rows that need one)."""
    assert o.row is not None and o.clean is not None
    case = CaseReport(pk=o.pk, **{k: v for k, v in o.row.items() if k != "id"})
    case.disease = o.clean.disease
    case.created_by = ctx.actor
    return case


def _link_lab_results(ctx: RowContext, new: list[Outcome]) -> None:
    """labs.report_tasks_resolve_for_case for the new reports that have a waiting lab result
    (found with two queries per chunk, not one per row)."""
    from shouwang.surveillance.services.labs import report_tasks_resolve_for_case

    hashes = {o.id_hash for o in new if o.id_hash}
    waiting: set[tuple[str, str]] = set()
    for part in _in_batches(hashes):
        waiting.update((d, str(h)) for d, h, case in LabResult.objects.filter(
            id_number_hash__in=part).order_by().values_list("disease_id", "id_number_hash",
                                                              "case_id") if case is None)
        waiting.update((d, str(h)) for d, h in ReportTask.objects.filter(
            status=TaskStatus.OPEN, lab_result__id_number_hash__in=part)
            .values_list("disease_id", "lab_result__id_number_hash"))
    for o in new:
        assert o.clean is not None
        if o.id_hash and (o.clean.disease.code, o.id_hash) in waiting:
            report_tasks_resolve_for_case(_instance(ctx, o), actor=ctx.actor)


def _may_pair(r: dict[str, Any], other: tuple[Any, Any, Any, Any], window: timedelta) -> bool:
    """Could propose_candidates pair the report `r` with `other` (birth, phone hash, ID hash,
    diagnosed_at)? The same disease and name are given; a superset of its rule."""
    birth, phone, idh, diagnosed = other
    return ((idh is None or r["id_number_hash"] is None)
            and abs(diagnosed - r["diagnosed_at"]) <= window
            and bool((r["birth_date"] and birth == r["birth_date"])
                     or (r["phone_hash"] and phone == r["phone_hash"])))


def _candidate_rows(new: list[Outcome]) -> list[Outcome]:
    """The new rows (not yet stored) that dedup.propose_candidates may pair with a stored
    active report or with another row of the chunk: same disease and name, and birth date or
    phone, one of the two without an ID number, within the window. Two queries per 500 rows,
    on indexed columns, returning only real matches; pairs inside the chunk in Python."""
    found: set[int] = set()
    by_name: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in new:
        assert o.row is not None
        by_name[(o.row["disease_id"], o.row["name_hash"])].append(o)
    for group in by_name.values():
        for i, o in enumerate(group):
            assert o.row is not None and o.clean is not None
            window = timedelta(days=o.clean.disease.dedup_window_days)
            for other in group[:i]:
                r = other.row
                assert r is not None
                if _may_pair(o.row, (r["birth_date"], r["phone_hash"], r["id_number_hash"],
                                     r["diagnosed_at"]), window):
                    found.add(o.line)
    for start in range(0, len(new), IN_BATCH):
        part = [o.row for o in new[start:start + IN_BATCH] if o.row is not None]
        names = {r["name_hash"] for r in part}
        index: dict[tuple[str, str], list[tuple[Any, Any, Any, Any]]] = defaultdict(list)
        # Two queries, each on two indexed columns (an OR of both would scan the table).
        for match in (Q(birth_date__in={r["birth_date"] for r in part if r["birth_date"]}),
                      Q(phone_hash__in={r["phone_hash"] for r in part if r["phone_hash"]})):
            for disease, name, status, *rest in CaseReport.objects.filter(
                    match, name_hash__in=names).order_by().values_list(
                    "disease_id", "name_hash", "status", "birth_date", "phone_hash",
                    "id_number_hash", "diagnosed_at"):
                if status == CaseStatus.ACTIVE:
                    index[(disease, str(name))].append(tuple(rest))  # type: ignore[arg-type]
        for o in new[start:start + IN_BATCH]:
            assert o.row is not None and o.clean is not None
            window = timedelta(days=o.clean.disease.dedup_window_days)
            if any(_may_pair(o.row, other, window)
                   for other in index.get((o.row["disease_id"], o.row["name_hash"]), ())):
                found.add(o.line)
    return [o for o in new if o.line in found]


def _propose(ctx: RowContext, new: list[Outcome], rows: list[Outcome]) -> int:
    """dedup.propose_candidates for the rows `_candidate_rows` picked (now stored)."""
    from shouwang.surveillance.services.dedup import propose_candidates

    proposed: list[int] = []
    for o in rows:
        ctx.timings["candidate_checks"] += 1
        if propose_candidates(_instance(ctx, o)):
            proposed.append(int(o.pk or 0))
    if not proposed:
        return 0
    # Two rows of this chunk were each proposed against the other; keep the later → earlier
    # pair, as two reports submitted one after the other would have it.
    ids = {o.pk for o in new}
    DuplicateCandidate.objects.filter(case_id__in=proposed, other_id__in=ids,
                                      case_id__lt=F("other_id")).delete()
    return DuplicateCandidate.objects.filter(case_id__in=proposed).values("case_id") \
        .distinct().count()


def process_chunk(ctx: RowContext, rows: Iterable[tuple[int, list[str]]]) -> list[Outcome]:
    """Assess and resolve (and write, when the context writes) one chunk; for the preview."""
    outcomes = assess(ctx, rows)
    resolve(ctx, outcomes)
    if ctx.write:
        write(ctx, outcomes)
    return outcomes

