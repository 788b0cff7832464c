"""/api/v1/surveillance/exports: export the line list (the filters of /surveillance/cases) to
CSV or XLSX as a background job; watch it and download the file through /api/v1/jobs/{id}."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

import uuid
from datetime import date
from typing import Any

from django.utils import translation
from ninja import Field, Router, Status

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core import jobs
from shouwang.core.jobs_api import JobOut
from shouwang.surveillance.api.cases import CaseFiltersIn
from shouwang.surveillance.services import exports as services

router = Router(tags=["surveillance: exports"])


class CaseExportIn(CaseFiltersIn):
    """The line list's filters, the file format and whether personal fields are masked."""

    format: str = "csv"
    personal: str = "masked"
    # Same key → same job (a resent request); without one every request is a new export.
    key: str | None = Field(None, max_length=jobs.KEY_MAX_LENGTH)


@router.post("/cases", response={202: JobOut},
             summary="Export the line list (same filters) to CSV or XLSX as a background job; "
                     "download from /api/v1/jobs/{id}/download when it has succeeded")
def case_export(request: AuthedRequest, payload: CaseExportIn) -> Any:
    check_capability(request, services.EXPORT_CAPABILITY)
    params = {k: (v.isoformat() if isinstance(v, date) else v)
              for k, v in payload.dict().items() if k != "key" and v is not None}
    # Headers and labels in the language of the request that asked for the file.
    params["language"] = translation.get_language() or ""
    job = jobs.job_enqueue(actor=request.user, kind=services.CASE_EXPORT,
                           key=payload.key or f"export-{uuid.uuid4().hex}", params=params)
    return Status(202, job)
