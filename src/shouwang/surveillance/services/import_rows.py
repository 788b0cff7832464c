"""The row engine of the bulk import: assess a chunk of rows (validate, key), look up what they
repeat (stored source keys, the same person and disease), write them, and run a whole batch
chunk by chunk with a resume cursor.

Writes are set-based per chunk: one INSERT statement executed for all new reports (values
prepared by each field's own `pre_save` and `get_db_prep_save`, exactly what `bulk_create`
does, so encrypted fields and lookup hashes are byte-for-byte what the services store), one for
the merged repeats, one for the history rows, one UPDATE per 500 survivors of a merge. The
per-row rules are not repeated here: `validate_case_input` checks the fields, dedup.py decides
what an upgrade is and proposes candidate pairs, labs.py links waiting lab results.
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from shouwang.core import crypto
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.surveillance.models import (
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    DuplicateCandidate,
    HistoryKind,
    ImportBatch,
    ImportStatus,
    LabResult,
    ReportTask,
    TaskStatus,
)
from shouwang.surveillance.services.cases import masked, payload_fingerprint
from shouwang.surveillance.services.counts import (
    COUNTY_DIGITS,
    daily_counts_refresh_for,
    local_day,
)
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
    case: CaseReport | None = None


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

    @classmethod
    def for_batch(cls, batch: ImportBatch, headers: list[str],
                  mapping: dict[str, str | None], *, write: bool) -> RowContext:
        actor = batch.owner
        return cls(batch=batch, actor=actor, headers=headers, mapping=mapping, write=write,
                   now=timezone.now(), diseases=active_diseases(), divisions=DivisionCodes.load(),
                   prefix=actor.jurisdiction_prefix or "\x00")


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


def _validate(ctx: RowContext, values: dict[str, str]
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
            o.clean, o.errors = _validate(ctx, values)
            if o.clean is not None:
                o.status = "valid"
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
    diseases = {d for d, _h in pairs}
    for part in _in_batches(h for _d, h in pairs):
        qs = CaseReport.objects.filter(id_number_hash__in=part, disease_id__in=diseases,
                                       status=CaseStatus.ACTIVE).order_by()
        if lock:
            qs = qs.select_for_update()
        for row in qs.values_list("disease_id", "id_number_hash", "pk", "diagnosed_at",
                                  "version", "classification", "division_code", "onset_date",
                                  "reported_at"):
            if (row[0], row[1]) in pairs:
                found[(row[0], row[1])].append(Stored(*row[2:]))
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


def fast_insert(objs: Sequence[models.Model]) -> None:
    """INSERT the objects with one executemany; values as bulk_create prepares them (each
    field's pre_save(add=True), then get_db_prep_save). Ids are not read back."""
    if not objs:
        return
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in fields)
    sql = (f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    params = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
              for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _new_case(ctx: RowContext, o: Outcome, **extra: Any) -> CaseReport:
    clean = o.clean
    assert clean is not None
    deadlines = case_deadlines(disease=clean.disease, diagnosed_at=clean.diagnosed_at,
                               reported_at=clean.reported_at)
    case = CaseReport(source_key=o.key, created_by=ctx.actor, **clean.as_model_fields(),
                      report_deadline_at=deadlines.report_deadline_at,
                      verification_due_at=deadlines.verification_due_at, **extra)
    o.case = case
    return case


def _read_ids(cases: list[CaseReport]) -> None:
    ids = _stored_keys_raw(c.source_key for c in cases if c.source_key)
    for case in cases:
        case.pk = ids[str(case.source_key)]


def _stored_keys_raw(keys: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in _in_batches(keys):
        for key, pk in CaseReport.objects.filter(source_key__in=part).values_list(
                "source_key", "pk"):
            found[str(key)] = pk
    return found


def _create_history(ctx: RowContext, o: Outcome) -> CaseReportHistory:
    assert o.clean is not None and o.case is not None
    created = {k: v for k, v in o.clean.as_model_fields().items() if k != "disease"}
    created["disease"] = o.clean.disease.code
    changes = {**{k: [None, v] for k, v in created.items() if v not in (None, "")},
               "payload": payload_fingerprint(o.values)}
    return CaseReportHistory(case_id=o.case.pk, version=1, kind=HistoryKind.CREATE,
                             actor=ctx.actor, reason="", changes=masked(changes),
                             classification=o.case.classification)


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

    new = [o for o in outcomes if o.status == "new"]
    new_cases = [_new_case(ctx, o) for o in new]
    fast_insert(new_cases)
    _read_ids(new_cases)
    merged = [o for o in outcomes if o.status == "merged"]
    merged_cases: list[CaseReport] = []
    for o in merged:
        target = o.survivor.pk if isinstance(o.survivor, Stored) else o.survivor.case.pk  # type: ignore[union-attr]
        merged_cases.append(_new_case(ctx, o, status=CaseStatus.MERGED, merged_into_id=target))
    fast_insert(merged_cases)
    _read_ids(merged_cases)
    history = [_create_history(ctx, o) for o in new + merged]

    # The survivors' side of every merge, in file order (dedup.record_merge's steps).
    state: dict[int, list[Any]] = {}
    for o in merged:
        assert o.case is not None and o.survivor is not None
        if isinstance(o.survivor, Stored):
            s = o.survivor
            cur = state.setdefault(s.pk, [s.version, s.classification, s.classification, s])
        else:
            sc = o.survivor.case
            assert sc is not None
            cur = state.setdefault(sc.pk, [1, sc.classification, sc.classification, sc])
        cur[0] += 1
        survivor_id = int(o.case.merged_into_id or 0)
        history.append(CaseReportHistory(
            case_id=survivor_id, version=cur[0], kind=HistoryKind.MERGE,
            actor=ctx.actor, reason=_(MERGE_REASON), classification=cur[1],
            changes=masked({"merged_report": [None, o.case.pk]})))
        if is_upgrade(cur[1], o.case.classification):
            cur[0] += 1
            history.append(CaseReportHistory(
                case_id=survivor_id, version=cur[0], kind=HistoryKind.RECLASSIFY,
                actor=ctx.actor, reason=_(UPGRADE_REASON), classification=o.case.classification,
                changes=masked({"classification": [cur[1], o.case.classification]})))
            cur[1] = o.case.classification
    now = timezone.now()
    updates = [CaseReport(pk=pk, version=v, classification=cls, updated_at=now)
               for pk, (v, cls, _was, _s) in state.items()]
    if updates:
        CaseReport.objects.bulk_update(updates, ["version", "classification", "updated_at"],
                                       batch_size=IN_BATCH)
    fast_insert(history)

    for case in new_cases:
        _touch(ctx, case.division_code, case.onset_date, (case.diagnosed_at, case.reported_at))
    for _v, cls, was, s in state.values():
        if cls != was:
            _touch(ctx, s.division_code, s.onset_date, (s.diagnosed_at, s.reported_at))
    _link_lab_results(ctx, new_cases)
    return _propose(new_cases)


def _link_lab_results(ctx: RowContext, cases: list[CaseReport]) -> None:
    """labs.report_tasks_resolve_for_case for the new reports that have a waiting lab result
    (found with two queries per chunk, not one per row)."""
    from shouwang.surveillance.services.labs import report_tasks_resolve_for_case

    hashes = {c.id_number_hash for c in cases if c.id_number_hash}
    waiting: set[tuple[str, str]] = set()
    for part in _in_batches(hashes):
        waiting.update(LabResult.objects.filter(case__isnull=True, id_number_hash__in=part)
                       .values_list("disease_id", "id_number_hash"))
        waiting.update(ReportTask.objects.filter(
            status=TaskStatus.OPEN, lab_result__id_number_hash__in=part)
            .values_list("disease_id", "lab_result__id_number_hash"))
    for case in cases:
        if case.id_number_hash and (case.disease_id, case.id_number_hash) in waiting:
            report_tasks_resolve_for_case(case, actor=ctx.actor)


def _propose(cases: list[CaseReport]) -> int:
    """dedup.propose_candidates for the new reports that share disease, name and birth date or
    phone with another active report (pre-filtered with one query per 500 reports)."""
    from shouwang.surveillance.services.dedup import propose_candidates

    proposed: list[int] = []
    for start in range(0, len(cases), IN_BATCH):
        part = cases[start:start + IN_BATCH]
        births = {c.birth_date for c in part if c.birth_date}
        phones = {c.phone_hash for c in part if c.phone_hash}
        match = Q(birth_date__in=births) | Q(phone_hash__in=phones)
        index: dict[tuple[str, str], list[tuple[int, date | None, str | None]]] = defaultdict(list)
        for pk, disease, name, birth, phone in CaseReport.objects.filter(
                match, name_hash__in={c.name_hash for c in part if c.name_hash},
                status=CaseStatus.ACTIVE).order_by().values_list(
                "pk", "disease_id", "name_hash", "birth_date", "phone_hash"):
            index[(disease, name)].append((pk, birth, phone))
        for case in part:
            hits = [pk for pk, birth, phone in index.get((case.disease_id, case.name_hash), ())
                    if pk != case.pk and ((case.birth_date and birth == case.birth_date)
                                          or (case.phone_hash and phone == case.phone_hash))]
            if hits and propose_candidates(case):
                proposed.append(case.pk)
    if not proposed:
        return 0
    # Two rows of this chunk were each proposed against the other; keep the later → earlier
    # pair, as two reports submitted one after the other would have it.
    ids = {c.pk for c in cases}
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


# --- the errors file -----------------------------------------------------------------------------


def _label(ctx: RowContext, name: str) -> str:
    if name == ROW:
        return _("整行")
    for header, target in ctx.mapping.items():
        if target == name:
            return header
    column = COLUMNS_BY_FIELD.get(name)
    return column.header_zh if column is not None else name


def _messages(ctx: RowContext, o: Outcome, language: str) -> str:
    """The row's errors as one line of text in `language` (validated again in it)."""
    with translation.override(language):
        if o.duplicate_kind == "file" and o.status == "error":
            errors: dict[str, list[str | Promise]] = {
                ROW: [_("与第 %(n)s 行完全相同（文件内重复行）。") % {"n": o.duplicate_of}]}
        else:
            errors = _validate(ctx, o.values)[1] or o.errors
        return "; ".join(f"{_label(ctx, name)}: {' '.join(str(m) for m in messages)}"
                         for name, messages in errors.items())


def _cell(text: str) -> str:
    # A cell starting with a formula sign would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def errors_header(headers: list[str]) -> list[str]:
    return [_("行号") + " / line", *headers, _("错误") + "（中文）", "errors (English)"]


def write_errors(ctx: RowContext, fh: TextIO, outcomes: list[Outcome]) -> int:
    writer = csv.writer(fh)
    n = 0
    for o in outcomes:
        if o.status != "error":
            continue
        cells = o.cells + [""] * (len(ctx.headers) - len(o.cells))
        writer.writerow([o.line, *(_cell(c) for c in cells[:len(ctx.headers)]),
                         _messages(ctx, o, "zh-hans"), _messages(ctx, o, "en")])
        n += 1
    fh.flush()
    os.fsync(fh.fileno())
    return n


def _truncate_errors(path: Path, headers: list[str], last_line: int) -> None:
    """Keep the error rows of committed lines only (a killed run may have written more)."""
    kept: list[list[str]] = []
    if path.is_file():
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i == 0 or (row and row[0].isdigit() and int(row[0]) <= last_line):
                    kept.append(row)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        if not kept:
            writer.writerow(errors_header(headers))
        writer.writerows(kept)


# --- a whole batch --------------------------------------------------------------------------------


def _touched_json(ctx: RowContext) -> dict[str, list[str]]:
    return {"counties": sorted(ctx.counties), "days": sorted(d.isoformat() for d in ctx.days)}


def run_batch(batch: ImportBatch, *, dry_run: bool, progress: Any = None) -> None:
    """The import of one batch, chunk by chunk; see imports.import_run."""
    from shouwang.surveillance.services.imports import batch_sheet, clean_mapping, imports_dir

    sheet = batch_sheet(batch)
    mapping = clean_mapping(sheet.headers, batch.mapping, complete=True)
    resume = (not dry_run and not batch.dry_run and batch.resume_line > 0
              and batch.status in (ImportStatus.RUNNING, ImportStatus.FAILED))
    errors_name = f"errors-{batch.pk}{'-dry' if dry_run else ''}.csv"
    errors_path = imports_dir() / errors_name
    now = timezone.now()
    if resume:
        ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING, failure="")
        _truncate_errors(errors_path, sheet.headers, batch.resume_line)
    else:
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=ImportStatus.RUNNING, dry_run=dry_run, resume_line=0, imported_rows=0,
            duplicate_rows=0, existing_rows=0, error_rows=0, candidate_rows=0, touched={},
            failure="", started_at=now, finished_at=None, errors_path=errors_name)
        _truncate_errors(errors_path, sheet.headers, 0)
    batch.refresh_from_db()
    with translation.override("zh-hans"):
        ctx = RowContext.for_batch(batch, sheet.headers, mapping, write=not dry_run)
        ctx.counties = set(batch.touched.get("counties", []))
        ctx.days = {date.fromisoformat(d) for d in batch.touched.get("days", [])}
        done = 0
        if resume:
            # Lines already committed: only their keys, so a later exact repeat is still an error.
            for line, cells in sheet.rows():
                if line > batch.resume_line:
                    break
                values = row_values(sheet.headers, cells, mapping)
                ctx.seen_keys.setdefault(source_key(batch.division_code, values), line)
                done += 1
        with errors_path.open("a", encoding="utf-8", newline="") as fh:
            chunk: list[tuple[int, list[str]]] = []
            for item in sheet.rows(batch.resume_line if resume else 0):
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    done += _commit(ctx, chunk, fh)
                    chunk = []
                    if progress:
                        progress(done, max(batch.total_rows, done))
            if chunk:
                done += _commit(ctx, chunk, fh)
            if progress:
                progress(done, done)
        _finish(ctx, done, errors_path)


