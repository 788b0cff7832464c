"""/api/v1/tracing/investigations: the investigations (流调) of the caller's cases, one with its
exposures and history, opening one for a case, adding and removing exposures, the source status,
completing and reopening; registering a setting. Decision 1010.

Changes name the version they read; when someone else changed the investigation first the answer
is 409 and nothing changes. An investigation or case outside the caller's jurisdiction answers
404. Bad input answers 422 field by field, in the request's language (an exposure outside the
exposure window names `started_on` / `ended_on`).
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.geo.selectors import division_names
from shouwang.surveillance.views.case_common import disease_label
from shouwang.tracing.models import Exposure, Investigation, Setting, SettingKind, SourceStatus
from shouwang.tracing.selectors import investigations as selectors
from shouwang.tracing.services import investigations as services
from shouwang.tracing.services.settings_registry import WRITE, setting_register

router = Router(tags=["tracing: investigations"])

READ = "tracing.read"
PAGE_MAX = 200


class InvestigationFilterIn(Schema):
    source_status: str | None = None
    state: str | None = Field(None, description="pending (not completed) or completed")
    found_under_follow_up: bool | None = None
    disease: str | None = None
    division: str | None = Field(None, max_length=12)
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class InvestigationOut(Schema):
    id: int
    case_id: int
    disease: str
    disease_name: str
    classification: str
    onset_date: date | None
    division_code: str
    division_name: str
    exposure_window_start: date
    exposure_window_end: date
    source_status: str
    source_status_label: str
    unknown_source: bool
    found_under_follow_up: bool
    completed_at: datetime | None
    investigator: str | None
    exposure_count: int
    version: int
    created_at: datetime
    updated_at: datetime


class InvestigationPageOut(Schema):
    items: list[InvestigationOut]
    total: int
    offset: int
    limit: int
    has_next: bool
    counts: dict[str, int]  # by source status, under the other filters


class SettingOut(Schema):
    id: int
    kind: str
    kind_label: str
    label: str
    division_code: str


class ExposureOut(Schema):
    id: int
    kind: str
    kind_label: str
    setting: SettingOut | None
    place_division_code: str
    place_division_name: str
    started_on: date
    ended_on: date
    description: str
    created_at: datetime


class HistoryOut(Schema):
    summary: str
    actor: str | None
    changes: dict[str, Any]
    occurred_at: datetime


class InvestigationDetailOut(InvestigationOut):
    case_name: str
    summary: str
    exposures: list[ExposureOut]
    history: list[HistoryOut]


class OpenIn(Schema):
    case_id: int


class VersionIn(Schema):
    version: int


class SourceIn(VersionIn):
    source_status: str = Field(..., description=", ".join(SourceStatus.values))
    note: str = Field("", max_length=services.NOTE_MAX)


class CompleteIn(VersionIn):
    summary: str = Field("", max_length=services.SUMMARY_MAX)


class ReopenIn(VersionIn):
    reason: str = Field(..., max_length=services.NOTE_MAX)


class ExposureIn(Schema):
    version: int | None = Field(None, description="when given, must be the current version")
    kind: str = Field(..., description=", ".join(SettingKind.values))
    started_on: date
    ended_on: date
    setting_id: int | None = Field(None, description="a registered setting")
    setting_label: str = Field("", max_length=128,
                               description="registers a new setting (with place_division_code)")
    setting_key: str = Field("", max_length=96, description="the new setting's source key")
    place_division_code: str = Field("", max_length=12)
    description: str = Field("", max_length=services.DESCRIPTION_MAX)


class ExposureRemoveIn(VersionIn):
    reason: str = Field(..., max_length=services.NOTE_MAX)


class SettingIn(Schema):
    kind: str = Field(..., description=", ".join(SettingKind.values))
    label: str = Field("", max_length=128)
    division_code: str = Field(..., max_length=12)
    source_key: str | None = Field(None, max_length=96)
    index_case_id: int | None = Field(None, description="a household's index case")


def _out(items: list[Investigation]) -> list[dict[str, Any]]:
    names = division_names(sorted({i.division_code for i in items}))
    exposures = selectors.exposure_counts(items)
    out = []
    for i in items:
        out.append({
            "id": i.pk, "case_id": i.case_id, "disease": i.case.disease_id,
            "disease_name": disease_label(i.case.disease),
            "classification": i.case.classification, "onset_date": i.case.onset_date,
            "division_code": i.division_code, "division_name": names.get(i.division_code, ""),
            "exposure_window_start": i.exposure_window_start,
            "exposure_window_end": i.exposure_window_end,
            "source_status": i.source_status,
            "source_status_label": str(SourceStatus(i.source_status).label),
            "unknown_source": i.source_status == SourceStatus.UNKNOWN,
            "found_under_follow_up": i.found_under_follow_up, "completed_at": i.completed_at,
            "investigator": i.investigator.username if i.investigator_id and i.investigator
            else None,
            "exposure_count": exposures[i.pk],
            "version": i.version, "created_at": i.created_at, "updated_at": i.updated_at,
        })
    return out


def _setting(s: Setting | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"id": s.pk, "kind": s.kind, "kind_label": s.get_kind_display(), "label": s.label,
            "division_code": s.division_code}


def _exposures(investigation: Investigation) -> list[dict[str, Any]]:
    rows: list[Exposure] = list(selectors.exposures_of(investigation))
    names = division_names(sorted({e.place_division_code for e in rows}))
    return [{"id": e.pk, "kind": e.kind, "kind_label": e.get_kind_display(),
             "setting": _setting(e.setting), "place_division_code": e.place_division_code,
             "place_division_name": names.get(e.place_division_code, ""),
             "started_on": e.started_on, "ended_on": e.ended_on, "description": e.description,
             "created_at": e.created_at} for e in rows]


def _detail(request: AuthedRequest, investigation_id: int) -> dict[str, Any]:
    inv = selectors.investigation_detail(user=request.user, investigation_id=investigation_id)
    history = [{"summary": h.summary, "actor": h.actor_username or None,
                "changes": h.changes, "occurred_at": h.occurred_at}
               for h in selectors.investigation_history(user=request.user, investigation=inv)]
    return {**_out([inv])[0], "case_name": inv.case.name, "summary": inv.summary,
            "exposures": _exposures(inv), "history": history}


def _call(request: AuthedRequest, fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Run a service; PermissionDenied → 403, a concurrent change → 409."""
    try:
        return fn(actor=request.user, **kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None
    except services.InvestigationConflict as exc:
        raise HttpError(409, exc.message) from None


def _investigation(request: AuthedRequest, investigation_id: int) -> Investigation:
    check_capability(request, WRITE)
    return selectors.investigation_get(user=request.user, investigation_id=investigation_id)


# --- fixed paths first ------------------------------------------------------------------------


@router.post("/open", response={200: InvestigationDetailOut, 201: InvestigationDetailOut},
             url_name="tracing_investigation_open",
             summary="Open the investigation of a case (idempotent: the case's existing one "
                     "is returned with 200)")
def investigation_open(request: AuthedRequest, payload: OpenIn) -> Any:
    check_capability(request, WRITE)
    inv, created = _call(request, services.investigation_for_case_or_open,
                         case_id=payload.case_id)
    return Status(201 if created else 200, _detail(request, inv.pk))


@router.post("/settings", response={200: SettingOut, 201: SettingOut},
             url_name="tracing_setting_register",
             summary="Register a setting (idempotent on source_key; a household by its index "
                     "case)")
def setting_create(request: AuthedRequest, payload: SettingIn) -> Any:
    check_capability(request, WRITE)
    index_case = None
    if payload.index_case_id is not None:
        index_case = selectors.case_for_investigation(user=request.user,
                                                      case_id=payload.index_case_id)
    setting, created = _call(request, setting_register, kind=payload.kind, label=payload.label,
                             division_code=payload.division_code,
                             source_key=payload.source_key, index_case=index_case)
    return Status(201 if created else 200, _setting(setting))


@router.get("", response=InvestigationPageOut, url_name="tracing_investigation_list",
            summary="Investigations in the caller's area, newest first, a page at a time, with "
                    "the counts by source status")
def investigation_list(request: AuthedRequest, filters: Query[InvestigationFilterIn]) -> Any:
    check_capability(request, READ)
    f = selectors.InvestigationFilters(
        source_status=filters.source_status or "", state=filters.state or "",
        found_under_follow_up=filters.found_under_follow_up, disease=filters.disease or "",
        division=filters.division or "")
    qs = selectors.investigation_list(user=request.user, filters=f)
    total = qs.count()
    items = selectors.investigation_page(user=request.user, filters=f, offset=filters.offset,
                                         limit=filters.limit)
    return {"items": _out(items), "total": total, "offset": filters.offset,
            "limit": filters.limit, "has_next": filters.offset + len(items) < total,
            "counts": selectors.investigation_counts(user=request.user, filters=f)}


@router.get("/{int:investigation_id}", response=InvestigationDetailOut,
            url_name="tracing_investigation_detail",
            summary="One investigation: its window, exposures, source and history")
def investigation_detail(request: AuthedRequest, investigation_id: int) -> Any:
    check_capability(request, READ)
    return _detail(request, investigation_id)


@router.post("/{int:investigation_id}/exposures", response=InvestigationDetailOut,
             url_name="tracing_exposure_add",
             summary="Add an exposure inside the exposure window (at a setting or a division); "
                     "the investigation with it")
def exposure_add(request: AuthedRequest, investigation_id: int, payload: ExposureIn) -> Any:
    inv = _investigation(request, investigation_id)
    data = payload.dict()
    _call(request, services.exposure_add, investigation=inv, data=data,
          version=data.pop("version"))
    return _detail(request, investigation_id)


@router.post("/{int:investigation_id}/exposures/{int:exposure_id}/remove",
             response=InvestigationDetailOut, url_name="tracing_exposure_remove",
             summary="Remove an exposure entered by mistake, with the reason")
def exposure_remove(request: AuthedRequest, investigation_id: int, exposure_id: int,
                    payload: ExposureRemoveIn) -> Any:
    inv = _investigation(request, investigation_id)
    _call(request, services.exposure_remove, investigation=inv, exposure_id=exposure_id,
          version=payload.version, reason=payload.reason)
    return _detail(request, investigation_id)


@router.post("/{int:investigation_id}/source", response=InvestigationDetailOut,
             url_name="tracing_investigation_source",
             summary="Set the source status (pending, known contact, cluster, imported, unknown)")
def investigation_source(request: AuthedRequest, investigation_id: int,
                         payload: SourceIn) -> Any:
    inv = _investigation(request, investigation_id)
    _call(request, services.investigation_set_source, investigation=inv,
          version=payload.version, source_status=payload.source_status, note=payload.note)
    return _detail(request, investigation_id)


@router.post("/{int:investigation_id}/complete", response=InvestigationDetailOut,
             url_name="tracing_investigation_complete",
             summary="Complete the investigation with its summary (the source decided first)")
def investigation_complete(request: AuthedRequest, investigation_id: int,
                           payload: CompleteIn) -> Any:
    inv = _investigation(request, investigation_id)
    _call(request, services.investigation_complete, investigation=inv,
          version=payload.version, summary=payload.summary)
    return _detail(request, investigation_id)


@router.post("/{int:investigation_id}/reopen", response=InvestigationDetailOut,
             url_name="tracing_investigation_reopen",
             summary="Reopen a completed investigation, with the reason")
def investigation_reopen(request: AuthedRequest, investigation_id: int,
                         payload: ReopenIn) -> Any:
    inv = _investigation(request, investigation_id)
    _call(request, services.investigation_reopen, investigation=inv, version=payload.version,
          reason=payload.reason)
    return _detail(request, investigation_id)
