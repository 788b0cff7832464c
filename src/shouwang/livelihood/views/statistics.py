"""The statistics pages (decision 1250):

- /livelihood/statistics/ and /livelihood/statistics/<code>/ — a division's areas one level down
  (or `?level=`) over a period (`?year=` or `?from=&to=`): the table (click an area to drill
  down), a bar chart of monitored, assisted and eliminated per area, a monthly line of
  identified against eliminated, and a map of the counties coloured by the monitored share or
  the poverty incidence (townships and villages have no shapes: their county is shown, and the
  page says so);
- /livelihood/statistics/exit-report/ and /<code>/exit-report/ — counties and villages against
  the exit standard (`?year=`), with /<code>/exit-report.csv (UTF-8 with a byte-order mark,
  Chinese and English headers; the export audited).

The reader's own division by default; a division outside the jurisdiction answers 404.
"""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.core.validators import query_date
from shouwang.geo.models import Division, Level
from shouwang.geo.selectors import division_path
from shouwang.livelihood.selectors import exit_report as exits
from shouwang.livelihood.selectors import statistics as sel

READ = "livelihood.read"
FIRST_YEAR_SHOWN = 2020


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _name(name: str, name_en: str) -> str:
    return name_en if _english() and name_en else name


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _period(request: AuthedRequest, errors: dict[str, list[str]]) -> sel.Period:
    """The period asked for; on a bad one, the errors and this year so far."""
    year_raw = (request.GET.get("year") or "").strip()
    year = _int(year_raw)
    if year_raw and year is None:
        errors.setdefault("year", []).append(_("请输入有效的年度。"))
    date_from = query_date(request.GET.get("from"), "from", errors)
    date_to = query_date(request.GET.get("to"), "to", errors)
    if not errors:
        try:
            return sel.statistics_period(year=year, date_from=date_from, date_to=date_to)
        except InvalidInput as exc:
            for field, messages in exc.fields.items():
                errors.setdefault(field, []).extend(str(m) for m in messages)
    return sel.statistics_period()


def _crumbs(request: AuthedRequest, division: Division) -> list[tuple[Division, str, bool]]:
    """The division's ancestors, each with its name and whether the reader may open it."""
    prefix = jurisdiction_prefix(request.user) or ""
    return [(d, _name(d.name, d.name_en), d.prefix.startswith(prefix))
            for d in division_path(division)]


def _western_names() -> list[str]:
    """The western provinces by name (English from the division table when it has them)."""
    names = dict(exits.WESTERN_PROVINCES)
    if _english():
        for code, name_en in Division.objects.filter(
                code__in=[f"{p}0000" for p in names]).values_list("code", "name_en"):
            if name_en:
                names[code[:2]] = name_en
    return [names[p] for p in exits.WESTERN_PROVINCES]


def _row_view(s: sel.AreaStats) -> dict[str, Any]:
    return {**sel.as_dict(s), "label": _name(s.name, s.name_en),
            "monitored_share_pct": pct(s.monitored_share), "in_time_pct": pct(s.in_time_rate),
            "assisted_pct": pct(s.assisted_rate), "relapse_pct": pct(s.relapse_rate),
            "repeat_pct": pct(s.repeat_rate), "incidence_pct": pct(s.incidence),
            "coverage_pct": pct(s.coverage),
            "drill": bool(s.code) and not s.direct and s.level != Level.VILLAGE}


def _map(request: AuthedRequest, stats: sel.Statistics) -> dict[str, Any]:
    """The shapes and each one's numbers: provinces under the nation, else counties."""
    note = ""
    if stats.level == Level.PROVINCE:
        geojson, prefix = static("geo/provinces.geojson"), ""
        rows = [r for r in stats.rows if r.code and not r.direct]
    else:
        parent, rows = sel.county_map_statistics(user=request.user, stats=stats)
        geojson, prefix = static("geo/counties.geojson"), parent.prefix
        if stats.level in (Level.TOWNSHIP, Level.VILLAGE):
            note = _("乡镇、村没有边界数据：地图显示所在县（区）的统计。")
    areas = {r.code: {"name": _name(r.name, r.name_en), "households": r.households,
                      "monitored": r.monitored, "monitored_share": r.monitored_share,
                      "incidence": r.incidence, "monitored_share_pct": pct(r.monitored_share),
                      "incidence_pct": pct(r.incidence)} for r in rows if r.code}
    return {"config": {"geojson": geojson, "prefix": prefix,
                       "lines": static("geo/lines.geojson") if not prefix else "",
                       "note": note},
            "data": {"areas": areas}}


