"""Pages of transmission chains (decision 1030):

- 传播链 (`chains`): the jurisdiction's chain statistics for a disease and period, with the
  share of new cases already under follow-up when found first, charts (chain sizes, offspring
  with the negative binomial fit, the weekly share) and tables (largest chains, super-spreading
  events, cases of unknown source); exports of the period's chains.
- the chain of a case (`chain-case`): the interactive graph drawn by static/tracing/chain.js
  from a JSON data island (the CSP forbids inline scripts), laid out server-side by generation.
- a case's infector (`case-links`): the confirmed infector, the system's proposals with their
  scores and reasons, confirm / reject / propose again, naming an infector by report number.
  Every action posts to the page and is answered with a redirect back to it (a reload does not
  resend); bad input re-renders the page with the errors (422) and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors
from shouwang.core.validators import query_date
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import CaseReport, Disease
from shouwang.surveillance.views.case_common import disease_label
from shouwang.tracing.selectors import chains as selectors
from shouwang.tracing.selectors.chain_stats import ChainStats, chain_statistics
from shouwang.tracing.services import chain_exports, link_proposals
from shouwang.tracing.services import links as services

READ = "tracing.read"
WRITE = services.WRITE
DEFAULT_DAYS = 90
TABLE_MAX_NODES = 400   # the chain page lists its cases in a table up to this size


def _diseases() -> list[tuple[str, str]]:
    return [(d.code, disease_label(d)) for d in Disease.objects.filter(active=True)]


def _case_url(request: AuthedRequest) -> str:
    return (reverse("surveillance:case-detail", kwargs={"case_id": 0})
            if selectors.may_open_cases(request.user) else "")


def _js_labels() -> dict[str, str]:
    return {
        "confirmed": _("确认的传播关系"), "proposed": _("系统推荐（虚线）"),
        "inside": _("本辖区病例"), "outside": _("辖区外人员（化名）"),
        "candidate": _("推荐的传染者"), "focus": _("当前病例"),
        "generation": _("第 %(n)s 代"), "infectees": _("传染 %(n)s 人"),
        "infecteesTerm": _("传染人数"),
        "onset": _("发病"), "open": _("打开病例"), "outsideNote": _("辖区外人员，不能打开"),
        "infector": _("传染者"), "none": _("无"), "highlighted": _("已突出显示其传染者与被传染者"),
        "notFound": _("本传播链中没有该病例。"), "generations": _("代"),
        "count": _("病例数"), "chainSize": _("传播链规模（病例数）"),
        "chains": _("传播链数"), "offspring": _("每例传染人数"),
        "observed": _("观察到的病例数"), "expected": _("负二项拟合"),
        "share": _("发现时已在随访管理中"), "investigations": _("流调病例数"),
        "week": _("报告周"),
    }


# --- the statistics page -----------------------------------------------------------------------


@require_capability(READ)
def chain_stats_page(request: AuthedRequest) -> HttpResponse:
    get = request.GET
    errors: dict[str, list[str]] = {}
    diseases = _diseases()
    disease = get.get("disease") or (diseases[0][0] if diseases else "covid19")
    if "covid19" in dict(diseases) and not get.get("disease"):
        disease = "covid19"
    if disease not in dict(diseases):
        errors["disease"] = [_("未知病种。")]
    end = query_date(get.get("end", ""), "end", errors) or timezone.localdate()
    start = (query_date(get.get("start", ""), "start", errors)
             or end - timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        errors["end"] = [_("结束日期不能早于开始日期。")]
    until = query_date(get.get("offspring_until", ""), "offspring_until", errors)
    fit_all = get.get("fit_all") == "1"
    division = (get.get("division") or "").strip()
    stats: ChainStats | None = None
    if not errors:
        try:
            stats = chain_statistics(user=request.user, disease=disease, start=start, end=end,
                                     division=division, offspring_until=until,
                                     until_default=not fit_all)
        except Http404:
            errors["division"] = [_("该区划不在您的辖区内。")]
    own = str(request.user.division_id or "")
    names = division_names([c for c in (division, own) if c])
    context: dict[str, Any] = {
        "errors": errors, "diseases": diseases,
        "q": {"disease": disease, "start": start, "end": end, "offspring_until": until,
              "fit_all": fit_all, "division": division},
        "stats": stats, "area": names.get(division or own, ""),
        "can_export_names": request.user.has_capability(chain_exports.EXPORT),
    }
    if stats is not None:
        context["charts"] = {
            "sizes": {str(k): v for k, v in stats.size_distribution.items()},
            "offspring": {str(k): v for k, v in stats.offspring_distribution.items()},
            "expected": stats.expected_offspring,
            "weekly": [{"week": w.week_start.isoformat(), "n": w.investigations,
                        "under": w.under_follow_up} for w in stats.weekly],
            "labels": _js_labels(),
        }
        upto = max([*stats.offspring_distribution, len(stats.expected_offspring) - 1, 0])
        context["offspring_rows"] = [
            (x, stats.offspring_distribution.get(x, 0),
             stats.expected_offspring[x] if x < len(stats.expected_offspring) else None)
            for x in range(upto + 1)]
    return render(request, "tracing/chain_stats.html", context,
                  status=422 if errors else 200)


@require_capability(READ)
def chain_export_page(request: AuthedRequest, case_id: int | None = None) -> HttpResponse:
    """The download of a chain (or of the period's chains): GraphML or JSON."""
    get = request.GET
    errors: dict[str, list[str]] = {}
    start = query_date(get.get("start", ""), "start", errors)
    end = query_date(get.get("end", ""), "end", errors)
    try:
        if errors:
            raise InvalidInput(errors)
        export = chain_exports.chain_export(
            user=request.user, fmt=get.get("format", "json"), case_id=case_id,
            disease=get.get("disease", ""), start=start, end=end,
            division=get.get("division", ""), personal=get.get("personal", "pseudonymous"))
    except InvalidInput as exc:
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in field_errors(exc).items())
        return HttpResponse(text, status=422, content_type="text/plain; charset=utf-8")
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


