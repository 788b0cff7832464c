"""The row engine of the bulk import, part two: store a resolved chunk.

Set-based per chunk: one INSERT statement executed for all new reports (parameters prepared by
import_rows.prepare with each field's own methods, exactly what `bulk_create` stores, so
encrypted fields and lookup hashes are what the services store), one for the merged repeats,
one for the history rows, one UPDATE per 500 survivors of a merge, a few queries for the
candidate pairs and waiting lab results. Runs in the process that holds the transaction.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.surveillance.models import (
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    DuplicateCandidate,
    HistoryKind,
    TaskStatus,
)
from shouwang.surveillance.services.bulk_insert import aware, day, in_list, inserter, select_in
from shouwang.surveillance.services.cases import masked
from shouwang.surveillance.services.counts import Cell, case_cells, daily_counts_add
from shouwang.surveillance.services.import_rows import (
    IN_BATCH,
    Outcome,
    RowContext,
    Stored,
    case_row,
    in_batches,
    prepare,
)

MERGE_REASON = "重复报告（证件号码相同），已合并。"
UPGRADE_REASON = "由重复报告订正"


def created_changes(batch_id: int, line: int) -> dict[str, Any]:
    """The changes of an imported report's CREATE history row: the batch and file line it came
    from. The values themselves are the report's (later changes keep [old, new] pairs, so the
    values at creation follow from the current ones), and the payload fingerprint that
    case_report_submit keeps for reused source keys is not needed: an import's source key is
    made from the row's content, so the same key is the same content."""
    return {"import_batch": [None, batch_id], "import_line": [None, line]}


def _history(case_id: int, version: int, kind: str, actor_id: int, reason: str,
             changes: dict[str, Any], classification: str, now: datetime) -> dict[str, Any]:
    return {"case_id": case_id, "version": version, "kind": kind, "changed_at": now,
            "actor_id": actor_id, "reason": reason, "changes": changes,
            "classification": classification}


def _insert_reports(outcomes: list[Outcome], now: datetime) -> None:
    """INSERT the prepared reports and note their ids, patching what is known only now: the
    time of writing and, for a merged repeat, its status and survivor."""
    insert = inserter(CaseReport)
    created, updated = insert.position("created_at"), insert.position("updated_at")
    status, merged_into = insert.position("status"), insert.position("merged_into_id")
    stamp = insert.adapt("created_at", now)
    rows = []
    for o in outcomes:
        params = o.params
        assert params is not None
        params[created] = params[updated] = stamp
        if o.status == "merged":
            assert o.survivor is not None
            params[status] = CaseStatus.MERGED
            params[merged_into] = o.survivor.pk
        rows.append(params)
    ids = {key: pk for pk, key in insert.insert_returning(rows, "source_key")}
    for o in outcomes:
        o.pk = ids[o.key]


def write(ctx: RowContext, outcomes: list[Outcome]) -> int:
    """Store the chunk's new and merged rows; returns how many rows got candidate pairs."""
    from shouwang.surveillance.services.dedup import is_upgrade

    now = timezone.now()
    t = time.perf_counter()
    prepare(ctx, outcomes)  # a no-op when the pipeline has prepared them
    t = ctx.lap("write.prepare", t)
    actor = ctx.actor.pk
    new = [o for o in outcomes if o.status == "new"]
    candidates = _candidate_rows(new)
    t = ctx.lap("write.candidates_find", t)
    _insert_reports(new, now)
    t = ctx.lap("write.insert_cases", t)
    merged = [o for o in outcomes if o.status == "merged"]
    _insert_reports(merged, now)
    batch_id = ctx.batch.pk
    history = [_history(o.pk, 1, HistoryKind.CREATE, actor, "", created_changes(batch_id, o.line),
                        o.clean.classification, now)
               for o in new + merged if o.clean is not None and o.pk is not None]
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
                                        survivor.classification, survivor, o.clean.disease.code])
        else:
            assert survivor.clean is not None
            cls = survivor.clean.classification
            cur = state.setdefault(pk, [1, cls, cls, survivor, o.clean.disease.code])
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
             for pk, (v, cls, *_rest) in state.items()],
            ["version", "classification", "updated_at"], batch_size=IN_BATCH)
    t = ctx.lap("write.merges", t)
    inserter(CaseReportHistory).insert(history)
    t = ctx.lap("write.insert_history", t)

    daily_counts_add(_count_deltas(new, state))
    t = ctx.lap("write.counts", t)
    _link_lab_results(ctx, new)
    t = ctx.lap("write.lab_links", t)
    proposed = _propose(ctx, new, candidates)
    ctx.lap("write.candidates", t)
    return proposed


