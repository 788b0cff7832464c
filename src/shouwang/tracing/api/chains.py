"""/api/v1/tracing/chains and /api/v1/tracing/links: transmission chains and the links they are
made of (decision 1030).

Chains: the chain holding a case (nodes with their tree layout, edges by status; people outside
the caller's jurisdiction pseudonymised), the jurisdiction's statistics for a disease and
period, and exports as GraphML or JSON (audited). Links: a case's infector and proposals,
confirming (by the pair, or a proposal by its id; replacing a confirmed infector needs
`replace` and a reason), confirming many pairs at once (all or nothing), rejecting, and asking
the system for proposals. A case or link outside the jurisdiction answers 404; bad input 422
field by field; a failed request changes nothing.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import in_jurisdiction
from shouwang.surveillance.models import CaseReport, Disease
from shouwang.tracing.models import Setting, TransmissionLink
from shouwang.tracing.selectors import chains as selectors
from shouwang.tracing.selectors.chain_stats import chain_statistics
from shouwang.tracing.services import chain_exports, link_proposals
from shouwang.tracing.services import links as services

router = Router(tags=["tracing: chains"])
links_router = Router(tags=["tracing: links"])

READ = "tracing.read"
WRITE = services.WRITE
DEFAULT_DAYS = 90


# --- schemas ------------------------------------------------------------------------------------


class NodeOut(Schema):
    id: int
    label: str
    pseudonymised: bool
    division_code: str
    division_name: str
    onset: date | None
    classification: str
    generation: int | None
    infectees: int
    root: bool
    in_chain: bool
    url: str | None
    x: float
    y: float


class EdgeOut(Schema):
    infector: int
    infectee: int
    status: str
    score: float | None
    rank: int | None


class ChainOut(Schema):
    focus: int
    disease: str
    size: int
    generations: int
    truncated: bool
    outside: int
    roots: list[int]
    offspring_counts: dict[str, int]
    nodes: list[NodeOut]
    edges: list[EdgeOut]


class ChainIn(Schema):
    proposed: bool = False


class StatsIn(Schema):
    disease: str = Field("covid19", max_length=32)
    start: date | None = None
    end: date | None = None
    division: str = Field("", max_length=12)
    offspring_until: date | None = None
    fit_all: bool = Field(False, description="fit every case (no right-censoring cut-off)")


class ExportIn(Schema):
    format: str = Field("json", description="graphml or json")
    personal: str = Field("pseudonymous", description="pseudonymous, masked or full")


class PeriodExportIn(ExportIn):
    disease: str = Field("covid19", max_length=32)
    start: date | None = None
    end: date | None = None
    division: str = Field("", max_length=12)


class LinkOut(Schema):
    id: int
    infector: int
    infectee: int
    status: str
    score: float | None
    rank: int | None
    reasons: list[dict[str, Any]]
    setting_id: int | None
    exposure_date: date | None
    reason: str
    decided_by: str | None


class LinkRowOut(Schema):
    link_id: int
    case_id: int
    label: str
    pseudonymised: bool
    division_name: str
    onset: date | None
    status: str
    status_label: str
    score: float | None
    rank: int | None
    reasons: list[str]
    decided_by: str
    reason: str


class CaseLinksOut(Schema):
    case_id: int
    confirmed: LinkRowOut | None
    proposals: list[LinkRowOut]
    rejected: list[LinkRowOut]
    infectees: list[LinkRowOut]


class ConfirmIn(Schema):
    setting_id: int | None = None
    exposure_date: date | None = None
    reason: str = Field("", max_length=255)
    replace: bool = False


class DecideIn(Schema):
    reason: str = Field("", max_length=255)
    replace: bool = False


class BulkIn(Schema):
    pairs: list[tuple[int, int]] = Field(..., description="(infector id, infectee id) pairs")
    reason: str = Field("", max_length=255)


class ProposeIn(Schema):
    top: int = Field(link_proposals.PROPOSE_TOP, ge=1, le=20)


class RuledOutOut(Schema):
    case_id: int
    why: str


class ProposalsOut(Schema):
    links: list[LinkOut]
    considered: int
    fallback: bool
    ruled_out: list[RuledOutOut]


# --- helpers ------------------------------------------------------------------------------------


def _link_out(link: TransmissionLink) -> dict[str, Any]:
    return {"id": link.pk, "infector": link.infector_id, "infectee": link.infectee_id,
            "status": link.status, "score": link.score, "rank": link.rank,
            "reasons": link.reasons or [], "setting_id": link.setting_id,
            "exposure_date": link.exposure_date, "reason": link.reason,
            "decided_by": link.decided_by.username if link.decided_by else None}


def _row_out(row: selectors.LinkRow) -> dict[str, Any]:
    return {"link_id": row.link_id, "case_id": row.infector_id, "label": row.label,
            "pseudonymised": row.pseudonymised, "division_name": row.division_name,
            "onset": row.onset, "status": row.status, "status_label": row.status_label,
            "score": row.score, "rank": row.rank, "reasons": row.reasons,
            "decided_by": row.decided_by, "reason": row.reason}


def _write(fn: Callable[..., Any], request: AuthedRequest, **kwargs: Any) -> Any:
    check_capability(request, WRITE)
    try:
        return fn(actor=request.user, **kwargs)
    except PermissionDenied:
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。")
                        % {"cap": WRITE}) from None


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or timezone.localdate()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidInput({"end": [_("结束日期不能早于开始日期。")]})
    return start, end


def _disease(code: str) -> str:
    if not Disease.objects.filter(code=code).exists():
        raise InvalidInput({"disease": [_("未知的病种：%(code)s。") % {"code": code}]})
    return code


def _file(export: chain_exports.ChainExport) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _setting(request: AuthedRequest, setting_id: int | None) -> Setting | None:
    if setting_id is None:
        return None
    from shouwang.tracing.selectors.investigations import settings_visible

    setting = settings_visible(user=request.user).filter(pk=setting_id).first()
    if setting is None:
        raise InvalidInput({"setting_id": [_("未找到该场所。")]})
    return setting


# --- chains -------------------------------------------------------------------------------------


@router.get("/statistics", url_name="tracing_chain_statistics",
            summary="Chain sizes, generations, offspring with R and k, super-spreaders, cases of "
                    "unknown source and the share of new cases already under follow-up, for the "
                    "caller's jurisdiction (or a division under it), a disease and a period")
def chain_stats(request: AuthedRequest, filters: Query[StatsIn]) -> Any:
    check_capability(request, READ)
    start, end = _period(filters.start, filters.end)
    stats = chain_statistics(user=request.user, disease=_disease(filters.disease), start=start,
                             end=end, division=filters.division,
                             offspring_until=filters.offspring_until,
                             until_default=not filters.fit_all)
    return stats.as_dict()


@router.get("/export", url_name="tracing_chain_export_period",
            summary="Every chain of the jurisdiction for a disease and period as GraphML or JSON "
                    "(audited; people outside the jurisdiction pseudonymised)")
def chain_export_period(request: AuthedRequest, filters: Query[PeriodExportIn]) -> HttpResponse:
    check_capability(request, READ)
    start, end = _period(filters.start, filters.end)
    return _file(chain_exports.chain_export(
        user=request.user, fmt=filters.format, disease=_disease(filters.disease), start=start,
        end=end, division=filters.division, personal=filters.personal))


@router.get("/case/{int:case_id}", response=ChainOut, url_name="tracing_chain_case",
            summary="The chain holding a case: nodes (laid out by generation) and links; "
                    "people outside the caller's jurisdiction pseudonymised")
def chain_case(request: AuthedRequest, case_id: int, filters: Query[ChainIn]) -> Any:
    check_capability(request, READ)
    graph = selectors.chain_for_case(user=request.user, case_id=case_id,
                                     proposed=filters.proposed)
    url = reverse("surveillance:case-detail", kwargs={"case_id": 0})
    return selectors.graph_as_dict(graph, case_url=url)


@router.get("/case/{int:case_id}/export", url_name="tracing_chain_case_export",
            summary="The chain holding a case as GraphML or JSON (audited)")
def chain_case_export(request: AuthedRequest, case_id: int,
                      filters: Query[ExportIn]) -> HttpResponse:
    check_capability(request, READ)
    return _file(chain_exports.chain_export(user=request.user, fmt=filters.format,
                                            case_id=case_id, personal=filters.personal))


# --- links --------------------------------------------------------------------------------------


@links_router.post("/bulk", response=list[LinkOut], url_name="tracing_links_confirm_bulk",
                   summary="Confirm many (infector, infectee) pairs at once: all or none; the "
                           "same pairs again store nothing new")
def links_bulk(request: AuthedRequest, payload: BulkIn) -> Any:
    check_capability(request, WRITE)
    ids = {i for pair in payload.pairs for i in pair}
    cases = CaseReport.objects.select_related("disease").in_bulk(list(ids))
    infectees: dict[int, CaseReport] = {}
    pairs: list[tuple[CaseReport, CaseReport]] = []
    errors: list[str] = []
    for infector_id, infectee_id in payload.pairs:
        infectee = cases.get(infectee_id)
        if infectee is None or not in_jurisdiction(request.user, infectee.division_code):
            errors.append(_("被传染者 %(case)s 不在您的辖区内。")
                          % {"case": services.case_ref(infectee_id)})
            continue
        infectees[infectee_id] = infectee
        try:
            infector = selectors.infector_choice(user=request.user, infectee=infectee,
                                                 infector_id=infector_id)
        except Http404:   # the same words whether it exists elsewhere or not
            errors.append(_("未找到传染者 %(case)s。") % {"case": services.case_ref(infector_id)})
            continue
        pairs.append((infector, infectee))
    if errors:
        raise InvalidInput({"pairs": errors}, code="invalid_link")
    links = _write(services.links_confirm_bulk, request, pairs=pairs, reason=payload.reason)
    return [_link_out(x) for x in links]


@links_router.get("/case/{int:case_id}", response=CaseLinksOut, url_name="tracing_case_links",
                  summary="A case's confirmed infector, the system's proposals (score, rank, "
                          "reasons), rejected candidates and the cases it infected")
def case_links(request: AuthedRequest, case_id: int) -> Any:
    check_capability(request, READ)
    rows = selectors.case_links(user=request.user, case_id=case_id)
    return {"case_id": case_id,
            "confirmed": _row_out(rows.confirmed) if rows.confirmed else None,
            "proposals": [_row_out(r) for r in rows.proposals],
            "rejected": [_row_out(r) for r in rows.rejected],
            "infectees": [_row_out(r) for r in rows.infectees]}


@links_router.post("/case/{int:case_id}/propose", response=ProposalsOut,
                   url_name="tracing_case_links_propose",
                   summary="Rank the case's candidate infectors and store the best as proposals")
def case_propose(request: AuthedRequest, case_id: int, payload: ProposeIn) -> Any:
    check_capability(request, WRITE)
    case = selectors.case_for_links(user=request.user, case_id=case_id)
    result = _write(link_proposals.links_propose, request, infectee=case, top=payload.top)
    return {"links": [_link_out(x) for x in result.links], "considered": result.considered,
            "fallback": result.fallback,
            "ruled_out": [{"case_id": pk, "why": selectors.ruled_out_text(why)}
                          for pk, why in result.ruled_out]}


@links_router.post("/case/{int:case_id}/infector/{int:infector_id}", response=LinkOut,
                   url_name="tracing_link_confirm_pair",
                   summary="Confirm that infector_id infected case_id (replace a confirmed "
                           "infector only with replace and a reason)")
def confirm_pair(request: AuthedRequest, case_id: int, infector_id: int,
                 payload: ConfirmIn) -> Any:
    check_capability(request, WRITE)
    case = selectors.case_for_links(user=request.user, case_id=case_id)
    try:
        infector = selectors.infector_choice(user=request.user, infectee=case,
                                             infector_id=infector_id)
    except Http404:
        raise InvalidInput({"infector": [_("未找到该病例。")]}) from None
    link = _write(services.link_confirm, request, infector=infector, infectee=case,
                  setting=_setting(request, payload.setting_id),
                  exposure_date=payload.exposure_date, reason=payload.reason,
                  replace=payload.replace)
    return _link_out(link)


@links_router.post("/{int:link_id}/confirm", response=LinkOut, url_name="tracing_link_confirm",
                   summary="Confirm a proposed (or earlier rejected) link")
def confirm_link(request: AuthedRequest, link_id: int, payload: DecideIn) -> Any:
    check_capability(request, WRITE)
    link = selectors.link_for_decision(user=request.user, link_id=link_id)
    confirmed = _write(services.link_confirm, request, infector=link.infector,
                       infectee=link.infectee, reason=payload.reason, replace=payload.replace)
    return _link_out(confirmed)


@links_router.post("/{int:link_id}/reject", response=LinkOut, url_name="tracing_link_reject",
                   summary="Rule a link out (a confirmed one needs a reason)")
def reject_link(request: AuthedRequest, link_id: int, payload: DecideIn) -> Any:
    check_capability(request, WRITE)
    link = selectors.link_for_decision(user=request.user, link_id=link_id)
    return _link_out(_write(services.link_reject, request, link=link, reason=payload.reason))
