"""The early-warning result pages: R_t of a division with its children on a map, the nowcast and
forecast of a division, and the space-time clusters on a map.

Each page reads one finished run of the nightly job (the latest, or the one of `?day=`) for one
disease (`?disease=`, by default the disease of the latest run). Charts and maps are drawn by
static scripts from JSON data islands (the CSP forbids inline scripts). Decision:
docs/decisions/0980-early-warning-pages.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.models import Division, Level
from shouwang.geo.selectors import division_path
from shouwang.surveillance.models import DateBasis, Disease
from shouwang.surveillance.selectors.counts import MAX_DAYS, epidemic_curve
from shouwang.surveillance.views.case_common import disease_label
from shouwang.warning.models import Method, RunStatus, WarningRun
from shouwang.warning.selectors import results as selectors
from shouwang.warning.selectors.results import Place, RtRow
from shouwang.warning.services.nightly_config import nightly_settings

READ = "warning.read"
CURVE_DAYS = 60  # observed days before the forecast

# R_t classes, diverging around 1: (upper bound, CSS class, colour). The last has no bound.
RT_BINS: list[tuple[float | None, str, str]] = [
    (0.5, "rt-bin-0", "#2166ac"),
    (0.8, "rt-bin-1", "#67a9cf"),
    (0.95, "rt-bin-2", "#d1e5f0"),
    (1.05, "rt-bin-3", "#f7f7f7"),
    (1.25, "rt-bin-4", "#fddbc7"),
    (2.0, "rt-bin-5", "#ef8a62"),
    (None, "rt-bin-6", "#b2182b"),
]
NO_ESTIMATE_COLOUR = "#d9d9d9"


def rt_bin(value: float | None) -> int | None:
    if value is None:
        return None
    for i, (upper, _cls, _colour) in enumerate(RT_BINS):
        if upper is None or value < upper:
            return i
    return len(RT_BINS) - 1


def _english() -> bool:
    return (get_language() or "").startswith("en")


def place_name(place: Place | Division) -> str:
    return place.name_en if _english() and place.name_en else place.name


def _legend() -> list[dict[str, str]]:
    labels = []
    lower: float | None = None
    for upper, cls, colour in RT_BINS:
        if lower is None:
            text = f"< {upper:g}"
        elif upper is None:
            text = f"≥ {lower:g}"
        else:
            text = f"{lower:g} – {upper:g}"
        labels.append({"cls": cls, "colour": colour, "text": text})
        lower = upper
    return labels


@dataclass(frozen=True)
class Picked:
    """What a result page shows: the division, the disease, the run (None: none yet)."""

    division: Place
    disease: Disease | None
    day: date | None
    run: WarningRun | None
    days: list[date]
    errors: dict[str, list[str]]


def _default_disease() -> str:
    latest = (WarningRun.objects.filter(status=RunStatus.DONE).order_by("-day", "disease_id")
              .values_list("disease_id", flat=True).first())
    if latest:
        return latest
    first = Disease.objects.filter(active=True).values_list("code", flat=True).first()
    return first or ""


def _pick(request: AuthedRequest, division: str | None) -> Picked:
    place = selectors.division_visible(user=request.user, division_code=division)
    errors: dict[str, list[str]] = {}
    code = request.GET.get("disease") or _default_disease()
    disease = Disease.objects.filter(code=code).first() if code else None
    if code and disease is None:
        errors["disease"] = [_("未知病种。")]
    raw_day = request.GET.get("day") or ""
    day = None
    if raw_day:
        try:
            day = parse_date(raw_day)
        except ValueError:
            day = None
        if day is None:
            errors["day"] = [_("日期格式应为 YYYY-MM-DD。")]
    run = None
    days: list[date] = []
    if disease is not None and "day" not in errors:
        run = selectors.run_latest(disease=disease.code, day=day)
        days = selectors.run_days(disease=disease.code)
    return Picked(division=place, disease=disease, day=day, run=run, days=days, errors=errors)


def _query(picked: Picked) -> str:
    params = {}
    if picked.disease is not None:
        params["disease"] = picked.disease.code
    if picked.day is not None:
        params["day"] = picked.day.isoformat()
    return "?" + urlencode(params) if params else ""


def _page_url(name: str, code: str, picked: Picked) -> str:
    return reverse(f"warning:{name}-division", args=[code]) + _query(picked)


def _breadcrumb(request: AuthedRequest, name: str, picked: Picked) -> list[dict[str, Any]]:
    """The division's ancestors the user may open, down to the division itself."""
    division = Division.objects.filter(code=picked.division.code).first()
    if division is None:
        return []
    return [{"name": place_name(d), "code": d.code,
             "url": _page_url(name, d.code, picked) if d.code != division.code else None}
            for d in division_path(division) if in_jurisdiction(request.user, d.prefix)]


