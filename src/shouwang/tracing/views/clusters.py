"""The clusters list (table, clusters by setting kind, their spans on a timeline), one cluster's
page (setting, members — pseudonymised outside the reader's jurisdiction —, the epidemic curve of
members' onsets coloured by generation), and detection on demand. Decision 1010."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import Disease
from shouwang.surveillance.views.case_common import disease_choices, disease_label
from shouwang.tracing.models import Cluster, ClusterStatus, SettingKind
from shouwang.tracing.selectors import clusters as selectors
from shouwang.tracing.services.clusters import close_after_days, clusters_detect
from shouwang.tracing.views.investigations import optional_url

READ = "tracing.read"
WRITE = "tracing.write"
PER_PAGE = 50
CHART_MAX = 200
DEFAULT_DISEASE = "covid19"
FILTER_KEYS = ("disease", "status", "kind", "division")


def _query(raw: dict[str, str], **over: str) -> str:
    return "?" + urlencode({k: v for k, v in {**raw, **over}.items() if v})


@require_capability(READ)
def cluster_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    raw = {k: (request.GET.get(k) or "").strip() for k in FILTER_KEYS}
    context: dict[str, Any] = {"q": raw, "diseases": disease_choices(),
                               "detect_default": raw["disease"] or DEFAULT_DISEASE,
                               "statuses": ClusterStatus.choices, "kinds": SettingKind.choices,
                               "can_write": user.has_capability(WRITE), "errors": {}}
    try:
        filters = selectors.ClusterFilters(**raw).clean()
    except InvalidInput as exc:
        context["errors"] = field_errors(exc)
        return render(request, "tracing/cluster_list.html", context, status=422)
    qs = selectors.cluster_list(user=user, filters=filters)
    paginator = Paginator(qs, PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    items: list[Cluster] = list(page.object_list)
    names = division_names(sorted({c.division_code for c in items}))
    context.update({
        "page": page, "total": paginator.count,
        "rows": [{"c": c, "division": names.get(c.division_code, ""),
                  "disease": disease_label(c.disease)} for c in items],
        "chart": selectors.cluster_chart_data(list(qs[:CHART_MAX])),
        "chart_capped": paginator.count > CHART_MAX,
        # Detect again what the reader is looking at: the filtered disease, else the latest's.
        "detect_default": raw["disease"] or (items[0].disease_id if items else DEFAULT_DISEASE),
        "previous_url": _query(raw, page=str(page.previous_page_number()))
        if page.has_previous() else "",
        "next_url": _query(raw, page=str(page.next_page_number())) if page.has_next() else "",
    })
    return render(request, "tracing/cluster_list.html", context)


@require_capability(READ)
def cluster_detail(request: AuthedRequest, cluster_id: int) -> HttpResponse:
    user = request.user
    cluster = selectors.cluster_get(user=user, cluster_id=cluster_id)
    members = selectors.cluster_members(user=user, cluster=cluster)
    names = division_names([cluster.division_code])
    chart = {
        "members": [{"onset": m.onset_date.isoformat(), "generation": m.generation,
                     "label": m.label} for m in members],
        "first": cluster.first_onset.isoformat(), "last": cluster.last_onset.isoformat(),
    }
    return render(request, "tracing/cluster_detail.html", {
        "cluster": cluster, "members": members, "disease": disease_label(cluster.disease),
        "division": names.get(cluster.division_code, ""), "chart": chart,
        "close_after": close_after_days(cluster.disease),
        "generation_counts": sorted({m.generation for m in members}),
        "chain_url": optional_url("tracing:chains"),
    })


@require_capability(WRITE)
@require_POST
def cluster_detect(request: AuthedRequest) -> HttpResponse:
    """Detect the clusters of one disease now (the nightly task does it for every disease)."""
    code = (request.POST.get("disease") or "").strip()
    disease = Disease.objects.filter(code=code).first()
    target = reverse("tracing:clusters")
    if disease is None:
        messages.error(request, _("请选择病种。"))
        return HttpResponseRedirect(target)
    figures = clusters_detect(disease=disease, actor=request.user)
    messages.success(request, _(
        "%(disease)s：识别出 %(n)s 起聚集性疫情（新增 %(created)s，更新 %(updated)s，"
        "移除 %(removed)s）。") % {"disease": disease_label(disease), "n": figures["clusters"],
                                 "created": figures["created"], "updated": figures["updated"],
                                 "removed": figures["removed"] + figures["merged"]})
    return HttpResponseRedirect(target + _query({"disease": disease.code}))
