"""The investigations list, one investigation's page (its window on a timeline with the
exposures, the add-exposure form, source status, completion, history), and opening one from a
case. Decision 1010.

Every form carries the version the page was read at (the add-exposure form too: a resent form is
refused rather than stored twice). The page itself answers an action (core.record_actions), as
the alert and case pages do.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.record_actions import field_errors, versioned_action
from shouwang.geo.selectors import division_names
from shouwang.surveillance.views.case_common import disease_choices, disease_label
from shouwang.tracing.models import Investigation, SettingKind, SourceStatus
from shouwang.tracing.selectors import investigations as selectors
from shouwang.tracing.services import investigations as services
from shouwang.tracing.services.settings_registry import WRITE

READ = "tracing.read"
PER_PAGE = 50
FILTER_KEYS = ("source_status", "state", "follow_up", "disease", "division")

FIELD_LABELS = {
    "source_status": gettext_lazy("感染来源"), "exposure_window_start": gettext_lazy("追溯期起"),
    "exposure_window_end": gettext_lazy("追溯期止"), "completed_at": gettext_lazy("完成时间"),
    "investigator": gettext_lazy("调查人"), "summary": gettext_lazy("调查小结"),
    "note": gettext_lazy("说明"), "reason": gettext_lazy("原因"),
    "found_under_follow_up": gettext_lazy("发现时已在随访管理中"),
    "kind": gettext_lazy("暴露类型"), "place_division_code": gettext_lazy("地点区划"),
    "started_on": gettext_lazy("开始日期"), "ended_on": gettext_lazy("结束日期"),
}
HISTORY_KINDS = {
    "investigation open": gettext_lazy("开始流调"),
    "investigation window": gettext_lazy("暴露追溯期随发病日期更新"),
    "investigation source": gettext_lazy("感染来源"),
    "investigation complete": gettext_lazy("完成流调"),
    "investigation reopen": gettext_lazy("重新开启"),
    "investigation exposure add": gettext_lazy("添加暴露史"),
    "investigation exposure remove": gettext_lazy("删除暴露史"),
}


def optional_url(name: str, *args: Any) -> str:
    """The URL of a page another part of tracing may provide; "" when it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- the list ------------------------------------------------------------------------------------


def _read_filters(get: Any) -> tuple[dict[str, str], selectors.InvestigationFilters | None,
                                     dict[str, list[str]]]:
    raw = {k: (get.get(k) or "").strip() for k in FILTER_KEYS}
    follow = {"1": True, "0": False}.get(raw["follow_up"])
    filters = selectors.InvestigationFilters(
        source_status=raw["source_status"], state=raw["state"], found_under_follow_up=follow,
        disease=raw["disease"], division=raw["division"])
    try:
        filters.clean()
    except InvalidInput as exc:
        return raw, None, field_errors(exc)
    return raw, filters, {}


def _query(raw: dict[str, str], **over: str) -> str:
    merged = {k: v for k, v in {**raw, **over}.items() if v}
    return "?" + urlencode(merged)


