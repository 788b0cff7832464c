"""The alerts inbox, one alert's page with its actions, and the reader's notifications.

Every action form carries the version the page was read at: when someone else acted in between
the service refuses (AlertConflict) and the page says so instead of overwriting. A successful
action answers with the alert's page itself (as the case pages do), not a redirect: a resent
form names a version that is gone by then, so a reload is refused and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.record_actions import field_errors, versioned_action
from shouwang.geo.selectors import division_names
from shouwang.surveillance.views.case_common import disease_choices, disease_label
from shouwang.warning.models import Alert, AlertStatus, Method, SeriesResult
from shouwang.warning.selectors import alerts as selectors
from shouwang.warning.services import alerts as services
from shouwang.warning.services.notify import (
    alert_reason_text,
    escalation_words,
    notifications_mark_read,
)

READ = "warning.read"
OWN_NOTIFICATIONS = "dashboard.read"
WRITE = services.WRITE
PER_PAGE = 50
# The chart shows the series from this many days before the signal day to this many after.
CHART_BEFORE = 42
CHART_AFTER = 14

HISTORY_KINDS = {
    "raise": gettext_lazy("生成预警"), "update": gettext_lazy("重新计算更新"),
    "assign": gettext_lazy("分派"), "status": gettext_lazy("状态变更"),
    "escalate": gettext_lazy("超时升级"), "note": gettext_lazy("备注"),
}
FIELD_LABELS = {
    "assigned_to": gettext_lazy("核实人"), "status": gettext_lazy("状态"),
    "cluster": gettext_lazy("时空聚集"), "linked_event": gettext_lazy("关联事件"),
    "dismissed_reason": gettext_lazy("排除原因"), "escalation_level": gettext_lazy("升级次数"),
    "escalated_at": gettext_lazy("升级时间"), "verify_due_at": gettext_lazy("核实时限"),
    "observed": gettext_lazy("观察值"), "expected": gettext_lazy("期望值"),
    "threshold": gettext_lazy("阈值"),
}
FILTER_KEYS = ("status", "disease", "method", "division", "day_from", "day_to", "mine",
               "overdue")


def _method_label(method: str) -> str:
    return str(Method(method).label) if method in Method.values else method


# --- the inbox -----------------------------------------------------------------------------------


def _read_filters(get: Any) -> tuple[dict[str, str], selectors.AlertFilters | None,
                                     dict[str, list[str]]]:
    raw = {k: (get.get(k) or "").strip() for k in FILTER_KEYS}
    errors: dict[str, list[str]] = {}
    days: dict[str, date | None] = {}
    for key in ("day_from", "day_to"):
        days[key] = None
        if raw[key]:
            try:
                days[key] = parse_date(raw[key])
            except ValueError:
                days[key] = None
            if days[key] is None:
                errors[key] = [_("日期格式应为 YYYY-MM-DD。")]
    filters = selectors.AlertFilters(
        status=raw["status"], disease=raw["disease"], method=raw["method"],
        division=raw["division"], day_from=days["day_from"], day_to=days["day_to"],
        mine=raw["mine"] == "1", overdue=raw["overdue"] == "1")
    try:
        filters.clean()
    except InvalidInput as exc:
        errors.update(field_errors(exc))
    return raw, (None if errors else filters), errors


def _query(raw: dict[str, str], **over: str) -> str:
    merged = {**{k: v for k, v in raw.items() if v}, **over}
    return "?" + urlencode({k: v for k, v in merged.items() if v}) if merged else "?"


@require_capability(READ)
def alert_inbox(request: AuthedRequest) -> HttpResponse:
    user = request.user
    raw, filters, errors = _read_filters(request.GET)
    context: dict[str, Any] = {
        "q": raw, "errors": errors, "diseases": disease_choices(),
        "statuses": AlertStatus.choices, "methods": Method.choices,
        "unread": selectors.unread_count(user=user),
    }
    if filters is not None:
        qs = selectors.alert_list(user=user, filters=filters)
        paginator = Paginator(qs, PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        alerts = list(page.object_list)
        names = division_names(sorted({a.division_code for a in alerts}))
        counts = selectors.alert_counts(user=user, filters=filters)
        context.update({
            "listed": True, "page": page, "total": paginator.count,
            "rows": [{"a": a, "division": names.get(a.division_code, ""),
                      "disease": disease_label(a.disease), "method": _method_label(a.method),
                      "reason": alert_reason_text(a), "overdue": selectors.overdue(a),
                      "escalation": escalation_words(a)}
                     for a in alerts],
            "tabs": [{"value": "", "label": _("全部"), "n": sum(counts[s] for s in
                                                               AlertStatus.values),
                      "url": _query(raw, status="", page=""), "current": not raw["status"]}]
            + [{"value": value, "label": label, "n": counts[value],
                "url": _query({**raw, "status": value}), "current": raw["status"] == value}
               for value, label in AlertStatus.choices],
            "overdue_count": counts["overdue"],
            "overdue_url": _query({**raw, "overdue": "1"}),
            "previous_url": _query(raw, page=str(page.previous_page_number()))
            if page.has_previous() else "",
            "next_url": _query(raw, page=str(page.next_page_number())) if page.has_next() else "",
        })
    return render(request, "warning/alert_inbox.html", context, status=422 if errors else 200)


# --- one alert -----------------------------------------------------------------------------------


def _window(data: dict[str, list[Any]], day: date) -> list[int]:
    lo, hi = day - timedelta(days=CHART_BEFORE), day + timedelta(days=CHART_AFTER)
    keep = []
    for i, t in enumerate(data.get("t", [])):
        parsed = parse_date(str(t)[:10])
        if parsed is not None and lo <= parsed <= hi:
            keep.append(i)
    return keep


def _column(data: dict[str, list[Any]], name: str, keep: list[int]) -> list[Any] | None:
    values = data.get(name)
    if not isinstance(values, list) or len(values) != len(data.get("t", [])):
        return None
    return [values[i] for i in keep]


def alert_chart(alert: Alert, series: SeriesResult | None) -> dict[str, Any] | None:
    """What the small chart draws: the series around the alert's day, by method."""
    if series is None or not isinstance(series.data, dict):
        return None
    data = series.data
    keep = _window(data, alert.day)
    if not keep:
        return None
    def col(name: str) -> list[Any] | None:
        return _column(data, name, keep)

    chart: dict[str, Any] = {"t": [str(data["t"][i])[:10] for i in keep],
                             "day": alert.day.isoformat(), "method": alert.method,
                             "run_day": series.run.day.isoformat()}
    if alert.method == Method.RT:
        chart.update(line=col("mean"), lower=col("lower"), upper=col("upper"), reference=1.0)
    elif alert.method in (Method.NOWCAST, Method.FORECAST):
        # The forecast's series carries no observed column: only its median and band show.
        chart.update(bars=col("observed"), line=col("median"), lower=col("lower"),
                     upper=col("upper"))
    else:
        chart.update(bars=col("observed"), line=col("expected"), threshold=col("upperbound"),
                     alarm=col("alarm"))
    if not any(chart.get(k) for k in ("bars", "line")):
        return None
    return chart


