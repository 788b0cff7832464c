"""Import of infector → infectee edges from a line list (CSV or XLSX, UTF-8 or GBK), the edge half
of "cases plus contact/infector edges, in the shape of published outbreak line lists".

The cases themselves are imported by the surveillance importer (surveillance/services/imports.py);
this file's rows name two stored cases each, in two columns the caller names (`id_kind`): by
case report id, by the source key the case was submitted with, or — for the very line list whose
cases were imported (`line_list`) — by the file's own ids: the infectee column is each row's own
case id, and the row is matched to the report the case import stored from it. A row with no
infector is a case of unknown source: nothing to store.

All or nothing: every row is checked first — an id that is not a number, a case that does not
exist or lies outside the actor's jurisdiction (the same "unknown case" error, so nothing
leaks), a self-link, an infectee given two different infectors — and every bad row is reported
with its line number and column. Then the whole graph (the file's links with the stored ones:
cycles, an infectee ill before its infector) is validated and stored by the links service
(`links_confirm_bulk`) in the same transaction. A link already confirmed is left as it is, so
the same file twice stores nothing new. Decision: docs/decisions/1040-flows-import-and-demo.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import scoped
from shouwang.surveillance.models import CaseReport, CaseStatus
from shouwang.surveillance.services.import_io import (
    CSV,
    detect_encoding,
    detect_format,
    normalize_header,
    open_sheet,
)
from shouwang.tracing.models import LinkStatus, TransmissionLink

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "tracing.write"
# How a file names cases: case report ids, the source keys the cases were submitted with, or
# its own ids when it is the very line list whose cases the surveillance importer stored.
LINE_LIST = "line_list"
ID_KINDS = ("report_id", "source_key", LINE_LIST)
INFECTOR, INFECTEE = "infector", "infectee"
LOOKUP_CHUNK = 500
BULK_CHUNK = 5000  # pairs per call of links_confirm_bulk (its limit is 20,000)
MAX_REPORTED_ERRORS = 1000  # the rest are counted, not listed

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RowError:
    """One bad cell: the file's line number (as a spreadsheet numbers it), the column's header
    as the file has it ("" for the row as a whole) and the message."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message
        if self.column:
            return _("第 %(line)s 行，列“%(col)s”：%(msg)s") % {
                "line": self.line, "col": self.column, "msg": self.message}
        return _("第 %(line)s 行：%(msg)s") % {"line": self.line, "msg": self.message}


class LinkImportError(InvalidInput):
    """The file was refused; `rows` lists each bad row (up to MAX_REPORTED_ERRORS) and
    `error_count` counts them all. Nothing was stored."""

    def __init__(self, rows: list[RowError], error_count: int | None = None) -> None:
        self.rows = rows[:MAX_REPORTED_ERRORS]
        self.error_count = len(rows) if error_count is None else error_count
        message = _("文件有 %(n)s 处错误，未导入任何传播关系。") % {"n": self.error_count}
        super().__init__({"rows": [str(r) for r in self.rows]}, message=message)


@dataclass(frozen=True)
class LinkImportResult:
    rows: int       # data rows read
    links: int      # distinct infector → infectee pairs in the file
    created: int    # confirmed now
    existing: int   # already confirmed before: left as they were
    no_infector: int  # rows without an infector (unknown source)
    file_sha256: str


@dataclass
class _Row:
    line: int
    infector: str
    infectee: str
    cells: list[str]


def _column(headers: list[str], wanted: str, field: str) -> int:
    """The index of the header `wanted` names: exactly, else after normalisation (spaces,
    punctuation, full-width forms and case ignored)."""
    if not wanted.strip():
        raise InvalidInput({field: [_("此项为必填项。")]})
    if wanted in headers:
        return headers.index(wanted)
    key = normalize_header(wanted)
    for i, header in enumerate(headers):
        if normalize_header(header) == key:
            return i
    raise InvalidInput({field: [_("文件中没有名为“%(col)s”的列（已有：%(cols)s）。") % {
        "col": wanted, "cols": "、".join(headers[:30])}]})


def _rows(content: bytes, infector_column: str, infectee_column: str
          ) -> tuple[list[_Row], list[str], str, str]:
    """The data rows (line, infector cell, infectee cell, every cell), the headers and the two
    columns' headers as in the file."""
    file_format = detect_format(content)
    encoding = detect_encoding(content) if file_format == CSV else ""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("links.csv" if file_format == CSV else "links.xlsx")
        path.write_bytes(content)
        sheet = open_sheet(path, file_format, encoding)
        a = _column(sheet.headers, infector_column, "infector_column")
        b = _column(sheet.headers, infectee_column, "infectee_column")
        try:
            rows = [_Row(line, _cell(cells, a), _cell(cells, b), cells)
                    for line, cells in sheet.rows()]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInput({"file": [_("文件无法读取：%(err)s") % {"err": str(exc)[:200]}]}
                               ) from None
    if not rows:
        raise InvalidInput({"file": [_("文件中没有数据行。")]})
    return rows, sheet.headers, sheet.headers[a], sheet.headers[b]