# --- the chain of a case -----------------------------------------------------------------------


@require_capability(READ)
def chain_case_page(request: AuthedRequest, case_id: int) -> HttpResponse:
    proposed = request.GET.get("proposed") == "1"
    graph = selectors.chain_for_case(user=request.user, case_id=case_id, proposed=proposed)
    data = selectors.graph_columns(graph, case_url=_case_url(request))
    data["labels"] = _js_labels()
    focus = next(n for n in graph.nodes if n.case_id == case_id)
    return render(request, "tracing/chain_case.html", {
        "graph": graph, "data": data, "focus": focus, "proposed": proposed,
        "nodes": (sorted(graph.nodes, key=lambda n: (n.generation is None, n.generation or 0,
                                                     n.case_id))
                  if len(graph.nodes) <= TABLE_MAX_NODES else None),
        "table_max": TABLE_MAX_NODES,
        "can_decide": request.user.has_capability(WRITE) and not focus.pseudonymised,
        "can_export_names": request.user.has_capability(chain_exports.EXPORT),
    })


# --- a case's infector -------------------------------------------------------------------------


def _links_context(request: AuthedRequest, case_id: int) -> dict[str, Any]:
    rows = selectors.case_links(user=request.user, case_id=case_id)
    case = rows.case
    names = division_names([case.division_code])
    return {"rows": rows, "case": case, "case_division": names.get(case.division_code, ""),
            "disease": disease_label(case.disease),
            "can_write": request.user.has_capability(WRITE),
            "can_open": selectors.may_open_cases(request.user)}


def _act(request: AuthedRequest, case: CaseReport) -> str:
    """Run the posted action; the message to show. InvalidInput/Http404 pass through."""
    post = request.POST
    action = post.get("action", "")
    reason = post.get("reason", "")
    replace = post.get("replace") == "1"
    if action == "propose":
        result = link_proposals.links_propose(actor=request.user, infectee=case)
        if not result.links:
            return _("没有找到符合时间顺序的候选传染者（考察了 %(n)s 人）。") % {
                "n": result.considered}
        return _("已推荐 %(n)s 名候选传染者。") % {"n": len(result.links)}
    if action in ("confirm", "reject"):
        try:
            link_id = int(post.get("link_id") or "")
        except ValueError:
            raise InvalidInput({"link_id": [_("取值无效。")]}) from None
        link = selectors.link_for_decision(user=request.user, link_id=link_id)
        if link.infectee_id != case.pk:
            raise Http404
        if action == "reject":
            services.link_reject(actor=request.user, link=link, reason=reason)
            return _("已排除该传播关系。")
        services.link_confirm(actor=request.user, infector=link.infector, infectee=case,
                              reason=reason, replace=replace)
        return _("已确认传染者。")
    if action == "confirm_pair":
        raw = (post.get("infector_id") or "").strip().lstrip("#")
        try:
            infector_id = int(raw)
        except ValueError:
            raise InvalidInput({"infector_id": [_("请输入传染者的病例编号。")]}) from None
        try:
            infector = selectors.infector_choice(user=request.user, infectee=case,
                                                 infector_id=infector_id)
        except Http404:
            raise InvalidInput({"infector_id": [_("未找到该病例。")]}) from None
        errors: dict[str, list[str]] = {}
        exposure = query_date(post.get("exposure_date", ""), "exposure_date", errors)
        if errors:
            raise InvalidInput(errors)
        services.link_confirm(actor=request.user, infector=infector, infectee=case,
                              exposure_date=exposure, reason=reason, replace=replace)
        return _("已确认传染者。")
    raise InvalidInput({"action": [_("未知的操作。")]})


@require_capability(READ)
def case_links_page(request: AuthedRequest, case_id: int) -> HttpResponse:
    if request.method == "POST":
        if not request.user.has_capability(WRITE):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied(WRITE)
        case = selectors.case_for_links(user=request.user, case_id=case_id)
        try:
            message = _act(request, case)
        except InvalidInput as exc:
            context = _links_context(request, case_id)
            context.update({"errors": field_errors(exc), "posted": request.POST})
            return render(request, "tracing/chain_links.html", context, status=422)
        messages.success(request, message)
        return HttpResponseRedirect(reverse("tracing:case-links", kwargs={"case_id": case_id}))
    return render(request, "tracing/chain_links.html", _links_context(request, case_id))
