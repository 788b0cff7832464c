from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouwang.accounts.models import User
from shouwang.accounts.permissions import require_capability
from shouwang.accounts.roles import capabilities_of
from shouwang.dashboard.areas import AREAS
from shouwang.dashboard.capabilities import CAPABILITY_TEXT, capability_text
from shouwang.geo.selectors import division_children, division_path


def _url(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


@require_capability("dashboard.read")
def home(request: HttpRequest) -> HttpResponse:
    # require_capability has turned anonymous visitors away.
    user = cast(User, request.user)
    division = user.division
    if division is None:
        division_name = _("未绑定的辖区")
    elif (get_language() or "").startswith("en") and division.name_en:
        division_name = f"{division.name_en} ({division.name})"
    else:
        division_name = division.name
    areas: list[dict[str, Any]] = []
    for area in AREAS:
        if not user.has_capability(area.capability):
            continue
        count = area.count(user) if area.count is not None else None
        values = {"division": division_name, "count": count or 0}
        if count and area.count_text is not None:
            text = str(area.count_text % values)
        else:
            text = str(area.empty % values)
            latest = area.latest(user) if area.latest is not None else None
            if latest is not None and area.latest_text is not None:
                text += str(area.latest_text % {"day": latest.isoformat()})
        areas.append({"key": area.key, "title": area.title, "url": _url(area.url_name),
                      "count": count, "text": text})
    order = list(CAPABILITY_TEXT)
    held = sorted(capabilities_of(user.role),
                  key=lambda c: (order.index(c) if c in order else len(order), c))
    context = {
        "division_path": division_path(division) if division is not None else [],
        "subdivision_count": division_children(division.code).count() if division else 0,
        "capabilities": [{"code": c, "text": capability_text(c)} for c in held],
        "areas": areas,
    }
    return render(request, "dashboard/home.html", context)