def _common(request: AuthedRequest, name: str, picked: Picked) -> dict[str, Any]:
    return {
        "page": name,
        "division": picked.division,
        "division_name": place_name(picked.division),
        "disease": picked.disease,
        "disease_name": disease_label(picked.disease) if picked.disease else "",
        "run": picked.run,
        "basis_label": (dict(DateBasis.choices).get(picked.run.basis, picked.run.basis)
                        if picked.run else ""),
        "chosen_day": picked.day,
        "run_days": picked.days,
        "errors": picked.errors,
        "diseases": [(d.code, disease_label(d)) for d in Disease.objects.filter(active=True)],
        "breadcrumb": _breadcrumb(request, name, picked),
        "tabs": [(key, label, _page_url(key, picked.division.code, picked))
                 for key, label in (("rt", _("实时再生数 Rt")),
                                    ("forecast", _("即时预测与趋势预测")),
                                    ("clusters", _("时空聚集")))],
    }


def _daily_totals(request: AuthedRequest, picked: Picked, since: date, until: date
                  ) -> tuple[list[str], list[int]]:
    """Cases per day of the division from the surveillance counts, on the run's date basis."""
    assert picked.run is not None
    since = max(since, until - timedelta(days=MAX_DAYS - 1))
    try:
        curve = epidemic_curve(user=request.user, since=since, until=until,
                               division_code=picked.division.code,
                               disease=picked.run.disease_id, basis=picked.run.basis)
    except InvalidInput:
        return [], []
    return ([d.isoformat() for d in curve.days],
            [int(v) for v in curve.counts.sum(axis=1).tolist()])


def _rt_row(row: RtRow, picked: Picked) -> dict[str, Any]:
    b = rt_bin(row.mean)
    return {"code": row.place.code, "prefix": row.place.prefix, "name": place_name(row.place),
            "mean": row.mean, "lower": row.lower, "upper": row.upper, "trend": row.trend,
            "bin": b, "cls": RT_BINS[b][1] if b is not None else "rt-none",
            "url": _page_url("rt", row.place.code, picked)}


def _map_source(division: Place) -> dict[str, str]:
    """Which boundaries the map draws: the provinces for the nation, else the counties under the
    division (each coloured by the child division it lies in)."""
    if division.level == Level.NATION:
        return {"geojson": static("geo/provinces.geojson"), "prefix": ""}
    return {"geojson": static("geo/counties.geojson"), "prefix": division.prefix}


@require_capability(READ)
def rt_page(request: AuthedRequest, division: str | None = None) -> HttpResponse:
    picked = _pick(request, division)
    context = _common(request, "rt", picked)
    series = None
    if picked.run is not None:
        series = selectors.series_get(user=request.user, run=picked.run,
                                      division=picked.division, method=Method.RT)
        children = selectors.rt_children(user=request.user, run=picked.run,
                                         division=picked.division)
        rows = [_rt_row(r, picked) for r in children.rows]
        context["children"] = rows
        context["children_with_estimate"] = sum(1 for r in rows if r["mean"] is not None)
        context["map"] = {
            **_map_source(picked.division),
            "rows": [{k: r[k] for k in ("code", "prefix", "name", "mean", "lower", "upper",
                                        "bin", "url")} for r in rows],
            "colours": [colour for _upper, _cls, colour in RT_BINS],
            "none": NO_ESTIMATE_COLOUR,
            "labels": {"rt": "Rt", "ci": _("95% 可信区间"), "noEstimate": _("无估计")},
        }
        context["legend"] = _legend()
    if series is not None and series.days:
        t = series.days
        # The counts under the chart start with the first window (the job's R_t window).
        first = date.fromisoformat(t[0]) - timedelta(days=nightly_settings().rt_window - 1)
        count_days, counts = _daily_totals(request, picked, first, series.run.day)
        context["series"] = series
        context["latest_cls"] = (RT_BINS[b][1] if (b := rt_bin(series.latest)) is not None
                                 else "rt-none")
        context["trend"] = RtRow(picked.division, series.latest, series.latest_lower,
                                 series.latest_upper).trend
        context["chart"] = {
            "t": t, "mean": series.column("mean"), "lower": series.column("lower"),
            "upper": series.column("upper"),
            "counts": {"days": count_days, "values": counts},
            "labels": {"mean": _("Rt 后验均值"), "band": _("95% 可信区间"),
                       "one": _("Rt = 1"), "cases": _("每日病例数"), "rt": "Rt",
                       "casesAxis": _("病例数")},
        }
        context["rt_rows"] = list(zip(t, series.column("mean"), series.column("lower"),
                                      series.column("upper"), strict=False))[::-1]
    return render(request, "warning/rt.html", context)


