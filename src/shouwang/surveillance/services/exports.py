"""Scoped export of the line list to CSV or XLSX: a background job of kind `case_export`.

The filters are exactly those of the line list (`selectors.cases.CaseFilters`, read through
`case_list`, so the export is scoped to the owner's jurisdiction the same way). The job runs in a
worker with progress, writes its file under VAR_DIR/exports and is downloaded through the jobs
API (`/api/v1/jobs/{id}/download`, owner only). The finished job writes ONE audit row (action
`export`) with the filters and the row count (`core.jobs._finish_succeeded`).

Personal fields (decision 0810): masked by default (`张*`, `138****8000`, the ID number's first
six and last four characters, no birth date, no address detail); the full values only when the
caller asks for `personal="full"` and holds `surveillance.read`, the capability that opens a
case with its person's details. Person-search filters (name, ID number, phone) are stored on the
job and in the audit row as their keyed hashes, never in clear.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from shouwang.core.audit import MASK
from shouwang.core.errors import InvalidInput
from shouwang.core.fields import lookup_hash
from shouwang.core.jobs import JobContext, JobKind, _csv_cell, register_job_kind
from shouwang.core.models import AuditAction, Job
from shouwang.core.validators import InvalidIdentifier, normalize_mobile
from shouwang.geo.models import Division
from shouwang.surveillance.models import (
    CaseReport,
    CaseStatus,
    Classification,
    Disease,
    IdType,
    Occupation,
    Outcome,
    Severity,
    Sex,
)
from shouwang.surveillance.selectors.cases import CaseFilters, case_list

if TYPE_CHECKING:
    from shouwang.accounts.models import User

CASE_EXPORT = "case_export"
EXPORT_CAPABILITY = "surveillance.export"
# Opening a case shows its person's details to holders of this capability: the same people may
# export them in full.
PERSONAL_CAPABILITY = "surveillance.read"
FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PERSONAL_MODES = ("masked", "full")
LANGUAGES = ("zh-hans", "en")

# Person search: kept as keyed hashes (`<name>_hash`) from validation on.
_PERSON_FILTERS = {"name": "text", "id_number": "id_number", "phone": "phone"}
# Every other filter of the line list, by its type: the export follows CaseFilters as it grows.
FILTER_KEYS = tuple(f.name for f in fields(CaseFilters))
_DATE_FILTERS = tuple(f.name for f in fields(CaseFilters) if str(f.type).startswith("date"))
_BOOL_FILTERS = tuple(f.name for f in fields(CaseFilters) if str(f.type).startswith("bool"))
_TEXT_FILTERS = tuple(k for k in FILTER_KEYS
                      if k not in {*_DATE_FILTERS, *_BOOL_FILTERS, *_PERSON_FILTERS})
OPTION_KEYS = ("format", "personal", "language")
_CHUNK = 2000
_PROGRESS_EVERY = 2000


# --- Parameters ---------------------------------------------------------------------------------


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on", "是"}:
        return True
    if text in {"0", "false", "no", "off", "否"}:
        return False
    return None


def _person_hash(kind: str, value: str) -> str:
    text = value.strip()
    if kind == "phone":
        # An invalid number is searched as typed, as the line list does (and finds nothing).
        with contextlib.suppress(InvalidIdentifier):
            text = normalize_mobile(text)
    return lookup_hash(text, kind)


def validate_case_export(user: User, params: Mapping[str, Any]) -> dict[str, Any]:
    """The normalised parameters of an export (stored on the job) or InvalidInput."""
    errors: dict[str, list[str]] = {}
    allowed = {*FILTER_KEYS, *OPTION_KEYS}
    for name in sorted(set(params) - allowed):
        errors[name] = [_("未知的参数。")]
    clean: dict[str, Any] = {}

    fmt = str(params.get("format") or "csv").strip().lower()
    if fmt not in FORMATS:
        errors["format"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(FORMATS)}]
    clean["format"] = fmt
    personal = str(params.get("personal") or "masked").strip().lower()
    if personal not in PERSONAL_MODES:
        errors["personal"] = [_("取值无效，可选：%(opts)s。")
                              % {"opts": ", ".join(PERSONAL_MODES)}]
    elif personal == "full" and not user.has_capability(PERSONAL_CAPABILITY):
        errors["personal"] = [_("您无权导出完整的个人信息。")]
    clean["personal"] = personal
    language = str(params.get("language") or getattr(user, "preferred_language", "")
                   or settings.LANGUAGE_CODE).strip().lower()
    clean["language"] = "en" if language.startswith("en") else LANGUAGES[0]

    for name in _TEXT_FILTERS:
        value = params.get(name)
        if value in (None, ""):
            continue
        clean[name] = str(value).strip()[:32]
    status = clean.get("status", CaseStatus.ACTIVE)
    if status not in {*CaseStatus.values, "all"}:
        errors["status"] = [_("取值无效，可选：%(opts)s。")
                            % {"opts": ", ".join([*CaseStatus.values, "all"])}]
    clean["status"] = status
    if "classification" in clean and clean["classification"] not in Classification.values:
        errors["classification"] = [_("取值无效，可选：%(opts)s。")
                                    % {"opts": ", ".join(Classification.values)}]
    if "disease" in clean and not Disease.objects.filter(code=clean["disease"]).exists():
        errors["disease"] = [_("未知病种。")]
    if "division_code" in clean and not clean["division_code"].isdigit():
        errors["division_code"] = [_("区划代码应为数字。")]
    for name in _DATE_FILTERS:
        value = params.get(name)
        if value in (None, ""):
            continue
        try:
            clean[name] = date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            errors[name] = [_("请输入有效日期（YYYY-MM-DD）。")]
    for start in _DATE_FILTERS:
        end = start.removesuffix("_from") + "_to"
        if start.endswith("_from") and {start, end} <= clean.keys() and clean[start] > clean[end]:
            errors[end] = [_("结束日期不能早于开始日期。")]
    for name in _BOOL_FILTERS:
        value = params.get(name)
        if value in (None, ""):
            continue
        flag = _bool(value)
        if flag is None:
            errors[name] = [_("请输入是或否。")]
        else:
            clean[name] = flag
    for name, kind in _PERSON_FILTERS.items():
        value = params.get(name)
        if value in (None, "") or not str(value).strip():
            continue
        clean[f"{name}_hash"] = _person_hash(kind, str(value))
    if errors:
        raise InvalidInput(errors)
    return clean


def case_export_queryset(*, user: User, params: Mapping[str, Any]) -> QuerySet[CaseReport]:
    """The reports an export with these (validated) parameters writes, scoped to `user`."""
    values: dict[str, Any] = {k: params[k] for k in (*_TEXT_FILTERS, *_BOOL_FILTERS)
                              if k in params}
    for name in _DATE_FILTERS:
        if name in params:
            values[name] = date.fromisoformat(params[name])
    qs = case_list(user=user, filters=CaseFilters(**values))
    # The person filters of the line list, by the hashes the validation kept.
    for name in _PERSON_FILTERS:
        digest = params.get(f"{name}_hash")
        if digest:
            qs = qs.filter(**{f"{name}_hash": digest})
    return qs


# --- Masking ------------------------------------------------------------------------------------


def mask_name(value: str) -> str:
    text = (value or "").strip()
    return text[:1] + "*" * max(1, len(text) - 1) if text else ""


def mask_id_number(value: str) -> str:
    text = (value or "").strip()
    if len(text) <= 10:
        return MASK if text else ""
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def mask_phone(value: str) -> str:
    text = (value or "").strip()
    if len(text) < 7:
        return MASK if text else ""
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


# --- Columns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str | Promise
    value: Callable[[CaseReport, ExportContext], Any]


@dataclass
class ExportContext:
    full: bool
    english: bool
    division_names: dict[str, str]
    # Choice labels in the export's language, built once per export (not per cell).
    labels: dict[type[Any], dict[str, str]] = field(default_factory=dict)

    def label(self, choices: type[Any], value: str) -> str:
        if not value:
            return ""
        known = self.labels.get(choices)
        if known is None:
            known = self.labels[choices] = {k: str(v) for k, v in choices.choices}
        return known.get(value, value)


def _verbose(field: str) -> str | Promise:
    name: str | Promise = getattr(CaseReport._meta.get_field(field), "verbose_name", field)
    return name


def _local(value: datetime | None) -> datetime | None:
    return timezone.localtime(value).replace(tzinfo=None) if value is not None else None


def _personal(masker: Callable[[str], str], field: str) -> Callable[[CaseReport, ExportContext],
                                                                     str]:
    def value(case: CaseReport, ctx: ExportContext) -> str:
        raw = str(getattr(case, field) or "")
        return raw if ctx.full else masker(raw)
    return value




def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


COLUMNS: list[Column] = [
    Column("id", gettext_lazy("报告编号"), lambda c, x: c.pk),
    Column("disease", _verbose("disease"),
           lambda c, x: (c.disease.name_en or c.disease.name) if x.english else c.disease.name),
    Column("classification", _verbose("classification"),
           lambda c, x: x.label(Classification, c.classification)),
    Column("status", _verbose("status"), lambda c, x: x.label(CaseStatus, c.status)),
    Column("name", _verbose("name"), _personal(mask_name, "name")),
    Column("sex", _verbose("sex"), lambda c, x: x.label(Sex, c.sex)),
    Column("age_years", _verbose("age_years"), lambda c, x: c.age_years),
    Column("birth_date", _verbose("birth_date"), lambda c, x: c.birth_date if x.full else None),
    Column("id_type", _verbose("id_type"), lambda c, x: x.label(IdType, c.id_type)),
    Column("id_number", _verbose("id_number"), _personal(mask_id_number, "id_number")),
    Column("phone", _verbose("phone"), _personal(mask_phone, "phone")),
    Column("division_code", _verbose("division_code"), lambda c, x: c.division_code),
    Column("division_name", gettext_lazy("现住址区划名称"),
           lambda c, x: x.division_names.get(c.division_code, "")),
    Column("address_detail", _verbose("address_detail"),
           _personal(lambda v: MASK if v else "", "address_detail")),
    Column("occupation", _verbose("occupation"), lambda c, x: x.label(Occupation, c.occupation)),
    Column("onset_date", _verbose("onset_date"), lambda c, x: c.onset_date),
    Column("diagnosed_at", _verbose("diagnosed_at"), lambda c, x: _local(c.diagnosed_at)),
    Column("reported_at", _verbose("reported_at"), lambda c, x: _local(c.reported_at)),
    Column("reporting_facility", _verbose("reporting_facility"),
           lambda c, x: c.reporting_facility),
    Column("reporting_division_code", _verbose("reporting_division_code"),
           lambda c, x: c.reporting_division_code),
    Column("severity", _verbose("severity"), lambda c, x: x.label(Severity, c.severity)),
    Column("outcome", _verbose("outcome"), lambda c, x: x.label(Outcome, c.outcome)),
    Column("outcome_date", _verbose("outcome_date"), lambda c, x: c.outcome_date),
    Column("imported", _verbose("imported"), lambda c, x: _yes_no(c.imported)),
    Column("origin_division_code", _verbose("origin_division_code"),
           lambda c, x: c.origin_division_code),
    Column("origin_country", _verbose("origin_country"), lambda c, x: c.origin_country),
    Column("report_deadline_at", _verbose("report_deadline_at"),
           lambda c, x: _local(c.report_deadline_at)),
    Column("verification_due_at", _verbose("verification_due_at"),
           lambda c, x: _local(c.verification_due_at)),
    Column("verified_at", _verbose("verified_at"), lambda c, x: _local(c.verified_at)),
    Column("merged_into", _verbose("merged_into"), lambda c, x: c.merged_into_id),
]


# --- Writers ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class _CsvWriter:
    def __init__(self, fh: IO[str]) -> None:
        self._writer = csv.writer(fh)

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([v if isinstance(v, int) else _csv_cell(_text(v)) for v in values])


class _XlsxWriter:
    """openpyxl in write-only mode: rows stream to disk, memory stays flat for large exports."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet()

    def row(self, values: Iterable[Any]) -> None:
        # Plain values, not cell objects (several times faster): dates and times get openpyxl's
        # date formats; every text went through _csv_cell, so none starts with "=" and openpyxl
        # writes none of them as a formula. Characters XML cannot hold are dropped.
        self.sheet.append([
            v if v is None or isinstance(v, (int, date)) else
            ILLEGAL_CHARACTERS_RE.sub("", _csv_cell(str(v)))
            for v in values
        ])


