"""The override form and the revoke buttons of an area's page (decision 1110): posted to the
area's own page (/risk/areas/<code>/), which answers itself — 302 back to it on success, the page
with the messages by field (422) otherwise. Only holders of risk.override (provincial and
national officers) may post; an area or override outside the reader's jurisdiction is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.record_actions import field_errors
from shouwang.geo.models import Division
from shouwang.risk.models import RiskLevel
from shouwang.risk.selectors import history
from shouwang.risk.selectors.levels import DEFAULT_DISEASE
from shouwang.risk.services.overrides import OVERRIDE, override_create, override_revoke


class RenderArea(Protocol):
    def __call__(self, *, action: str = "", errors: dict[str, list[str]] | None = None,
                 status: int = 200, form: dict[str, str] | None = None) -> HttpResponse: ...


def _moment(raw: str, field: str, errors: dict[str, list[str]]) -> datetime | None:
    """A `datetime-local` value (YYYY-MM-DDTHH:MM, read in Asia/Shanghai); None when blank."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        errors.setdefault(field, []).append(_("请输入有效的日期时间。"))
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def area_post(request: AuthedRequest, division: Division, render: RenderArea) -> HttpResponse:
    if not request.user.has_capability(OVERRIDE):
        raise PermissionDenied(OVERRIDE)
    action = request.POST.get("action", "")
    form = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    target = reverse("risk:area", args=[division.code])
    errors: dict[str, list[str]] = {}
    try:
        if action == "override":
            start = _moment(form.get("effective_at", ""), "effective_at", errors)
            end = _moment(form.get("ends_at", ""), "ends_at", errors)
            if errors:
                raise InvalidInput(errors)
            made = override_create(
                actor=request.user, disease=DEFAULT_DISEASE, division_code=division.code,
                level=form.get("level", ""), reason=form.get("reason", ""),
                effective_at=start, ends_at=end)
            done = _("已将%(place)s调整为%(level)s，相关疾控人员已收到通知。")
            messages.success(request, done % {"place": division.name,
                                              "level": RiskLevel(made.level).label})
        elif action == "revoke":
            try:
                override_id = int(form.get("override", ""))
            except ValueError:
                raise Http404 from None
            found = history.override_get(user=request.user, override_id=override_id)
            if found.division_code != division.code:
                raise Http404
            override_revoke(actor=request.user, override=found, reason=form.get("reason", ""))
            messages.success(request, _("已撤销人工调整，相关疾控人员已收到通知。"))
        else:
            raise Http404
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        return render(action=action, errors=field_errors(exc), status=422, form=form)
    return HttpResponseRedirect(target)