def _commit(ctx: RowContext, chunk: list[tuple[int, list[str]]], fh: TextIO) -> int:
    batch = ctx.batch
    outcomes = assess(ctx, chunk)
    with transaction.atomic():
        resolve(ctx, outcomes)
        candidates = write(ctx, outcomes) if ctx.write else 0
        errors = write_errors(ctx, fh, outcomes)
        counts: dict[str, int] = defaultdict(int)
        for o in outcomes:
            counts[o.status] += 1
        last = chunk[-1][0]
        updated = ImportBatch.objects.filter(pk=batch.pk, resume_line=batch.resume_line).update(
            resume_line=last if ctx.write else 0,
            imported_rows=F("imported_rows") + counts["new"],
            duplicate_rows=F("duplicate_rows") + counts["merged"],
            existing_rows=F("existing_rows") + counts["existing"],
            error_rows=F("error_rows") + errors,
            candidate_rows=F("candidate_rows") + candidates,
            touched=_touched_json(ctx) if ctx.write else {},
        )
        if updated != 1:
            raise RuntimeError(f"import batch {batch.pk} advanced by another run; stopping")
    if ctx.write:
        batch.resume_line = last
        ctx.people.clear()  # committed: later chunks find these rows in the table
    return len(chunk)


def _finish(ctx: RowContext, done: int, errors_path: Path) -> None:
    batch = ctx.batch
    with transaction.atomic():
        if ctx.write and ctx.counties:
            daily_counts_refresh_for(county_codes=ctx.counties, days=ctx.days)
        fresh = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        fresh.total_rows = done
        fresh.finished_at = timezone.now() if ctx.write else None
        fresh.status = ImportStatus.DONE if ctx.write else ImportStatus.PREVIEWED
        if fresh.error_rows == 0:
            errors_path.unlink(missing_ok=True)
            fresh.errors_path = ""
        fresh.save(update_fields=["total_rows", "finished_at", "status", "errors_path"])
        figures = {"total_rows": done, "imported_rows": fresh.imported_rows,
                   "duplicate_rows": fresh.duplicate_rows, "existing_rows": fresh.existing_rows,
                   "error_rows": fresh.error_rows, "candidate_rows": fresh.candidate_rows,
                   "dry_run": not ctx.write, "file_sha256": fresh.file_sha256}
        audit_log(actor=ctx.actor, action=AuditAction.CREATE if ctx.write else AuditAction.UPDATE,
                  object_type="surveillance.casereport" if ctx.write else "",
                  obj=None if ctx.write else fresh,
                  object_id=f"import:{fresh.pk}" if ctx.write else "",
                  division_code=fresh.division_code,
                  summary=(f"case import {'dry run' if not ctx.write else 'done'}: "
                           f"{fresh.imported_rows} imported, {fresh.duplicate_rows} duplicates, "
                           f"{fresh.existing_rows} already imported, {fresh.error_rows} errors"),
                  changes=figures)
