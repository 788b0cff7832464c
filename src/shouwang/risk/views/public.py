"""The public risk pages, without login (issue 6 item 5; decision 1130): the national map, a
province zoomed, the list of medium- and high-risk areas, search by place name. Downloads are
in views/public_downloads.py.

Only published levels and division names are shown: nothing personal, ever. The map is drawn
by static/risk/public_map.js on the compact boundary files of build_map_assets.py (no Plotly:
the whole first render must stay under 1.5 MB) from a JSON data island (the CSP forbids inline
scripts). Bad query parameters answer 400 with the field named, never 500.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shouwang.core.validators import query_date
from shouwang.geo.models import Division, Level
from shouwang.risk.models import RiskLevel
from shouwang.risk.selectors import public as selectors
from shouwang.risk.selectors.rollup import english_active, province_rollup

MAX_AGE = 120  # seconds: levels change once a day, overrides at any moment
MAX_QUERY = 40
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


@dataclass(frozen=True)
class PublicQuery:
    day: date | None
    province: Division | None
    level: str
    q: str
    errors: dict[str, list[str]]

    @property
    def prefix(self) -> str:
        return self.province.code[:2] if self.province else ""

    def params(self, **over: str) -> str:
        """The query string of the same choice (for links), with `over` replacing keys."""
        values = {"date": self.day.isoformat() if self.day else "",
                  "province": self.prefix, "level": self.level, "q": self.q}
        values.update(over)
        kept = {k: v for k, v in values.items() if v}
        return "?" + urlencode(kept) if kept else ""


def read_query(request: HttpRequest, province: str | None = None) -> PublicQuery:
    """The query parameters every public page shares, each checked; errors by field."""
    get = request.GET
    errors: dict[str, list[str]] = {}
    day = query_date(get.get("date", "").strip(), "date", errors)
    if day is not None and day > timezone.localdate():
        errors.setdefault("date", []).append(_("日期不能晚于今天。"))
        day = None
    raw = province if province is not None else get.get("province", "").strip()
    found: Division | None = None
    if raw:
        code = raw + "0000" if len(raw) == 2 else raw
        if code.isdigit() and len(code) == 6 and code.endswith("0000"):
            found = Division.objects.filter(code=code, level=Level.PROVINCE).first()
        if found is None:
            if province is not None:
                raise Http404
            errors.setdefault("province", []).append(
                _("未知省份：请填写省级区划代码的前两位，如 42。"))
    level = get.get("level", "").strip()
    if level and level not in (RiskLevel.MEDIUM, RiskLevel.HIGH):
        errors.setdefault("level", []).append(_("取值无效，可选：medium、high。"))
        level = ""
    q = get.get("q", "").strip()
    if len(q) > MAX_QUERY:
        errors.setdefault("q", []).append(
            _("地名过长（最多 %(n)s 个字）。") % {"n": MAX_QUERY})
        q = ""
    return PublicQuery(day, found, level, q, errors)


def _field_labels() -> dict[str, str]:
    return {"date": _("日期"), "province": _("省份"), "level": _("风险等级"), "q": _("地名")}


def bad_request(request: HttpRequest, errors: dict[str, list[str]], *,
                as_json: bool = False) -> HttpResponse:
    """400 with every bad field named, as JSON (the error shape of the API) or a page."""
    message = _("查询参数有误。")
    if as_json:
        return JsonResponse({"code": "invalid_input", "message": message, "fields": errors},
                            status=400, json_dumps_params={"ensure_ascii": False})
    labels = _field_labels()
    fields = [(name, labels.get(name, name), msgs) for name, msgs in errors.items()]
    return render(request, "risk/public/error.html",
                  {"message": message, "fields": fields, "query": None}, status=400)


def cacheable(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Public, short-lived caching with a content ETag (a revalidation by the browser or a
    proxy skips the body: 304)."""
    if response.status_code != 200 or response.streaming:
        return response
    # The language form's CSRF token is masked afresh in every response: left out of the tag.
    body = _CSRF_FIELD.sub(b"", response.content)
    tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    response["ETag"] = tag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    conditional = get_conditional_response(request, etag=tag, response=response)
    return conditional or response


def _context(query: PublicQuery, **extra: Any) -> dict[str, Any]:
    first, last = selectors.published_range()
    return {"query": query, "first_day": first, "last_day": last,
            "english": english_active(), "today": timezone.localdate(),
            "risky_day": selectors.latest_risky_day(),
            "day_query": "?" + urlencode({"date": query.day.isoformat()}) if query.day else "",
            **extra}


def risk_map(request: HttpRequest, province: str | None = None) -> HttpResponse:
    """/public/risk/ (the nation) and /public/risk/<2-digit province>/ (zoomed)."""
    query = read_query(request, province)
    if query.errors:
        return bad_request(request, query.errors)
    at = selectors.public_moment(query.day)
    english = english_active()
    snapshot = selectors.public_snapshot(at, english=english)
    scoped = (selectors.public_snapshot(at, query.prefix, english=english) if query.prefix
              else snapshot)
    rollup = province_rollup(at=at, english=english)
    panel = request.GET.get("part") == "panel"
    context = _context(
        query, snapshot=scoped, national=snapshot, at=at,
        rollup=[r for r in rollup if not r.all_low],
        provinces_all_low=sum(r.all_low for r in rollup if r.counties),
        provinces_with_counties=sum(1 for r in rollup if r.counties),
        map_data=None if panel else snapshot.map_data(
            selectors.map_names() if english else None),
        map_url=static("risk/map/china.json"),
        province_base=static("risk/map/p/"),
        page_base=reverse("risk-public:map"),
        panel_query=query.params(part="panel"),
        date_query=query.params(province=""),
        list_limit=LIST_LIMIT)
    template = "risk/public/map_panel.html" if panel else "risk/public/map.html"
    return cacheable(request, render(request, template, context))


LIST_LIMIT = 60


def areas(request: HttpRequest) -> HttpResponse:
    """/public/risk/areas/: every medium- and high-risk area, by province and level."""
    query = read_query(request)
    if query.errors:
        return bad_request(request, query.errors)
    at = selectors.public_moment(query.day)
    english = english_active()
    snapshot = selectors.public_snapshot(at, query.prefix, english=english)
    shown = [a for a in snapshot.areas if not query.level or a.level == query.level]
    provinces = [(code, (name_en or name) if english else name) for code, name, name_en in
                 Division.objects.filter(level=Level.PROVINCE).order_by("code")
                 .values_list("code", "name", "name_en")]
    return cacheable(request, render(request, "risk/public/areas.html", _context(
        query, snapshot=snapshot, at=at, areas=shown, provinces=provinces,
        levels=[(RiskLevel.HIGH.value, RiskLevel.HIGH.label),
                (RiskLevel.MEDIUM.value, RiskLevel.MEDIUM.label)])))


def search(request: HttpRequest) -> HttpResponse:
    """/public/risk/search/?q=武昌: divisions by name with their level in force and the level
    a traveller from there carries."""
    query = read_query(request)
    if query.errors:
        return bad_request(request, query.errors)
    at = selectors.public_moment(query.day)
    hits = selectors.place_search(query.q, at, english=english_active()) if query.q else []
    return cacheable(request, render(request, "risk/public/search.html", _context(
        query, at=at, hits=hits, limit=selectors.SEARCH_LIMIT)))
