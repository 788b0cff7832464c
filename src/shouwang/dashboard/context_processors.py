from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language

from shouwang.dashboard.navigation import NAVIGATION


def _is_active(path: str, url: str, home: str) -> bool:
    # The home page's URL is a prefix of every path: it is active only on itself.
    return path == url or (url != home and path.startswith(url))


def shell(request: HttpRequest) -> dict[str, Any]:
    """The navigation the user may use and the jurisdiction shown in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entries": []}
    home = reverse("dashboard:home")
    entries = []
    for entry in NAVIGATION:
        if not user.has_capability(entry.capability):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        badge = entry.badge(user) if entry.badge is not None else 0
        entries.append({"key": entry.key, "label": entry.label, "url": url, "active": False,
                        "badge": badge})
    # Only the most specific entry is current: /surveillance/cases/new/ is the report form,
    # not also the line list at /surveillance/cases/.
    matching = [e for e in entries if _is_active(request.path, str(e["url"]), home)]
    if matching:
        max(matching, key=lambda e: len(str(e["url"])))["active"] = True
    division = user.division
    english = (get_language() or "").startswith("en")
    return {
        "nav_entries": entries,
        "user_division": division,
        # In English the romanised name helps, but the Chinese name stays: it is the official one.
        "user_division_alt": division.name_en if division is not None and english else "",
    }
