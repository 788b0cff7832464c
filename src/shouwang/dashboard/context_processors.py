from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from shouwang.dashboard.navigation import NAVIGATION


def shell(request: HttpRequest) -> dict[str, Any]:
    """The navigation the user may use and the jurisdiction shown in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": []}
    entries = []
    for entry in NAVIGATION:
        if not user.has_capability(entry.capability):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        entries.append({"key": entry.key, "label": entry.label, "url": url,
                        "active": request.path == url or (url != "/" and request.path.startswith(url))})
    return {"nav_entries": entries, "user_division": user.division}
