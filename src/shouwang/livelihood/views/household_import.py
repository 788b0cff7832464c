"""The household register import page (decision 1280):

- /livelihood/households/import/ — upload a register (CSV or XLSX), "check" (a dry run: the
  errors by row and column, or what would be imported), then "import" the checked file without
  uploading it again (kept under the imports directory by its SHA-256 for that user until it is
  imported or the user checks another file), or import straight away;
- /livelihood/households/import/template.csv — the template with the headers.

The import runs inside the request (5,000 households / 18,000 members take about 5 s,
bench/bench_livelihood_import.py); the page shows an indeterminate progress bar while it runs.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.livelihood.services.household_import import ImportResult, households_import
from shouwang.livelihood.services.household_import_io import (
    COLUMNS,
    read_register,
    register_template,
)

WRITE = "livelihood.write"
MAX_BYTES = 50 * 1024 * 1024
_TOKEN = re.compile(r"^[0-9a-f]{64}$")
_KEY = re.compile(r"^row (\d+)\.(\w+)$")


def _uploads(user_id: int) -> Path:
    from shouwang.surveillance.services.imports import imports_dir

    path = imports_dir() / "livelihood"
    path.mkdir(parents=True, exist_ok=True)
    return path / str(user_id)


def _kept(user_id: int, token: str) -> Path | None:
    if not _TOKEN.match(token):
        return None
    path = Path(f"{_uploads(user_id)}-{token}.upload")
    return path if path.is_file() else None


def _column_label(name: str) -> str:
    english = (translation.get_language() or "").startswith("en")
    for column in COLUMNS:
        if column.field == name:
            return column.header_en if english else column.header_zh
    return name


def error_rows(fields: dict[str, list[Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The errors as table rows (row, column, messages) in file order, and the file's own."""
    rows: list[dict[str, Any]] = []
    general: list[str] = []
    for key, messages in fields.items():
        found = _KEY.match(key)
        if found is None:
            general.extend(str(m) for m in messages)
            continue
        rows.append({"row": int(found.group(1)), "field": found.group(2),
                     "column": _column_label(found.group(2)),
                     "messages": [str(m) for m in messages]})
    rows.sort(key=lambda r: (r["row"], r["field"]))
    return rows, general


@require_capability(WRITE)
def household_import(request: AuthedRequest) -> HttpResponse:
    context: dict[str, Any] = {"max_mb": MAX_BYTES // (1024 * 1024)}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "check")
        upload = request.FILES.get("file")
        token = request.POST.get("token", "")
        content: bytes | None = None
        name = ""
        if upload is not None:
            if upload.size is not None and upload.size > MAX_BYTES:
                context["general"] = [_("文件超过 %(n)s MB。") % {"n": context["max_mb"]}]
            else:
                content, name = upload.read(), str(upload.name or "")
        elif token:
            kept = _kept(request.user.pk, token)
            if kept is not None:
                content, name = kept.read_bytes(), request.POST.get("name", "")
        if content is None and "general" not in context:
            context["general"] = [_("请选择要导入的文件。")]
        if content is not None:
            status = _run(request, context, content, name[:200], dry_run=action != "import")
        else:
            status = 422
    return render(request, "livelihood/household_import.html", context, status=status)


def _run(request: AuthedRequest, context: dict[str, Any], content: bytes, name: str,
         *, dry_run: bool) -> int:
    token = hashlib.sha256(content).hexdigest()
    context.update(name=name, dry_run=dry_run)
    try:
        register = read_register(content)
        result: ImportResult = households_import(actor=request.user, rows=register.rows,
                                                 dry_run=dry_run, source=name)
    except InvalidInput as exc:
        rows, general = error_rows(exc.fields)
        context.update(errors=rows, general=general, message=exc.message,
                       error_total=len(rows))
        return 422
    context.update(result=result, ignored=register.ignored)
    kept = Path(f"{_uploads(request.user.pk)}-{token}.upload")
    if dry_run and result.created:
        # Only the user's latest checked file can be confirmed: the older ones go.
        for older in kept.parent.glob(f"{request.user.pk}-*.upload"):
            if older != kept:
                older.unlink(missing_ok=True)
        kept.write_bytes(content)
        context["token"] = token
    elif not dry_run:
        kept.unlink(missing_ok=True)
    return 200


@require_capability(WRITE)
def household_import_template(request: AuthedRequest) -> HttpResponse:
    response = HttpResponse(register_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="household-register-template.csv"'
    return response
