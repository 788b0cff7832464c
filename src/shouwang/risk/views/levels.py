"""The officers' risk pages (decision 1110):

- /risk/ — the jurisdiction's map coloured by the level in force, counts, the medium and high
  areas with since-when and reason, a date picker; for national and provincial officers the
  province rollup;
- /risk/areas/<code>/ — one area's level over time (a step chart), its days (rule set and
  version, inputs, reason), its overrides, and for risk.override the override form and the
  revoke buttons (posted to the same page: views/overrides.py);
- /risk/changes/?date= — the areas that went up or down that day.

An area outside the reader's jurisdiction answers 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.accounts.roles import Role
from shouwang.core.validators import query_date
from shouwang.geo.models import Division, Level
from shouwang.geo.selectors import division_path
from shouwang.risk.models import RiskLevel
from shouwang.risk.selectors import history
from shouwang.risk.selectors.levels import DEFAULT_DISEASE, LevelInForce, levels_in_force
from shouwang.risk.selectors.rollup import risk_areas
from shouwang.risk.services.overrides import AREA_LEVELS, OVERRIDE
from shouwang.risk.views import overrides as override_views

READ = "risk.read"
ROLLUP_ROLES = frozenset({Role.NATIONAL_OFFICER, Role.PROVINCIAL_OFFICER})
LEVEL_ORDER = (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW)


def _day_param(request: AuthedRequest, errors: dict[str, list[str]]) -> date:
    today = timezone.localdate()
    day = query_date(request.GET.get("date"), "date", errors)
    if day is not None and day > today:
        errors.setdefault("date", []).append(_("日期不能晚于今天。"))
        day = None
    return day or today


def _map_config(prefix: str) -> dict[str, Any]:
    """The county boundaries under the reader's prefix (the whole country for the nation)."""
    return {"geojson": static("geo/counties.geojson"), "prefix": prefix,
            "lines": static("geo/lines.geojson") if not prefix else ""}


def _map_levels(levels: dict[str, LevelInForce]) -> dict[str, Any]:
    """For the map: each county's level, and per county how many of its townships and villages
    are medium or high (a sub-county area has no boundary of its own here)."""
    counties: dict[str, str] = {}
    inner: dict[str, dict[str, int]] = {}
    for code, lv in levels.items():
        if len(code) == 6:
            counties[code] = lv.level
        elif lv.level != RiskLevel.LOW:
            counts = inner.setdefault(code[:6], {"medium": 0, "high": 0})
            counts[lv.level] += 1
    return {"levels": counties, "inner": inner}


@require_capability(READ)
def overview(request: AuthedRequest) -> HttpResponse:
    user = request.user
    errors: dict[str, list[str]] = {}
    day = _day_param(request, errors)
    at = history.moment_of(day)
    prefix = history.reader_prefix(user)
    levels = history.levels_in_jurisdiction(user=user, at=at)
    areas = risk_areas(levels)
    reasons = history.localised_reasons([levels[a.code] for a in areas])
    rows: list[dict[str, Any]] = [{"a": a, "reason": reasons.get(a.code, a.reason),
                                   "label": RiskLevel(a.level).label} for a in areas]
    county_total = (Division.objects.filter(level=Level.COUNTY, code__startswith=prefix).count()
                    if prefix else Division.objects.filter(level=Level.COUNTY).count())
    counties = {v: 0 for v in RiskLevel.values}
    for code, lv in levels.items():
        if len(code) == 6 and lv.level != RiskLevel.LOW:
            counties[lv.level] += 1
    counties[RiskLevel.LOW] = max(county_total - counties["medium"] - counties["high"], 0)
    show_rollup = user.role in ROLLUP_ROLES
    return render(request, "risk/levels_overview.html", {
        "day": day, "today": timezone.localdate(), "errors": errors,
        "is_today": day == timezone.localdate(),
        "high": [r for r in rows if r["a"].level == RiskLevel.HIGH],
        "medium": [r for r in rows if r["a"].level == RiskLevel.MEDIUM],
        "counties": counties, "county_total": county_total, "n_areas": len(rows),
        "map": _map_config(prefix), "map_data": _map_levels(levels),
        "rollup": history.rollup_for(user=user, at=at) if show_rollup else None,
        "changes_url_day": day.isoformat(),
    })


