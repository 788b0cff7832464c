"""/api/v1/tracing/imports/links: upload a line list's infector → infectee edges (CSV or XLSX,
UTF-8 or GBK) and confirm them, all or nothing (services/imports.py).

A bad file or column answers 422 on that field; bad rows answer 422 with `fields.rows`, one
message per bad row ("第 3 行，列“infector”：…"), and nothing is stored. The same file again
answers 200 with `created: 0`.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.tracing.services.imports import links_import

router = Router(tags=["tracing: imports"])

WRITE = "tracing.write"
MAX_BYTES = 64 * 1024 * 1024


class LinksImportIn(Schema):
    infector_column: str
    infectee_column: str
    id_kind: str = "report_id"
    reason: str = ""


class LinksImportOut(Schema):
    rows: int
    links: int
    created: int
    existing: int
    no_infector: int
    file_sha256: str


def read_upload(file: UploadedFile) -> bytes:
    if file.size is not None and file.size > MAX_BYTES:
        raise InvalidInput({"file": [_("文件不能超过 %(n)s MB。") % {"n": MAX_BYTES // 2**20}]})
    return bytes(file.read())


@router.post("/links", response=LinksImportOut,
             summary="Confirm the infector → infectee links of a line list, all rows or none")
def tracing_links_import(request: AuthedRequest, file: File[UploadedFile],
                         data: Form[LinksImportIn]) -> Any:
    check_capability(request, WRITE)
    try:
        return links_import(actor=request.user, content=read_upload(file),
                            infector_column=data.infector_column,
                            infectee_column=data.infectee_column, id_kind=data.id_kind,
                            reason=data.reason)
    except PermissionDenied:
        message = _("您没有执行此操作的权限（需要 %(cap)s）。") % {"cap": WRITE}
        raise HttpError(403, message) from None