def _local_time(value: Any) -> str | None:
    parsed = parse_datetime(str(value)) if value else None
    if parsed is None:
        return None
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M")


def _history(user: Any, alert: Alert) -> list[dict[str, Any]]:
    from shouwang.accounts.models import User

    statuses = dict(AlertStatus.choices)
    history = list(selectors.alert_history(user=user, alert_id=alert.pk))
    people = {u.pk: str(u) for u in User.objects.filter(pk__in={
        v for h in history for v in h.changes.get("assigned_to", []) if isinstance(v, int)})}
    # A cluster by its rank and days, as the card names it (its id means nothing to a reader;
    # one re-computed since, or outside the reader's area, keeps the id).
    clusters = {pk: _("#%(rank)s（%(start)s 至 %(end)s）") % {
        "rank": c.rank, "start": c.start.isoformat(), "end": c.end.isoformat()}
        for pk, c in selectors.clusters_by_id(user=user, ids={
            v for h in history for v in h.changes.get("cluster", []) if isinstance(v, int)
        }).items()}
    rows = []
    for h in history:
        changes = []
        for key, pair in sorted(h.changes.items()):
            # The status shows as from → to beside the kind.
            # A re-run's new details are the reason's inputs: the reason itself shows them.
            if key in ("status", "details") or not isinstance(pair, list) or len(pair) != 2:
                continue
            old, new = pair
            if key == "assigned_to":
                old, new = people.get(old, old), people.get(new, new)
            elif key == "cluster":
                old, new = (clusters.get(v, f"#{v}") if v is not None else None
                            for v in (old, new))
            elif key in ("escalated_at", "verify_due_at"):
                old, new = (_local_time(v) for v in (old, new))
            changes.append((FIELD_LABELS.get(key, key), old, new))
        rows.append({"h": h, "kind": HISTORY_KINDS.get(h.kind, h.kind), "changes": changes,
                     "from": statuses.get(h.from_status, ""), "to": statuses.get(h.to_status, "")})
    return rows


