"""/api/v1/tracing/clusters: clusters (聚集性疫情) the caller may see, one with its members
(pseudonymised outside the caller's jurisdiction), and detection on demand. Decision 1010.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.core.errors import InvalidInput
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import Disease
from shouwang.surveillance.views.case_common import disease_label
from shouwang.tracing.models import Cluster, ClusterStatus
from shouwang.tracing.selectors import clusters as selectors
from shouwang.tracing.services.clusters import clusters_detect

router = Router(tags=["tracing: clusters"])

READ = "tracing.read"
WRITE = "tracing.write"
PAGE_MAX = 200


class ClusterFilterIn(Schema):
    disease: str | None = None
    status: str | None = Field(None, description=", ".join(ClusterStatus.values))
    kind: str | None = Field(None, description="the setting's kind")
    division: str | None = Field(None, max_length=12)
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=PAGE_MAX)


class ClusterOut(Schema):
    id: int
    key: str
    disease: str
    disease_name: str
    setting_id: int
    setting_kind: str
    setting_kind_label: str
    setting_label: str
    division_code: str
    division_name: str
    first_onset: date
    last_onset: date
    case_count: int
    generations: int
    status: str
    status_label: str
    detected_at: datetime
    updated_at: datetime


class ClusterPageOut(Schema):
    items: list[ClusterOut]
    total: int
    offset: int
    limit: int
    has_next: bool


class MemberOut(Schema):
    case_id: int | None = Field(None, description="absent for a person outside the caller's "
                                                  "jurisdiction")
    label: str
    pseudonymised: bool
    division_code: str
    division_name: str
    classification: str
    onset_date: date
    generation: int


class ClusterDetailOut(ClusterOut):
    members: list[MemberOut]


class DetectIn(Schema):
    disease: str
    as_of: date | None = None


def _out(items: list[Cluster]) -> list[dict[str, Any]]:
    names = division_names(sorted({c.division_code for c in items}))
    return [{
        "id": c.pk, "key": c.key, "disease": c.disease_id, "disease_name": disease_label(c.disease),
        "setting_id": c.setting_id, "setting_kind": c.setting.kind,
        "setting_kind_label": c.setting.get_kind_display(), "setting_label": c.setting.label,
        "division_code": c.division_code, "division_name": names.get(c.division_code, ""),
        "first_onset": c.first_onset, "last_onset": c.last_onset, "case_count": c.case_count,
        "generations": c.generations, "status": c.status,
        "status_label": c.get_status_display(), "detected_at": c.detected_at,
        "updated_at": c.updated_at} for c in items]


@router.get("", response=ClusterPageOut, url_name="tracing_cluster_list",
            summary="Clusters in the caller's area (setting or a member there), latest case "
                    "first")
def cluster_list(request: AuthedRequest, filters: Query[ClusterFilterIn]) -> Any:
    check_capability(request, READ)
    f = selectors.ClusterFilters(disease=filters.disease or "", status=filters.status or "",
                                 kind=filters.kind or "", division=filters.division or "")
    qs = selectors.cluster_list(user=request.user, filters=f)
    total = qs.count()
    items = list(qs[filters.offset:filters.offset + filters.limit])
    return {"items": _out(items), "total": total, "offset": filters.offset,
            "limit": filters.limit, "has_next": filters.offset + len(items) < total}


@router.post("/detect", response=dict[str, Any], url_name="tracing_cluster_detect",
             summary="Detect the clusters of a disease now (idempotent; the nightly task does "
                     "the same); the figures of what changed")
def cluster_detect(request: AuthedRequest, payload: DetectIn) -> Any:
    check_capability(request, WRITE)
    disease = Disease.objects.filter(code=payload.disease).first()
    if disease is None:
        raise InvalidInput({"disease": [_("未知的病种。")]})
    if payload.as_of is not None and payload.as_of > timezone.localdate():
        raise InvalidInput({"as_of": [_("日期不能晚于今天。")]})
    return clusters_detect(disease=disease, as_of=payload.as_of, actor=request.user)


@router.get("/{int:cluster_id}", response=ClusterDetailOut, url_name="tracing_cluster_detail",
            summary="One cluster: setting, members (pseudonymised outside the caller's "
                    "jurisdiction) with onset and generation")
def cluster_detail(request: AuthedRequest, cluster_id: int) -> Any:
    check_capability(request, READ)
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    members = [{"case_id": m.case_id if m.linkable else None, "label": m.label,
                "pseudonymised": m.pseudonymised, "division_code": m.division_code,
                "division_name": m.division_name, "classification": m.classification,
                "onset_date": m.onset_date, "generation": m.generation}
               for m in selectors.cluster_members(user=request.user, cluster=cluster)]
    return {**_out([cluster])[0], "members": members}
