"""/api/v1/warning: the runs of the nightly job, one division's series (R_t, nowcast, forecast,
aberration methods), the latest R_t of a division's children, and the space-time clusters.

A division outside the caller's jurisdiction answers 404; so does a disease with no finished run
(the message says which). Bad filters answer 422 field by field.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.warning.models import WarningRun
from shouwang.warning.selectors import results as selectors

router = Router(tags=["warning: results"])

READ = "warning.read"


class RunsIn(Schema):
    disease: str | None = None
    status: str | None = None
    since: date | None = None
    until: date | None = None
    limit: int = Field(60, ge=1, le=selectors.RUN_LIST_MAX)


class RunOut(Schema):
    id: int
    day: date
    disease: str = Field(..., alias="disease_id")
    basis: str
    status: str
    started_at: datetime
    finished_at: datetime | None


class SeriesIn(Schema):
    disease: str
    method: str = "rt"
    day: date | None = None


class SeriesOut(Schema):
    run_id: int
    day: date  # the run's day: the data go up to and including it
    disease: str
    basis: str
    division_code: str
    division_name: str
    level: str
    method: str
    # Parallel arrays: "t" (ISO dates) and the method's columns (null where undefined).
    data: dict[str, list[Any]]
    latest: float | None
    latest_lower: float | None
    latest_upper: float | None


class ResultsIn(Schema):
    disease: str
    day: date | None = None


class RtChildOut(Schema):
    code: str
    name: str
    level: str
    mean: float | None
    lower: float | None  # 95 % credible interval
    upper: float | None
    trend: str | None  # up (interval above 1), down (below 1), uncertain


class RtChildrenOut(Schema):
    run_id: int
    day: date
    disease: str
    division_code: str
    division_name: str
    children: list[RtChildOut]


class ClusterOut(Schema):
    rank: int
    centre_code: str
    centre_name: str
    focus_code: str            # the member with the most cases: where the alert is raised
    division_codes: list[str]
    division_names: list[str]
    member_counts: list[int]   # cases of each member over the cluster's days ([] if unknown)
    radius_km: float
    start: date
    end: date
    observed: int
    expected: float
    observed_over_expected: float | None
    llr: float
    p_value: float


class ClustersOut(Schema):
    run_id: int
    day: date
    disease: str
    clusters: list[ClusterOut]


def _run(disease: str, day: date | None) -> WarningRun:
    run = selectors.run_latest(disease=selectors.check_disease(disease), day=day)
    if run is None:
        if day is not None:
            raise HttpError(404, _("所选日期没有已完成的预警计算。"))
        raise HttpError(404, _("该病种还没有已完成的预警计算。"))
    return run


@router.get("/runs", response=list[RunOut], summary="Runs of the nightly early-warning job")
def warning_runs(request: AuthedRequest, params: Query[RunsIn]) -> Any:
    check_capability(request, READ)
    return selectors.run_list(user=request.user, disease=params.disease, status=params.status,
                              since=params.since, until=params.until, limit=params.limit)


@router.get("/series/{division}", response=SeriesOut,
            summary="One division's series of one method from the latest (or the day's) run")
def warning_series(request: AuthedRequest, division: str, params: Query[SeriesIn]) -> Any:
    check_capability(request, READ)
    place = selectors.division_visible(user=request.user, division_code=division)
    selectors.check_method(params.method)
    run = _run(params.disease, params.day)
    series = selectors.series_get(user=request.user, run=run, division=place,
                                  method=params.method)
    if series is None:
        raise HttpError(404, _("本次预警计算没有该区划的此项结果。"))
    return {
        "run_id": run.pk, "day": run.day, "disease": run.disease_id, "basis": run.basis,
        "division_code": place.code, "division_name": place.name, "level": series.level,
        "method": series.method,
        "data": {k: (v if k == "t" else series.column(k)) for k, v in series.data.items()},
        "latest": series.latest, "latest_lower": series.latest_lower,
        "latest_upper": series.latest_upper,
    }


@router.get("/rt/{division}/children", response=RtChildrenOut,
            summary="The latest R_t (mean, 95 % credible interval) of a division's children")
def warning_rt_children(request: AuthedRequest, division: str, params: Query[ResultsIn]) -> Any:
    check_capability(request, READ)
    place = selectors.division_visible(user=request.user, division_code=division)
    run = _run(params.disease, params.day)
    result = selectors.rt_children(user=request.user, run=run, division=place)
    return {
        "run_id": run.pk, "day": run.day, "disease": run.disease_id,
        "division_code": place.code, "division_name": place.name,
        "children": [{"code": r.place.code, "name": r.place.name, "level": r.place.level,
                      "mean": r.mean, "lower": r.lower, "upper": r.upper, "trend": r.trend}
                     for r in result.rows],
    }


@router.get("/clusters", response=ClustersOut,
            summary="Space-time clusters of the latest (or the day's) run centred in the "
                    "caller's jurisdiction")
def warning_clusters(request: AuthedRequest, params: Query[ResultsIn]) -> Any:
    check_capability(request, READ)
    run = _run(params.disease, params.day)
    clusters = selectors.cluster_list(user=request.user, run=run)
    return {
        "run_id": run.pk, "day": run.day, "disease": run.disease_id,
        "clusters": [{
            "rank": c.rank, "centre_code": c.centre.code, "centre_name": c.centre.name,
            "focus_code": c.focus_code, "member_counts": c.member_counts,
            "division_codes": c.member_codes, "division_names": [m.name for m in c.members],
            "radius_km": c.radius_km, "start": c.start, "end": c.end, "observed": c.observed,
            "expected": c.expected, "observed_over_expected": c.ratio, "llr": c.llr,
            "p_value": c.p_value,
        } for c in clusters],
    }
