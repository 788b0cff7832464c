"""The public downloads: /public/risk/levels.json and /public/risk/levels.csv (decision 1130).

    ?date=YYYY-MM-DD   the levels in force at the end of that day (default: now)
    ?province=42       one province (the first two digits of its code)

One row per area with a level in force: every county, and the townships and villages with a
stored row or an override. Columns: code, name, name_en (pinyin), level, since, rule_set,
rule_set_version, reason (in Chinese, as published), reason_en (the same rule in English;
"Overridden: <the officer's reason>" for an override), effective_at. The CSV starts with a
byte-order mark so that Excel opens the Chinese as UTF-8. Nothing personal: levels and
division names only.
"""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from shouwang.risk.selectors import public as selectors
from shouwang.risk.selectors.levels import DEFAULT_DISEASE
from shouwang.risk.views.public import bad_request, cacheable, read_query

COLUMNS = ("code", "name", "name_en", "level", "since", "rule_set", "rule_set_version",
           "reason", "reason_en", "effective_at")


def _iso(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).isoformat()  # type: ignore[arg-type]
    return value.isoformat()  # type: ignore[attr-defined, no-any-return]


def _rows(request: HttpRequest) -> tuple[dict[str, object], list[list[object]]] | HttpResponse:
    query = read_query(request)
    if query.errors:
        return bad_request(request, query.errors, as_json=True)
    at = selectors.public_moment(query.day)
    snapshot = selectors.public_snapshot(at, query.prefix)
    publication = snapshot.publication
    meta: dict[str, object] = {
        "disease": DEFAULT_DISEASE, "as_of": _iso(at), "date": _iso(query.day),
        "province": query.prefix,
        "publication_day": _iso(publication.day) if publication else "",
        "publication_effective_at": _iso(publication.effective_at) if publication else "",
        "counties": snapshot.counties, "counties_high": snapshot.counties_high,
        "counties_medium": snapshot.counties_medium,
    }
    rows: list[list[object]] = [
        [r.code, r.name, r.name_en, r.level, _iso(r.since), r.rule_set,
         "" if r.rule_set_version is None else r.rule_set_version, r.reason, r.reason_en,
         _iso(r.effective_at)]
        for r in selectors.public_rows(at, query.prefix)]
    return meta, rows


def levels_json(request: HttpRequest) -> HttpResponse:
    made = _rows(request)
    if isinstance(made, HttpResponse):
        return made
    meta, rows = made
    body = {**meta, "columns": list(COLUMNS),
            "levels": [dict(zip(COLUMNS, r, strict=True)) for r in rows]}
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False,
                                                     "separators": (",", ":")})
    return cacheable(request, response)


def levels_csv(request: HttpRequest) -> HttpResponse:
    made = _rows(request)
    if isinstance(made, HttpResponse):
        return made
    meta, rows = made
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    day = str(meta["publication_day"] or "none")
    suffix = f"-{meta['province']}" if meta["province"] else ""
    response["Content-Disposition"] = f'attachment; filename="risk-levels-{day}{suffix}.csv"'
    return cacheable(request, response)