def _cell(cells: list[str], i: int) -> str:
    return cells[i].strip() if i < len(cells) else ""


def _chunks(values: list[Any], size: int = LOOKUP_CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def resolve_cases(*, actor: User, ids: set[str], id_kind: str) -> dict[str, int]:
    """{id as written: case report id} of the ids naming a case the actor may see. A report
    merged into another resolves to the one it was merged into (when visible too); a revoked
    report, or one outside the jurisdiction, resolves to nothing."""
    visible = scoped(CaseReport.objects.all(), actor)
    found: dict[str, tuple[int, str, int | None]] = {}
    if id_kind == "report_id":
        numbers = {int(i): i for i in ids if i.isdigit() and len(i) <= 18}
        for part in _chunks(sorted(numbers)):
            for pk, status, merged in visible.filter(pk__in=part).values_list(
                    "pk", "status", "merged_into_id"):
                found[numbers[pk]] = (pk, status, merged)
    else:
        for part in _chunks(sorted(ids)):
            for key, pk, status, merged in visible.filter(source_key__in=part).values_list(
                    "source_key", "pk", "status", "merged_into_id"):
                if key is not None:
                    found[key] = (pk, status, merged)
    targets = {m for _pk, s, m in found.values() if s == CaseStatus.MERGED and m is not None}
    alive = set(visible.filter(pk__in=targets, status=CaseStatus.ACTIVE)
                .values_list("pk", flat=True)) if targets else set()
    out: dict[str, int] = {}
    for written, (pk, status, merged_into) in found.items():
        if status == CaseStatus.ACTIVE:
            out[written] = pk
        elif status == CaseStatus.MERGED and merged_into is not None and merged_into in alive:
            out[written] = merged_into
    return out


def line_list_cases(*, actor: User, content: bytes, headers: list[str],
                    rows: list[_Row]) -> dict[str, int]:
    """{the file's own case id (its infectee column): case report id} for a line list whose
    cases the surveillance importer stored: the same file, in a finished batch of the actor's
    jurisdiction. Each row's source key is computed again as that import computed it (the
    batch's division and column mapping), which names the report it stored (a row merged as a
    repeat names the report it was merged into; a row the import refused names nothing)."""
    from shouwang.surveillance.models import ImportKind, ImportStatus
    from shouwang.surveillance.selectors.imports import import_batch_list
    from shouwang.surveillance.services.import_io import row_values
    from shouwang.surveillance.services.import_rows import source_key

    batch = (import_batch_list(user=actor)
             .filter(file_sha256=hashlib.sha256(content).hexdigest(), kind=ImportKind.CASES,
                     status=ImportStatus.DONE, dry_run=False).order_by("-pk").first())
    if batch is None:
        raise InvalidInput({"id_kind": [_(
            "按病例一览表的病例编号匹配时，须先用“批量导入”导入同一文件中的病例。")]})
    keys = {r.infectee: source_key(batch.division_code, row_values(headers, r.cells,
                                                                   batch.mapping))
            for r in rows if r.infectee}
    stored = resolve_cases(actor=actor, ids=set(keys.values()), id_kind="source_key")
    return {written: stored[key] for written, key in keys.items() if key in stored}


def links_import(*, actor: User, content: bytes, infector_column: str, infectee_column: str,
                 id_kind: str = "report_id", reason: str = "",
                 progress: Progress | None = None) -> LinkImportResult:
    """Confirm the infector → infectee links of a line list (see the module's docstring).
    Raises InvalidInput for a bad file or column, LinkImportError listing every bad row."""
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)
    if id_kind not in ID_KINDS:
        raise InvalidInput({"id_kind": [_("取值无效，可选：%(opts)s。") % {
            "opts": ", ".join(ID_KINDS)}]})
    rows, headers, infector_header, infectee_header = _rows(content, infector_column,
                                                            infectee_column)
    total = len(rows)
    if progress:
        progress(0, total)
    errors: list[RowError] = []
    unknown = _("未找到该病例（或不在您的管辖范围内）。")
    ids = {v for r in rows for v in (r.infector, r.infectee) if v}
    if id_kind == "report_id":
        for r in rows:
            for value, header in ((r.infector, infector_header), (r.infectee, infectee_header)):
                if value and not value.isdigit():
                    errors.append(RowError(r.line, header, _("病例编号应为正整数。")))
    if id_kind == LINE_LIST:
        first_line: dict[str, int] = {}
        for r in rows:
            if r.infectee in first_line:
                errors.append(RowError(r.line, infectee_header, _(
                    "病例编号与第 %(n)s 行重复：按病例一览表行匹配时，每行的病例编号须唯一。")
                    % {"n": first_line[r.infectee]}))
            elif r.infectee:
                first_line[r.infectee] = r.line
        cases = line_list_cases(actor=actor, content=content, headers=headers, rows=rows)
    else:
        cases = resolve_cases(actor=actor, ids=ids, id_kind=id_kind)

    pairs: dict[tuple[int, int], int] = {}   # (infector, infectee) → first line
    infector_of: dict[int, tuple[int, int]] = {}  # infectee → (infector, line)
    no_infector = 0
    for r in rows:
        if not r.infectee:
            errors.append(RowError(r.line, infectee_header, _("此项为必填项。")))
            continue
        if not r.infector:
            no_infector += 1
            continue
        a, b = cases.get(r.infector), cases.get(r.infectee)
        bad = False
        for value, pk, header in ((r.infector, a, infector_header),
                                  (r.infectee, b, infectee_header)):
            if pk is None and (id_kind != "report_id" or value.isdigit()):
                errors.append(RowError(r.line, header, unknown))
            bad = bad or pk is None
        if bad or a is None or b is None:
            continue
        if a == b:
            errors.append(RowError(r.line, infector_header, _("传染者与被传染者是同一病例。")))
            continue
        earlier = infector_of.get(b)
        if earlier is not None and earlier[0] != a:
            errors.append(RowError(r.line, infector_header, _(
                "该被传染者在第 %(n)s 行已有另一传染者：一个病例只能有一个确认的传染者。") % {
                "n": earlier[1]}))
            continue
        infector_of.setdefault(b, (a, r.line))
        pairs.setdefault((a, b), r.line)
    if errors:
        errors.sort(key=lambda e: (e.line, e.column))
        raise LinkImportError(errors)

    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        existing = _already_confirmed(list(pairs))
        _confirm(actor, pairs, reason or _("由传播关系文件导入"), infector_header, progress,
                 total)
        created = len(pairs) - len(existing)
        audit_log(actor=actor, action=AuditAction.CREATE, object_type="tracing.linkimport",
                  object_id=digest[:16],
                  division_code=actor.division.code if actor.division else "",
                  summary=f"links import: {created} confirmed, {len(existing)} already there",
                  changes={"rows": total, "links": len(pairs), "created": created})
    if progress:
        progress(total, total)
    return LinkImportResult(rows=total, links=len(pairs), created=created,
                            existing=len(existing), no_infector=no_infector,
                            file_sha256=digest)