def _count_deltas(new: list[Outcome], state: dict[int, list[Any]]) -> dict[Cell, int]:
    """What this chunk changes in the daily counts: +1 in every cell of each new active
    report, and for each survivor a merge reclassified, −1 under the classification it had
    and +1 under the one it has now."""
    deltas: dict[Cell, int] = defaultdict(int)
    for o in new:
        c = o.clean
        assert c is not None
        for cell in case_cells(division_code=c.division_code, onset_date=c.onset_date,
                               diagnosed_at=c.diagnosed_at, reported_at=c.reported_at,
                               disease=c.disease.code, classification=c.classification):
            deltas[cell] += 1
    for _version, cls, was, survivor, disease in state.values():
        if cls == was:
            continue
        person = survivor if isinstance(survivor, Stored) else survivor.clean
        assert person is not None
        for classification, step in ((was, -1), (cls, 1)):
            for cell in case_cells(division_code=person.division_code,
                                   onset_date=person.onset_date,
                                   diagnosed_at=person.diagnosed_at,
                                   reported_at=person.reported_at, disease=disease,
                                   classification=classification):
                deltas[cell] += step
    return deltas


def _instance(ctx: RowContext, o: Outcome) -> CaseReport:
    """The stored report of a new row as a model instance (for the few rows that need one)."""
    assert o.clean is not None
    row = case_row(ctx, o, ctx.now)
    case = CaseReport(pk=o.pk, **{k: v for k, v in row.items() if k != "id"})
    case.disease = o.clean.disease
    case.created_by = ctx.actor
    return case


def _link_lab_results(ctx: RowContext, new: list[Outcome]) -> None:
    """labs.report_tasks_resolve_for_case for the new reports that have a waiting lab result
    (found with two queries per 500 people, not one per row)."""
    from shouwang.surveillance.services.labs import report_tasks_resolve_for_case

    hashes = {o.id_hash for o in new if o.id_hash}
    waiting: set[tuple[str, str]] = set()
    for part in in_batches(hashes):
        waiting.update((d, str(h)) for d, h in select_in(
            "SELECT disease_id, id_number_hash FROM surveillance_labresult "
            "WHERE id_number_hash IN ({values}) AND case_id IS NULL", part))
        waiting.update((d, str(h)) for d, h in select_in(
            "SELECT t.disease_id, l.id_number_hash FROM surveillance_reporttask t "
            "JOIN surveillance_labresult l ON l.id = t.lab_result_id "
            "WHERE l.id_number_hash IN ({values}) AND t.status = %s", part, TaskStatus.OPEN))
    for o in new:
        assert o.clean is not None
        if o.id_hash and (o.clean.disease.code, o.id_hash) in waiting:
            report_tasks_resolve_for_case(_instance(ctx, o), actor=ctx.actor)


Match = tuple[Any, Any, Any, Any]  # birth date, phone hash, ID hash, diagnosed at


def _match(o: Outcome) -> Match:
    assert o.clean is not None
    return (o.clean.birth_date, o.phone_hash, o.id_hash or None, o.clean.diagnosed_at)