def _chunks(qs: QuerySet[CaseReport], size: int) -> Iterator[list[CaseReport]]:
    chunk: list[CaseReport] = []
    for case in qs.iterator(chunk_size=size):
        chunk.append(case)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _division_names(codes: set[str], known: dict[str, str], english: bool) -> None:
    missing = codes - known.keys()
    if not missing:
        return
    for code, name, name_en in Division.objects.filter(code__in=missing).values_list(
            "code", "name", "name_en"):
        known[code] = (name_en or name) if english else name
    for code in missing - known.keys():
        known[code] = ""


def _write_rows(writer: _CsvWriter | _XlsxWriter, qs: QuerySet[CaseReport], ectx: ExportContext,
                ctx: JobContext, total: int) -> int:
    writer.row(str(c.header) for c in COLUMNS)
    rows = 0
    for chunk in _chunks(qs, _CHUNK):
        _division_names({c.division_code for c in chunk}, ectx.division_names, ectx.english)
        for case in chunk:
            writer.row(col.value(case, ectx) for col in COLUMNS)
        rows += len(chunk)
        if rows % _PROGRESS_EVERY == 0:
            ctx.progress(rows, total)
    return rows


def export_file_name(job: Job) -> str:
    return f"case-export-{job.pk}.{job.params.get('format', 'csv')}"


