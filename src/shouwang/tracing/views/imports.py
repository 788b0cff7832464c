"""The page "导入传播关系": upload a line list's infector → infectee columns and confirm them
(services/imports.py), all rows or none; every bad row is listed with its line and column.
Decision: docs/decisions/1040-flows-import-and-demo.md.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.tracing.services.imports import ID_KINDS, LinkImportError, links_import

WRITE = "tracing.write"
MAX_BYTES = 64 * 1024 * 1024


def _id_kinds() -> list[tuple[str, str]]:
    labels = {"report_id": _("病例报告编号"), "source_key": _("来源键（提交病例时的编号）"),
              "line_list": _("一览表自身的病例编号（病例已用“批量导入”导入同一文件）")}
    return [(k, labels[k]) for k in ID_KINDS]


@require_capability(WRITE)
def links_import_page(request: AuthedRequest) -> HttpResponse:
    values = {"infector_column": "", "infectee_column": "", "id_kind": "report_id", "reason": ""}
    context: dict[str, Any] = {"values": values, "id_kinds": _id_kinds(), "errors": {},
                               "rows": [], "error_count": 0, "result": None}
    if request.method == "POST":
        values.update({k: request.POST.get(k, "").strip() for k in values})
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise InvalidInput({"file": [_("请选择文件。")]})
            if upload.size is not None and upload.size > MAX_BYTES:
                raise InvalidInput({"file": [_("文件不能超过 %(n)s MB。") % {
                    "n": MAX_BYTES // 2**20}]})
            context["result"] = links_import(
                actor=request.user, content=upload.read(),
                infector_column=values["infector_column"],
                infectee_column=values["infectee_column"], id_kind=values["id_kind"],
                reason=values["reason"])
            context["file_name"] = upload.name
        except LinkImportError as exc:
            context["rows"] = exc.rows
            context["error_count"] = exc.error_count
        except InvalidInput as exc:
            context["errors"] = {k: [str(m) for m in v] for k, v in exc.fields.items()}
        except PermissionDenied:
            raise
    status = 422 if request.method == "POST" and context["result"] is None else 200
    return render(request, "tracing/import_links.html", context, status=status)