def _chart(days: list[history.HistoryDay], start: date, end: date, code: str,
           in_force: LevelInForce | None) -> dict[str, Any]:
    """The step chart's points, one per day. A day without a row is low for a township or
    village (stored only while not trivially low) and unknown (a gap) for a county, which has a
    row every computed day. `now` is the level in force at this moment (an override made since
    the last computed day shows there)."""
    stored = {d.day: d for d in days}
    missing = "low" if len(code) > 6 else None
    points = []
    cursor = start
    while cursor <= end:
        row = stored.get(cursor)
        points.append({"day": cursor.isoformat(), "level": row.level if row else missing,
                       "computed": row.computed_level if row else missing,
                       "override": bool(row and row.override_id),
                       "stored": row is not None})
        cursor += timedelta(days=1)
    now = None
    if end >= timezone.localdate():
        now = {"day": timezone.localdate().isoformat(),
               "level": in_force.level if in_force else "low",
               "override": bool(in_force and in_force.override_id)}
    return {"points": points, "now": now}


@require_capability(READ)
def area_page(request: AuthedRequest, code: str) -> HttpResponse:
    division = history.area_get(user=request.user, code=code)
    if request.method == "POST":
        return override_views.area_post(request, division, lambda **kw: _render_area(
            request, division, **kw))
    return _render_area(request, division)


def _render_area(request: AuthedRequest, division: Division, *, action: str = "",
                 errors: dict[str, list[str]] | None = None, status: int = 200,
                 form: dict[str, str] | None = None) -> HttpResponse:
    user = request.user
    code = division.code
    query_errors: dict[str, list[str]] = {}
    end = query_date(request.GET.get("to"), "to", query_errors) or timezone.localdate()
    start = (query_date(request.GET.get("from"), "from", query_errors)
             or end - timedelta(days=history.HISTORY_DEFAULT_DAYS - 1))
    if start > end or (end - start).days >= history.HISTORY_MAX_DAYS:
        query_errors.setdefault("from", []).append(
            _("开始日期须早于结束日期，且一次最多查询 %(n)s 天。") % {
                "n": history.HISTORY_MAX_DAYS})
        start = end - timedelta(days=history.HISTORY_DEFAULT_DAYS - 1)
    days = history.area_history(user=user, code=code, start=start, end=end)
    in_force = levels_in_force(DEFAULT_DISEASE, codes=[code]).get(code)
    overrides = list(history.override_list(user=user, code=code))
    now = timezone.now()
    can_override = (user.has_capability(OVERRIDE) and division.level in AREA_LEVELS)
    reasons = history.localised_reasons([in_force]) if in_force else {}
    return render(request, "risk/area_detail.html", {
        "division": division, "path": division_path(division), "days": list(reversed(days)),
        "chart": _chart(days, start, end, code, in_force), "start": start, "end": end,
        "query_errors": query_errors,
        "in_force": in_force, "in_force_level": in_force.level if in_force else "low",
        "in_force_reason": reasons.get(code, ""),
        "overrides": [{"o": o, "state": history.override_state(o, now)} for o in overrides],
        "can_override": can_override, "levels": RiskLevel.choices,
        "action": action, "action_errors": errors or {}, "form": form or {},
    }, status=status)


@require_capability(READ)
def changes(request: AuthedRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    day = _day_param(request, errors)
    labels = dict(RiskLevel.choices)
    found: list[dict[str, Any]] = [{"c": c, "before": labels[c.before],
                                    "after": labels[c.after]}
             for c in history.level_changes(user=request.user, day=day)]
    return render(request, "risk/levels_changes.html", {
        "day": day, "today": timezone.localdate(), "errors": errors,
        "up": [c for c in found if c["c"].direction == "up"],
        "down": [c for c in found if c["c"].direction == "down"],
        "previous": (day - timedelta(days=1)).isoformat(),
        "next": (day + timedelta(days=1)).isoformat() if day < timezone.localdate() else "",
    })
