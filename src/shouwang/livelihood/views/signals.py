"""The signal pages (decision 1220):

- /livelihood/signals/?tab=pending|overdue|decided|all — the jurisdiction's signals, earliest
  due first, with the overdue count as a badge and the counts per area below;
- /livelihood/signals/<id>/ — one signal and, for livelihood.write, the decide form (posted to
  the page itself: 302 back on success, the page with the messages (422) otherwise);
- /livelihood/signals/new/ — a cadre's visit: a lead on a household (by its number), with an
  optional shock;
- /livelihood/report/ — the household's own report, WITHOUT login, on a phone: household number
  and the last six characters of the head's ID number; the same message whether the number is
  unknown or the suffix wrong; throttled per address and per household number (cache).

A signal or household outside the reader's jurisdiction answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.middleware import client_ip
from shouwang.core.record_actions import field_errors
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.models import Division
from shouwang.livelihood.models import ShockKind, SignalStatus
from shouwang.livelihood.selectors import signals as selectors
from shouwang.livelihood.services.signals import (
    NOT_MATCHED,
    WRITE,
    cadre_visit_report,
    decision_days,
    household_by_number,
    may_write,
    self_report_submit,
    signal_decide,
)

READ = "livelihood.read"
TABS = ("pending", "overdue", "decided", "all")
PAGE_SIZE = 200


@require_capability(READ)
def signal_list(request: AuthedRequest) -> HttpResponse:
    tab = request.GET.get("tab", "pending")
    if tab not in TABS:
        tab = "pending"
    if tab == "overdue":
        rows = selectors.overdue_signals(request.user)
    elif tab == "pending":
        rows = selectors.pending_signals(request.user)
    elif tab == "decided":
        rows = selectors.signals_list(request.user).exclude(status=SignalStatus.PENDING)
    else:
        rows = selectors.signals_list(request.user)
    level = request.GET.get("level", "township")
    if level not in selectors.LEVEL_LENGTH:
        level = "township"
    counts = selectors.counts_by_area(request.user, level)
    names = dict(Division.objects.filter(code__in=[c.division_code for c in counts])
                 .values_list("code", "name"))
    return render(request, "livelihood/signal_list.html", {
        "tab": tab, "signals": list(rows[:PAGE_SIZE]), "now": timezone.now(),
        "overdue": selectors.overdue_count(request.user),
        "pending": selectors.pending_signals(request.user).count(),
        "counts": [(c, names.get(c.division_code, "")) for c in counts], "level": level,
        "can_write": may_write(request.user)})


def _detail(request: AuthedRequest, signal_id: int, *, errors: dict[str, list[str]] | None = None,
            form: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    signal = selectors.signal_detail(request.user, signal_id)
    return render(request, "livelihood/signal_detail.html", {
        "signal": signal, "now": timezone.now(),
        "is_overdue": signal.status == SignalStatus.PENDING
        and signal.decision_due < timezone.now(),
        "can_decide": may_write(request.user) and signal.status == SignalStatus.PENDING,
        "errors": errors or {}, "form": form or {}}, status=status)


@require_capability(READ)
@require_http_methods(["GET", "POST"])
def signal_detail(request: AuthedRequest, signal_id: int) -> HttpResponse:
    if request.method != "POST":
        return _detail(request, signal_id)
    signal = selectors.signal_detail(request.user, signal_id)  # 404 outside first
    if not request.user.has_capability(WRITE):
        raise PermissionDenied(WRITE)
    decision = request.POST.get("decision", "")
    form = {"decision": decision, "reason": request.POST.get("reason", "")}
    if decision not in ("identified", "not_identified"):
        return _detail(request, signal_id, errors={"decision": [_("请选择研判结果。")]},
                       form=form, status=422)
    try:
        signal_decide(actor=request.user, signal=signal, identified=decision == "identified",
                      reason=form["reason"])
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        return _detail(request, signal_id, errors=field_errors(exc), form=form, status=422)
    messages.success(request, _("研判结果已保存。"))
    return HttpResponseRedirect(reverse("livelihood:signal", args=[signal_id]))


@require_capability(WRITE)
@require_http_methods(["GET", "POST"])
def signal_new(request: AuthedRequest) -> HttpResponse:
    """A cadre's visit: a lead on a household of the jurisdiction, with an optional shock."""
    fields = ("household_number", "summary", "kind", "occurred_on", "amount", "description")
    form = {k: request.POST.get(k, "") for k in fields} if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        household = household_by_number(form["household_number"])
        if household is None or not in_jurisdiction(request.user, household.division_code):
            errors["household_number"] = [_("您的辖区内没有该户编号的农户。")]
        else:
            try:
                signal = cadre_visit_report(actor=request.user, household=household,
                                            summary=form["summary"], data=form)
            except InvalidInput as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("线索已登记，请在时限内研判。"))
                return HttpResponseRedirect(reverse("livelihood:signal", args=[signal.pk]))
    return render(request, "livelihood/signal_new.html", {
        "form": form, "errors": errors, "kinds": ShockKind.choices,
        "today": timezone.localdate()}, status=422 if errors else 200)


# --- the household's own report (no login) ----------------------------------------------------

def _throttle_limits() -> tuple[int, int, int]:
    """(attempts per address, failures per household number, window in seconds)."""
    return (int(getattr(settings, "SHOUWANG_LIVELIHOOD_REPORT_PER_IP", 20)),
            int(getattr(settings, "SHOUWANG_LIVELIHOOD_REPORT_FAILURES", 5)),
            int(getattr(settings, "SHOUWANG_LIVELIHOOD_REPORT_WINDOW", 3600)))


def _count(key: str, window: int) -> int:
    if cache.add(key, 1, window):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        return 1


def _peek(key: str) -> int:
    return int(cache.get(key) or 0)


@require_http_methods(["GET", "POST"])
def self_report(request: HttpRequest) -> HttpResponse:
    fields = ("household_number", "id_suffix", "kind", "occurred_on", "amount", "description")
    form = {k: request.POST.get(k, "") for k in fields} if request.method == "POST" else {}
    errors: dict[str, list[str]] = {}
    message = ""
    done = None
    status = 200
    if request.method == "POST":
        per_ip, failures, window = _throttle_limits()
        number = form["household_number"].strip().upper()[:64]
        ip_key = f"lh-report-ip:{client_ip(request) or '-'}"
        fail_key = f"lh-report-fail:{number}"
        if _count(ip_key, window) > per_ip or _peek(fail_key) >= failures:
            message = _("尝试次数过多，请稍后再试，或联系村（社区）干部。")
            status = 429
        else:
            try:
                done = self_report_submit(household_number=number, id_suffix=form["id_suffix"],
                                          data=form)
            except InvalidInput as exc:
                status = 422
                errors = field_errors(exc)
                if exc.code == NOT_MATCHED:
                    _count(fail_key, window)
                    message = str(exc.message)
    return render(request, "livelihood/self_report.html", {
        "form": form if done is None else {}, "errors": errors, "message": message,
        "done": done is not None, "days": decision_days(), "kinds": ShockKind.choices,
        "today": timezone.localdate()},
        status=status)
