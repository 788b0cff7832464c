from __future__ import annotations

from typing import Any

from shouwang.accounts.roles import Role
from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from tests.jurisdiction import PARENT_DIVISION, SIBLING_DIVISION, scoped_route, unscoped_route

AUDITORS = {"sibling": (Role.AUDITOR, SIBLING_DIVISION), "parent": (Role.AUDITOR, PARENT_DIVISION)}


@scoped_route("api:audit_event", **AUDITORS)
@scoped_route("core:audit-detail", **AUDITORS)
def _audit_event(division_code: str) -> dict[str, Any]:
    event = audit_log(actor=None, action=AuditAction.UPDATE, object_type="walker.record",
                      object_id="1", division_code=division_code, summary="walker")
    return {"event_id": event.pk}


_OWNER_ONLY = "owner-only: anybody else's job is 404 (tests/core/test_jobs.py)"
unscoped_route("api:job_detail", _OWNER_ONLY)
unscoped_route("api:job_download", _OWNER_ONLY)