def render_detail(request: AuthedRequest, alert_id: int, *, action: str = "",
                  errors: dict[str, list[str]] | None = None, status: int = 200,
                  form: dict[str, str] | None = None) -> HttpResponse:
    user = request.user
    alert = selectors.alert_get(user=user, alert_id=alert_id)
    series = selectors.alert_series(alert=alert)
    is_open = alert.status in selectors.OPEN
    can_write = user.has_capability(WRITE)
    names = division_names([alert.division_code])
    return render(request, "warning/alert_detail.html", {
        "alert": alert, "division": names.get(alert.division_code, ""),
        "disease": disease_label(alert.disease), "method": _method_label(alert.method),
        "reason": alert_reason_text(alert), "overdue": selectors.overdue(alert),
        "escalation": escalation_words(alert),
        "details": sorted((str(k), v) for k, v in (alert.details or {}).items()
                          if isinstance(v, (str, int, float))),
        "chart": alert_chart(alert, series), "series": series,
        "history": _history(user, alert),
        "can_write": can_write, "is_open": is_open,
        "officers": list(selectors.assignable_officers(user=user, alert=alert))
        if can_write and is_open else [],
        "clusters": selectors.alert_clusters(user=user, alert=alert)
        if can_write and alert.status == AlertStatus.VERIFYING else [],
        "action": action, "action_errors": errors or {}, "form": form or {},
        "unread": selectors.unread_count(user=user),
    }, status=status)


@require_capability(READ)
def alert_detail(request: AuthedRequest, alert_id: int) -> HttpResponse:
    return render_detail(request, alert_id)


def _act(request: AuthedRequest, alert_id: int, action: str,
         call: Callable[[Alert, int], Any], done: str) -> HttpResponse:
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    return versioned_action(
        request, record=alert, action=action, call=call, done=done,
        render=lambda **kw: render_detail(request, alert_id, **kw),
        conflicts=(services.AlertConflict,))


@require_capability(WRITE)
@require_POST
def alert_assign(request: AuthedRequest, alert_id: int) -> HttpResponse:
    def call(alert: Alert, version: int) -> Any:
        username = request.POST.get("assignee", "").strip()
        assignee = selectors.officer_by_username(username) if username else None
        if username and assignee is None:
            raise InvalidInput({"assignee": [_("未找到该用户。")]})
        return services.alert_assign(actor=request.user, alert=alert, assignee=assignee,
                                     version=version)
    return _act(request, alert_id, "assign", call, _("预警已分派。"))


@require_capability(WRITE)
@require_POST
def alert_start(request: AuthedRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, "start", lambda alert, version:
                services.alert_start_verification(actor=request.user, alert=alert,
                                                  version=version),
                _("已开始核实。"))


@require_capability(WRITE)
@require_POST
def alert_confirm(request: AuthedRequest, alert_id: int) -> HttpResponse:
    def call(alert: Alert, version: int) -> Any:
        raw = request.POST.get("cluster_id", "").strip()
        try:
            cluster_id = int(raw) if raw else None
        except ValueError:
            raise InvalidInput({"cluster_id": [_("取值无效。")]}) from None
        return services.alert_confirm(actor=request.user, alert=alert, version=version,
                                      cluster_id=cluster_id,
                                      linked_event=request.POST.get("linked_event", ""))
    return _act(request, alert_id, "confirm", call, _("预警已确认。"))


@require_capability(WRITE)
@require_POST
def alert_dismiss(request: AuthedRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, "dismiss", lambda alert, version:
                services.alert_dismiss(actor=request.user, alert=alert, version=version,
                                       reason=request.POST.get("reason", "")),
                _("预警已排除。"))


@require_capability(WRITE)
@require_POST
def alert_note(request: AuthedRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, "note", lambda alert, version:
                services.alert_note(actor=request.user, alert=alert,
                                    note=request.POST.get("note", "")),
                _("备注已添加。"))


# --- notifications -------------------------------------------------------------------------------


# A user's own notifications: every signed-in role may read them (alerts, risk levels and the
# livelihood app's overdue signals all notify), so the capability is the dashboard's.
@require_capability(OWN_NOTIFICATIONS)
def notification_list(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    paginator = Paginator(selectors.notifications_for(user=request.user,
                                                      unread_only=unread_only), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    base = "?unread=1&" if unread_only else "?"
    return render(request, "warning/notification_list.html", {
        "page": page, "unread_only": unread_only,
        "unread": selectors.unread_count(user=request.user),
        "previous_url": f"{base}page={page.previous_page_number()}"
        if page.has_previous() else "",
        "next_url": f"{base}page={page.next_page_number()}" if page.has_next() else "",
    })


@require_capability(OWN_NOTIFICATIONS)
@require_POST
def notification_mark_read(request: AuthedRequest) -> HttpResponse:
    raw = request.POST.getlist("id")
    ids = [int(x) for x in raw if x.isascii() and x.isdigit()] if raw else None
    marked = notifications_mark_read(actor=request.user, ids=ids)
    if marked:
        messages.success(request, _("已标记 %(n)s 条通知为已读。") % {"n": marked})
    target = reverse("warning:notifications")
    if request.POST.get("unread") == "1":
        target += "?unread=1"
    return HttpResponseRedirect(target)