def _recent_nowcast(nowcast: selectors.SeriesView) -> dict[str, list[Any]]:
    """The nowcast's days that the correction touches (the interval above the reported count),
    with the day before for a continuous line; earlier days are complete and add nothing."""
    t = nowcast.days
    observed, upper = nowcast.column("observed"), nowcast.column("upper")
    start = next((i for i, (o, u) in enumerate(zip(observed, upper, strict=False))
                  if u is not None and o is not None and u > o), len(t))
    start = max(0, start - 1)
    return {"t": t[start:], **{c: nowcast.column(c)[start:]
                               for c in ("observed", "median", "lower", "upper")}}


@require_capability(READ)
def forecast_page(request: AuthedRequest, division: str | None = None) -> HttpResponse:
    picked = _pick(request, division)
    context = _common(request, "forecast", picked)
    if picked.run is not None:
        run = picked.run
        nowcast = selectors.series_get(user=request.user, run=run, division=picked.division,
                                       method=Method.NOWCAST)
        forecast = selectors.series_get(user=request.user, run=run, division=picked.division,
                                        method=Method.FORECAST)
        context["nowcast"], context["forecast"] = nowcast, forecast
        if nowcast is not None or forecast is not None:
            days, counts = _daily_totals(request, picked,
                                         run.day - timedelta(days=CURVE_DAYS - 1), run.day)
            recent = _recent_nowcast(nowcast) if nowcast is not None else None
            fc: dict[str, list[Any]] | None = None
            if forecast is not None:
                fc = {"t": forecast.days, **{c: forecast.column(c) for c in (
                    "median", "lower", "upper", "lower_50", "upper_50")}}
            context["chart"] = {
                "counts": {"days": days, "values": counts}, "nowcast": recent, "forecast": fc,
                "today": run.day.isoformat(),
                "labels": {
                    "cases": _("已报告病例数"), "nowcast": _("即时预测（中位数）"),
                    "nowcastBand": _("即时预测 95% 区间"), "forecast": _("预测（中位数）"),
                    "band95": _("预测 95% 区间"), "band50": _("预测 50% 区间"),
                    "today": _("数据截止 %(day)s") % {"day": run.day.isoformat()},
                    "ahead": _("预测"), "yAxis": _("病例数")},
            }
            if recent is not None:
                context["nowcast_rows"] = list(zip(
                    recent["t"], recent["observed"], recent["median"], recent["lower"],
                    recent["upper"], strict=False))
            if fc is not None:
                context["forecast_rows"] = list(zip(
                    fc["t"], fc["median"], fc["lower_50"], fc["upper_50"], fc["lower"],
                    fc["upper"], strict=False))
    return render(request, "warning/forecast.html", context)


def _members(c: selectors.ClusterView) -> list[str]:
    """Member names, each with its cases over the cluster's days when the run counted them."""
    names = [place_name(m) for m in c.members]
    if len(c.member_counts) != len(names):
        return names
    return [_("%(name)s（%(n)s 例）") % {"name": name, "n": n}
            for name, n in zip(names, c.member_counts, strict=True)]


@require_capability(READ)
def clusters_page(request: AuthedRequest, division: str | None = None) -> HttpResponse:
    picked = _pick(request, division)
    context = _common(request, "clusters", picked)
    if picked.run is not None:
        # The user's own division shows every cluster they may see; a chosen one, its own.
        clusters = selectors.cluster_list(user=request.user, run=picked.run,
                                          division=picked.division)
        context["clusters"] = [{
            "rank": c.rank, "centre": place_name(c.centre), "centre_code": c.centre.code,
            "members": _members(c), "start": c.start, "end": c.end,
            "days": c.days, "observed": c.observed, "expected": c.expected, "ratio": c.ratio,
            "p_value": c.p_value, "radius_km": c.radius_km, "llr": c.llr,
            "significant": c.p_value < 0.05,
            "rt_url": (_page_url("rt", c.focus_code or c.centre.code, picked)
                       if in_jurisdiction(request.user, c.focus_code or c.centre.prefix)
                       else None),
        } for c in clusters]
        prefix = picked.division.prefix
        if picked.division.level == Level.COUNTY:
            prefix = prefix[:4]  # a county is drawn among the other counties of its city
        context["map"] = {
            "prefix": prefix,
            "counties": static("geo/counties.geojson"),
            "provinces": static("geo/provinces.geojson"),
            "clusters": [{
                "rank": c.rank, "centre": {"code": c.centre.code, "name": place_name(c.centre),
                                           "lon": c.centre.longitude, "lat": c.centre.latitude},
                "members": c.member_codes, "radiusKm": c.radius_km, "pValue": c.p_value,
                "observed": c.observed, "expected": c.expected,
            } for c in clusters],
            "labels": {"cluster": _("聚集"), "centre": _("中心"), "radius": _("半径"),
                       "observed": _("观察数"), "expected": _("期望数"), "km": _("公里")},
        }
    return render(request, "warning/clusters.html", context)