@require_capability(READ)
def statistics_page(request: AuthedRequest, code: str | None = None) -> HttpResponse:
    user = request.user
    parent = sel.parent_division(user=user, code=code)
    errors: dict[str, list[str]] = {}
    period = _period(request, errors)
    level = (request.GET.get("level") or "").strip() or None
    try:
        stats = sel.area_statistics(user=user, code=parent.code, period=period, level=level)
    except InvalidInput as exc:
        errors["level"] = [str(m) for m in exc.fields.get("level", [])]
        stats = sel.area_statistics(user=user, code=parent.code, period=period)
    rows = [_row_view(r) for r in stats.rows]
    keep = {k: v for k, v in request.GET.items() if k in ("year", "from", "to") and v}
    query = "" if errors else urlencode(keep)
    chart = {"areas": [r["label"] + (" *" if r["direct"] else "") for r in rows],
             "monitored": [r["monitored"] for r in rows],
             "assisted": [r["assisted"] for r in rows],
             "eliminated": [r["eliminated"] for r in rows],
             "months": [p.month.strftime("%Y-%m") for p in stats.monthly],
             "identified_m": [p.identified for p in stats.monthly],
             "eliminated_m": [p.eliminated for p in stats.monthly]}
    this_year = timezone.localdate().year
    child_levels = [(lv, Level(lv).label) for lv in sel.AREA_LEVELS
                    if sel.LEVELS.index(lv) > sel.LEVELS.index(parent.level)]
    return render(request, "livelihood/statistics.html", {
        "stats": stats, "parent_label": _name(parent.name, parent.name_en), "rows": rows,
        "total": _row_view(stats.total), "chart": chart, "map": _map(request, stats),
        "errors": errors, "path": _crumbs(request, parent), "query": query,
        "years": list(range(this_year, FIRST_YEAR_SHOWN - 1, -1)),
        "form": {"year": request.GET.get("year", ""), "from": request.GET.get("from", ""),
                 "to": request.GET.get("to", ""), "level": stats.level},
        "child_levels": child_levels, "level_label": Level(stats.level).label,
    })


# --- the exit-standards report ------------------------------------------------------------------

CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("level", "层级"), ("code", "区划代码"), ("name", "名称"), ("name_en", "英文名"),
    ("western", "西部地区"), ("standard", "退出标准（贫困发生率低于）"), ("population", "人口"),
    ("assessed_population", "有收入数据的人口"), ("poor_population", "贫困人口"),
    ("incidence", "贫困发生率"), ("status", "是否达标"),
)
STATUS_LABELS = {exits.MEETS: "达标", exits.FAILS: "未达标", exits.NO_DATA: "无数据"}


def _exit_year(request: AuthedRequest, errors: dict[str, list[str]]) -> int | None:
    raw = (request.GET.get("year") or "").strip()
    year = _int(raw)
    if raw and year is None:
        errors.setdefault("year", []).append(_("请输入有效的年度。"))
    return year


def _exit_report(request: AuthedRequest, code: str | None, errors: dict[str, list[str]]
                 ) -> exits.ExitReport:
    parent = sel.parent_division(user=request.user, code=code)
    year = _exit_year(request, errors)
    try:
        return exits.exit_report(user=request.user, code=parent.code, year=year)
    except InvalidInput as exc:
        errors.setdefault("year", []).extend(str(m) for m in exc.fields.get("year", []))
        return exits.exit_report(user=request.user, code=parent.code)


def _exit_row_view(r: exits.ExitRow) -> dict[str, Any]:
    return {**vars(r), "label": _name(r.name, r.name_en), "incidence_pct": pct(r.incidence),
            "standard_pct": pct(float(r.standard)),
            "status_label": {exits.MEETS: _("达标"), exits.FAILS: _("未达标"),
                             exits.NO_DATA: _("无数据")}[r.status]}


@require_capability(READ)
def exit_report_page(request: AuthedRequest, code: str | None = None) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    report = _exit_report(request, code, errors)
    summary = {}
    for name, rows in (("counties", report.counties), ("villages", report.villages)):
        summary[name] = {s: sum(1 for r in rows if r.status == s)
                         for s in (exits.MEETS, exits.FAILS, exits.NO_DATA)}
    this_year = timezone.localdate().year
    return render(request, "livelihood/exit_report.html", {
        "report": report, "parent_label": _name(report.parent.name, report.parent.name_en),
        "counties": [_exit_row_view(r) for r in report.counties],
        "villages": [_exit_row_view(r) for r in report.villages],
        "summary": summary, "errors": errors, "path": _crumbs(request, report.parent),
        "years": list(range(this_year, FIRST_YEAR_SHOWN - 1, -1)),
        "western": _western_names(),
    })


def _csv_value(row: exits.ExitRow, column: str) -> object:
    value = getattr(row, column)
    if column == "incidence":
        return "" if value is None else f"{value:.6f}"
    if column == "standard":
        return f"{value:.2f}"
    if column == "western":
        return "1" if value else "0"
    if column == "status":
        return f"{STATUS_LABELS[value]} {value}"
    return value


@require_capability(READ)
def exit_report_csv(request: AuthedRequest, code: str) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    report = _exit_report(request, code, errors)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([f"{zh} {en}" for en, zh in CSV_COLUMNS])
    rows = [*report.counties, *report.villages]
    for row in rows:
        writer.writerow([_csv_value(row, en) for en, _zh in CSV_COLUMNS])
    audit_log(actor=request.user, action=AuditAction.EXPORT, object_type="livelihood.exitreport",
              object_id=report.parent.code, division_code=report.parent.code,
              summary=f"exit-standards report CSV {report.year}: {len(rows)} rows",
              changes={"year": report.year})
    response = HttpResponse(out.getvalue().encode("utf-8"),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="exit-report-{report.parent.code}-{report.year}.csv"')
    return response
