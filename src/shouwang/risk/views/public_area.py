"""One area's public page, without login: /public/risk/areas/<code>/ (decision 1130).

Its level in force, since when, the rule that produced it (in the reader's language), the rule
set and version, the level a traveller from there carries, and its published levels over the
last 90 days as a step chart drawn here as inline SVG (no script, no Plotly) with a table of
the changes. Only published levels and division names: nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from shouwang.risk.models import RiskLevel
from shouwang.risk.selectors import public as selectors
from shouwang.risk.selectors.levels import publication_in_force
from shouwang.risk.selectors.rollup import english_active
from shouwang.risk.views.public import _context, bad_request, cacheable, read_query

WIDTH, LEFT, TOP, BAND = 600, 92, 10, 40
_Y = {RiskLevel.HIGH.value: 0, RiskLevel.MEDIUM.value: 1, RiskLevel.LOW.value: 2}


@dataclass(frozen=True)
class Run:
    x: float
    width: float
    y: float
    level: str


@dataclass(frozen=True)
class StepChart:
    """The geometry of the step chart (viewBox units): one band per run of a level, the step
    line through them, a label per level and the first and last day."""

    width: int
    height: int
    runs: list[Run]
    line: str
    rows: list[tuple[str, float]]   # (level, y of its band's middle)
    start: date
    end: date
    left: int
    bottom: int


def step_chart(series: list[tuple[date, str]], start: date, end: date) -> StepChart | None:
    """Each published day holds until the next one (the last until `end`)."""
    if not series:
        return None
    span = max((end - start).days + 1, 1)
    unit = (WIDTH - LEFT - 4) / span

    def x(day: date) -> float:
        return round(LEFT + (day - start).days * unit, 1)

    def y(level: str) -> float:
        return TOP + _Y.get(level, 2) * BAND + BAND / 2

    runs: list[Run] = []
    points: list[str] = []
    for i, (day, level) in enumerate(series):
        stop = series[i + 1][0] if i + 1 < len(series) else end.fromordinal(end.toordinal() + 1)
        if runs and runs[-1].level == level:
            last = runs[-1]
            runs[-1] = Run(last.x, round(x(stop) - last.x, 1), last.y, level)
        else:
            runs.append(Run(x(day), round(x(stop) - x(day), 1), TOP + _Y.get(level, 2) * BAND,
                            level))
        points.append(f"{'M' if i == 0 else 'L'}{x(day)} {y(level)}")
        points.append(f"L{x(stop)} {y(level)}")
    rows = [(level, y(level)) for level in _Y]
    return StepChart(WIDTH, TOP + 3 * BAND + 22, runs, " ".join(points), rows, start, end,
                     LEFT, TOP + 3 * BAND + 16)


def area(request: HttpRequest, code: str) -> HttpResponse:
    """/public/risk/areas/<code>/ (?date= as on the other public pages)."""
    query = read_query(request)
    if query.errors:
        return bad_request(request, query.errors)
    at = selectors.public_moment(query.day)
    found = selectors.area_public(code, at, english=english_active())
    if found is None:
        raise Http404
    return cacheable(request, render(request, "risk/public/area.html", _context(
        query, at=at, area=found, snapshot={"publication": publication_in_force(at=at)},
        chart=step_chart(found.series, found.start, found.end),
        history_days=selectors.HISTORY_DAYS)))