def _may_pair(mine: Match, other: Match, window: timedelta) -> bool:
    """Could propose_candidates pair a report with `other`? The same disease and name are
    given; a superset of its rule: one side without an ID number, diagnosed within the window,
    the same birth date or phone."""
    birth, phone, idh, diagnosed = mine
    o_birth, o_phone, o_idh, o_diagnosed = other
    return ((o_idh is None or idh is None)
            and abs(o_diagnosed - diagnosed) <= window
            and bool((birth and o_birth == birth) or (phone and o_phone == phone)))


def _candidate_rows(new: list[Outcome]) -> list[Outcome]:
    """The new rows (not yet stored) that dedup.propose_candidates may pair with a stored
    active report or with another row of the chunk: same disease and name, and birth date or
    phone, one of the two without an ID number, within the window. One to two indexed queries
    per 500 rows; pairs inside the chunk in Python."""
    found: set[int] = set()
    by_name: dict[tuple[str, str | None], list[Outcome]] = defaultdict(list)
    for o in new:
        assert o.clean is not None
        by_name[(o.clean.disease.code, o.name_hash)].append(o)
    for group in by_name.values():
        for i, o in enumerate(group):
            assert o.clean is not None
            window = timedelta(days=o.clean.disease.dedup_window_days)
            mine = _match(o)
            if any(_may_pair(mine, _match(other), window) for other in group[:i]):
                found.add(o.line)
    # A pair needs one side without an ID number. Rows with one (most) are checked against
    # the stored reports without one, through the small partial index of those; the few rows
    # without one against every stored report of the same name.
    with_id = [o for o in new if o.id_hash]
    without_id = [o for o in new if not o.id_hash]
    for rows, only_without_id in ((with_id, True), (without_id, False)):
        for start in range(0, len(rows), IN_BATCH):
            part = rows[start:start + IN_BATCH]
            index = _stored_namesakes(part, only_without_id)
            for o in part:
                assert o.clean is not None
                window = timedelta(days=o.clean.disease.dedup_window_days)
                mine = _match(o)
                if any(_may_pair(mine, other, window)
                       for other in index.get((o.clean.disease.code, str(o.name_hash)), ())):
                    found.add(o.line)
    return [o for o in new if o.line in found]


def _stored_namesakes(part: list[Outcome], only_without_id: bool
                      ) -> dict[tuple[str, str], list[Match]]:
    """Active stored reports of the same names as `part`, by (disease, name hash)."""
    names = sorted({o.name_hash for o in part if o.name_hash is not None})
    index: dict[tuple[str, str], list[Match]] = defaultdict(list)
    columns = ("SELECT disease_id, name_hash, status, birth_date, phone_hash, id_number_hash, "
               "diagnosed_at FROM surveillance_casereport WHERE name_hash IN ({values})")
    queries: list[tuple[str, list[str]]]
    if only_without_id:
        # Through surv_case_name_no_id (partial: the reports without an ID number). SQLite's
        # planner, without statistics, took the ID-hash index for "IS NULL" instead and walked
        # every report without an ID for each query (212 s of a million-row import).
        hint = " INDEXED BY surv_case_name_no_id" if connection.vendor == "sqlite" else ""
        queries = [(columns.replace(" WHERE ", f"{hint} WHERE ", 1)
                    + " AND id_number_hash IS NULL", [])]
    else:
        # Two queries, each on two indexed columns (an OR of both would scan the table).
        births = sorted({str(o.clean.birth_date) for o in part
                         if o.clean is not None and o.clean.birth_date})  # ISO binds on both
        phones = sorted({o.phone_hash for o in part if o.phone_hash})
        queries = [(columns + f" AND {column} IN ({in_list(wanted)})", wanted)
                   for column, wanted in (("birth_date", births), ("phone_hash", phones))
                   if wanted]
    for sql, params in queries:
        for disease, name, status, birth, phone, id_hash, diagnosed in select_in(
                sql, names, *params):
            if status == CaseStatus.ACTIVE:
                index[(disease, str(name))].append((day(birth), phone, id_hash, aware(diagnosed)))
    return index


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
