"""/api/v1/risk/overrides: the manual overrides of the caller's jurisdiction; making one and
revoking one (risk.override: provincial and national officers), always with a reason. An area or
override outside the caller's jurisdiction answers 404. Decision 1110.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import datetime
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.risk.models import RiskLevel, RiskOverride
from shouwang.risk.selectors import history
from shouwang.risk.selectors.levels import DEFAULT_DISEASE
from shouwang.risk.services.overrides import OVERRIDE, override_create, override_revoke

router = Router(tags=["risk: overrides"])

READ = "risk.read"


class OverrideFilterIn(Schema):
    division: str | None = Field(None, max_length=12, description="one area's overrides")
    active: bool = Field(False, description="only those in force now")
    disease: str = DEFAULT_DISEASE


class OverrideIn(Schema):
    division_code: str = Field(..., max_length=12)
    level: str = Field(..., description=", ".join(RiskLevel.values))
    reason: str = Field("", description="mandatory")
    disease: str = DEFAULT_DISEASE
    effective_at: datetime | None = Field(None, description="default now; not in the past")
    ends_at: datetime | None = None


class RevokeIn(Schema):
    reason: str = Field("", description="mandatory")


class OverrideOut(Schema):
    id: int
    disease: str
    division_code: str
    level: str
    level_label: str
    reason: str
    effective_at: datetime
    ends_at: datetime | None
    created_by: str
    created_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    revoke_reason: str
    state: str


def _out(o: RiskOverride) -> dict[str, Any]:
    return {
        "id": o.pk, "disease": o.disease_id, "division_code": o.division_code,
        "level": o.level, "level_label": str(RiskLevel(o.level).label), "reason": o.reason,
        "effective_at": o.effective_at, "ends_at": o.ends_at,
        "created_by": o.created_by.username, "created_at": o.created_at,
        "revoked_at": o.revoked_at,
        "revoked_by": o.revoked_by.username if o.revoked_by is not None else None,
        "revoke_reason": o.revoke_reason, "state": history.override_state(o)}


@router.get("", response=list[OverrideOut], url_name="risk_overrides",
            summary="Overrides in the caller's jurisdiction, newest first (at most 500)")
def override_list(request: AuthedRequest, filters: Query[OverrideFilterIn]) -> Any:
    check_capability(request, READ)
    qs = history.override_list(user=request.user, disease=filters.disease,
                               code=filters.division or "",
                               active_at=timezone.now() if filters.active else None)
    return [_out(o) for o in qs[:500]]


@router.post("", response={201: OverrideOut}, url_name="risk_override_create",
             summary="Override an area's level (provincial and national officers), with a "
                     "mandatory reason; layered on the published levels from effective_at")
def override_make(request: AuthedRequest, payload: OverrideIn) -> Any:
    check_capability(request, OVERRIDE)
    made = override_create(actor=request.user, disease=payload.disease,
                           division_code=payload.division_code, level=payload.level,
                           reason=payload.reason, effective_at=payload.effective_at,
                           ends_at=payload.ends_at)
    return Status(201, _out(made))


@router.post("/{int:override_id}/revoke", response=OverrideOut,
             url_name="risk_override_revoke",
             summary="Revoke an override now, with a mandatory reason")
def override_end(request: AuthedRequest, override_id: int, payload: RevokeIn) -> Any:
    check_capability(request, OVERRIDE)
    found = history.override_get(user=request.user, override_id=override_id)
    return _out(override_revoke(actor=request.user, override=found, reason=payload.reason))