@require_capability(READ)
def investigation_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    raw, filters, errors = _read_filters(request.GET)
    context: dict[str, Any] = {"q": raw, "errors": errors, "diseases": disease_choices(),
                               "sources": SourceStatus.choices}
    if filters is not None:
        paginator = Paginator(selectors.investigation_list(user=user, filters=filters),
                              PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        items = selectors.investigation_page(user=user, filters=filters,
                                             offset=page.start_index() - 1 if paginator.count
                                             else 0, limit=PER_PAGE)
        names = division_names(sorted({i.division_code for i in items}))
        exposures = selectors.exposure_counts(items)
        counts = selectors.investigation_counts(user=user, filters=filters)
        context.update({
            "listed": True, "page": page, "total": paginator.count,
            "rows": [{"i": i, "division": names.get(i.division_code, ""),
                      "disease": disease_label(i.case.disease), "exposures": exposures[i.pk],
                      "unknown": i.source_status == SourceStatus.UNKNOWN} for i in items],
            "tabs": [{"value": "", "label": _("全部"), "n": sum(counts.values()),
                      "url": _query(raw, source_status="", page=""),
                      "current": not raw["source_status"]}]
            + [{"value": value, "label": label, "n": counts[value],
                "url": _query({**raw, "source_status": value}),
                "current": raw["source_status"] == value}
               for value, label in SourceStatus.choices],
            "previous_url": _query(raw, page=str(page.previous_page_number()))
            if page.has_previous() else "",
            "next_url": _query(raw, page=str(page.next_page_number()))
            if page.has_next() else "",
        })
    return render(request, "tracing/investigation_list.html", context,
                  status=422 if errors else 200)


# --- one investigation ---------------------------------------------------------------------------


def _history(user: Any, investigation: Investigation) -> list[dict[str, Any]]:
    sources = dict(SourceStatus.choices)
    kinds = dict(SettingKind.choices)
    rows = []
    for h in selectors.investigation_history(user=user, investigation=investigation):
        kind = h.summary.rsplit(" v", 1)[0] if " v" in h.summary else h.summary
        changes = []
        for key, value in sorted(h.changes.items()):
            if key in ("case", "exposure_added", "exposure_removed", "setting", "cluster"):
                continue
            if isinstance(value, list) and len(value) == 2:
                old, new = value
            else:
                old, new = None, value
            if key == "source_status":
                old, new = sources.get(old, old), sources.get(new, new)
            elif key == "kind":
                new = kinds.get(new, new)
            if isinstance(new, bool):
                old, new = None, _("是") if new else _("否")
            changes.append((FIELD_LABELS.get(key, key), old, new))
        rows.append({"h": h, "kind": HISTORY_KINDS.get(kind, h.summary), "changes": changes,
                     "cluster": h.changes.get("cluster")})
    if not rows or rows[0]["h"].summary != "investigation open":
        # Opened in bulk by the task: its batch's audit row names no single investigation.
        opened = SimpleNamespace(occurred_at=investigation.created_at, actor_username="")
        rows.insert(0, {"h": opened, "kind": _("系统自动开始流调"), "changes": [],
                        "cluster": None})
    return rows


def timeline_data(investigation: Investigation, exposures: list[Any],
                  names: dict[str, str]) -> dict[str, Any]:
    """What the timeline draws: the window, the onset (or diagnosis) day, and each exposure as
    a bar from its first to its last day (inclusive)."""
    kinds = dict(SettingKind.choices)
    return {
        "window": [investigation.exposure_window_start.isoformat(),
                   investigation.exposure_window_end.isoformat()],
        "anchor": investigation.exposure_window_end.isoformat(),
        "exposures": [{
            "id": e.pk, "kind": e.kind, "kind_label": str(kinds.get(e.kind, e.kind)),
            "label": e.setting.label if e.setting_id else names.get(e.place_division_code,
                                                                    e.place_division_code),
            "start": e.started_on.isoformat(), "end": e.ended_on.isoformat()}
            for e in exposures],
    }


def render_detail(request: AuthedRequest, investigation_id: int, *, action: str = "",
                  errors: dict[str, list[str]] | None = None, status: int = 200,
                  form: dict[str, str] | None = None) -> HttpResponse:
    user = request.user
    inv = selectors.investigation_detail(user=user, investigation_id=investigation_id)
    exposures = list(selectors.exposures_of(inv))
    names = division_names(sorted({inv.division_code} | {e.place_division_code
                                                          for e in exposures}))
    case = inv.case
    can_write = user.has_capability(WRITE)
    is_open = inv.completed_at is None
    return render(request, "tracing/investigation_detail.html", {
        "inv": inv, "case": case, "disease": disease_label(case.disease),
        "division": names.get(inv.division_code, ""),
        "exposures": [{"e": e, "place": names.get(e.place_division_code, "")}
                      for e in exposures],
        "timeline": timeline_data(inv, exposures, names),
        "history": _history(user, inv),
        "can_write": can_write, "is_open": is_open,
        "kinds": SettingKind.choices,
        "sources": [c for c in SourceStatus.choices if c[0] != inv.source_status],
        "settings": selectors.setting_choices(user=user, near=inv.division_code)
        if can_write and is_open else [],
        "case_url": optional_url("surveillance:case-detail", case.pk)
        if user.has_capability("surveillance.read") else "",
        "contacts_url": optional_url("tracing:case-contacts", case.pk),
        "chain_url": optional_url("tracing:case-chain", case.pk),
        "infector_url": optional_url("tracing:case-links", case.pk),
        "action": action, "action_errors": errors or {}, "form": form or {},
    }, status=status)


@require_capability(READ)
def investigation_detail(request: AuthedRequest, investigation_id: int) -> HttpResponse:
    return render_detail(request, investigation_id)


def _act(request: AuthedRequest, investigation_id: int, action: str,
         call: Callable[[Investigation, int], Any], done: str) -> HttpResponse:
    inv = selectors.investigation_get(user=request.user, investigation_id=investigation_id)
    return versioned_action(
        request, record=inv, action=action, call=call, done=done,
        render=lambda **kw: render_detail(request, investigation_id, **kw),
        conflicts=(services.InvestigationConflict,))


EXPOSURE_FIELDS = ("kind", "setting_id", "setting_label", "place_division_code", "started_on",
                   "ended_on", "description")


@require_capability(WRITE)
@require_POST
def exposure_add(request: AuthedRequest, investigation_id: int) -> HttpResponse:
    def call(inv: Investigation, version: int) -> Any:
        data = {k: request.POST.get(k, "") for k in EXPOSURE_FIELDS}
        return services.exposure_add(actor=request.user, investigation=inv, data=data,
                                     version=version)
    return _act(request, investigation_id, "exposure", call, _("暴露史已添加。"))


@require_capability(WRITE)
@require_POST
def exposure_remove(request: AuthedRequest, investigation_id: int,
                    exposure_id: int) -> HttpResponse:
    return _act(request, investigation_id, "remove", lambda inv, version:
                services.exposure_remove(actor=request.user, investigation=inv,
                                         exposure_id=exposure_id, version=version,
                                         reason=request.POST.get("reason", "")),
                _("暴露史已删除。"))


@require_capability(WRITE)
@require_POST
def investigation_source(request: AuthedRequest, investigation_id: int) -> HttpResponse:
    return _act(request, investigation_id, "source", lambda inv, version:
                services.investigation_set_source(
                    actor=request.user, investigation=inv, version=version,
                    source_status=request.POST.get("source_status", ""),
                    note=request.POST.get("note", "")),
                _("感染来源已更新。"))


@require_capability(WRITE)
@require_POST
def investigation_complete(request: AuthedRequest, investigation_id: int) -> HttpResponse:
    return _act(request, investigation_id, "complete", lambda inv, version:
                services.investigation_complete(actor=request.user, investigation=inv,
                                                version=version,
                                                summary=request.POST.get("summary", "")),
                _("流调已完成。"))


@require_capability(WRITE)
@require_POST
def investigation_reopen(request: AuthedRequest, investigation_id: int) -> HttpResponse:
    return _act(request, investigation_id, "reopen", lambda inv, version:
                services.investigation_reopen(actor=request.user, investigation=inv,
                                              version=version,
                                              reason=request.POST.get("reason", "")),
                _("流调已重新开启。"))


# --- from a case ---------------------------------------------------------------------------------


@require_capability(READ)
def case_investigation(request: AuthedRequest, case_id: int) -> HttpResponse:
    """GET: the case's investigation page, or (none yet) an offer to open it. POST: open it."""
    user = request.user
    if request.method == "POST":
        if not user.has_capability(WRITE):
            raise PermissionDenied(WRITE)
        try:
            inv, _created = services.investigation_for_case_or_open(actor=user, case_id=case_id)
        except NotFound:
            raise Http404 from None
        except InvalidInput as exc:
            return _offer(request, case_id, errors=field_errors(exc), status=422)
        return HttpResponseRedirect(reverse("tracing:investigation-detail", args=[inv.pk]))
    found = selectors.investigation_of_case(user=user, case_id=case_id)
    if found is not None:
        return HttpResponseRedirect(reverse("tracing:investigation-detail", args=[found.pk]))
    return _offer(request, case_id)


def _offer(request: AuthedRequest, case_id: int, *, errors: dict[str, list[str]] | None = None,
           status: int = 200) -> HttpResponse:
    case = selectors.case_for_investigation(user=request.user, case_id=case_id)
    window = services.exposure_window(case)
    return render(request, "tracing/investigation_open.html", {
        "case": case, "disease": disease_label(case.disease), "window": window,
        "can_write": request.user.has_capability(WRITE), "errors": errors or {},
        "case_url": optional_url("surveillance:case-detail", case.pk)
        if request.user.has_capability("surveillance.read") else "",
    }, status=status)