def _already_confirmed(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    infectees = sorted({b for _a, b in pairs})
    found: set[tuple[int, int]] = set()
    for part in _chunks(infectees):
        found.update(TransmissionLink.objects.filter(
            infectee_id__in=part, status=LinkStatus.CONFIRMED).values_list(
            "infector_id", "infectee_id"))
    return found & set(pairs)


def _confirm(actor: User, lines: dict[tuple[int, int], int], reason: str, header: str,
             progress: Progress | None, total: int) -> None:
    """Store through the links service, BULK_CHUNK pairs a call inside the caller's
    transaction (a later chunk's graph check sees the earlier chunks' links); its refusals (a
    cycle, an onset order, another confirmed infector, another disease) are named by the
    file's line of the pair whose infectee they name."""
    from shouwang.tracing.services.links import links_confirm_bulk

    todo = list(lines)
    ids = sorted({pk for pair in todo for pk in pair})
    cases: dict[int, CaseReport] = {}
    for part in _chunks(ids):
        cases.update(CaseReport.objects.in_bulk(part))
    done = 0
    for part in _chunks(todo, BULK_CHUNK):
        try:
            links_confirm_bulk(actor=actor, pairs=[(cases[a], cases[b]) for a, b in part],
                               reason=reason)
        except InvalidInput as exc:
            raise LinkImportError(_row_errors(exc, part, lines, header)) from exc
        done += len(part)
        if progress:
            progress(min(total - 1, done * total // max(len(todo), 1)), total)


_CASE_REF = re.compile(r"#(\d+)")


def _row_errors(exc: InvalidInput, part: list[tuple[int, int]],
                lines: dict[tuple[int, int], int], header: str) -> list[RowError]:
    """The links service's messages as row errors: a message is put on the line of the first
    pair whose infectee it names ("#<report id>"), else on the file as a whole."""
    line_of = {b: lines[(a, b)] for a, b in part}
    out: list[RowError] = []
    for messages in exc.fields.values():
        for message in messages:
            text = str(message)
            line = next((line_of[int(m)] for m in _CASE_REF.findall(text)
                         if int(m) in line_of), 0)
            out.append(RowError(line, header if line else "", text))
    if not out and exc.message:
        out.append(RowError(0, "", str(exc.message)))
    return sorted(out, key=lambda e: (e.line, e.column))


__all__ = ["ID_KINDS", "LinkImportError", "LinkImportResult", "RowError", "links_import",
           "resolve_cases"]