def run_case_export(job: Job, ctx: JobContext) -> dict[str, Any]:
    params = job.params
    fmt = str(params.get("format", "csv"))
    language = str(params.get("language") or LANGUAGES[0])
    full = params.get("personal") == "full"
    with translation.override(language):
        qs = case_export_queryset(user=job.owner, params=params)
        total = qs.order_by().count()
        ctx.progress(0, total)
        exports = Path(settings.VAR_DIR) / "exports"
        exports.mkdir(parents=True, exist_ok=True)
        name = export_file_name(job)
        final = exports / name
        # Per-attempt name, renamed into place: a download never finds a half-written file.
        partial = exports / f".{name}.{ctx.claim_token}.part"
        ectx = ExportContext(full=full, english=language == "en", division_names={})
        try:
            if fmt == "xlsx":
                xlsx = _XlsxWriter()
                rows = _write_rows(xlsx, qs, ectx, ctx, total)
                xlsx.book.save(partial)
            else:
                with partial.open("w", encoding="utf-8-sig", newline="") as fh:
                    rows = _write_rows(_CsvWriter(fh), qs, ectx, ctx, total)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
    return {"file": name, "rows": rows, "content_type": CONTENT_TYPES[fmt], "format": fmt,
            "personal": "full" if full else "masked"}


register_job_kind(JobKind(
    name=CASE_EXPORT,
    capability=EXPORT_CAPABILITY,
    runner=run_case_export,
    validate=validate_case_export,
    audit_action=AuditAction.EXPORT,
))
