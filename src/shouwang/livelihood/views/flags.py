"""The monitoring pages (decision 1230):

- /livelihood/flags/?status=&target_group=&trigger=&division=&page= — the jurisdiction's flags
  (监测对象), the latest identified first, with the counts by status and by target group; each
  row links to the flag's page (livelihood:flag, the assistance part's dossier);
- /livelihood/runs/ — the monitoring passes that concern the reader, with their counts (a pass
  over a larger area shows only the flags it opened in the reader's area).

Read through selectors/flags.py, scoped: another area's flags are never listed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from shouwang.accounts.permissions import AuthedRequest, require_capability
from shouwang.epi.livelihood_rules import GROUP_NAMES, TRIGGER_NAMES
from shouwang.livelihood.models import FlagStatus, TargetGroup
from shouwang.livelihood.selectors import flags as selectors
from shouwang.livelihood.selectors.monitoring import (
    SKIP_NO_MEMBERS,
    SKIP_NO_RULE_SET,
    SKIP_NO_THRESHOLD,
    SKIP_UNKNOWN,
    TRIGGER_LABELS,
)
from shouwang.livelihood.selectors.monitoring_reasons import flag_reason

READ = "livelihood.read"


def trigger_choices() -> list[tuple[str, str]]:
    groups = {g.value: str(g.label) for g in TargetGroup}
    return ([(name, str(TRIGGER_LABELS.get(name, name))) for name in TRIGGER_NAMES.values()]
            + [(name, _("类别：%(g)s") % {"g": groups.get(name, name)})
               for name in GROUP_NAMES.values()])


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@require_capability(READ)
def flag_list(request: AuthedRequest) -> HttpResponse:
    filters = selectors.FlagFilters(
        status=request.GET.get("status", ""), target_group=request.GET.get("target_group", ""),
        trigger=request.GET.get("trigger", ""),
        division=request.GET.get("division", "").strip(),
        run=int(run) if (run := request.GET.get("run", "")).isdigit() else None).cleaned()
    qs = selectors.flags_list(request.user, filters)
    total = qs.count()
    per_page = selectors.PER_PAGE
    pages = max(1, -(-total // per_page))
    page = min(_page_number(request.GET.get("page")), pages)
    flags = list(qs[(page - 1) * per_page: page * per_page])
    labels = dict(trigger_choices())
    rows = [(f, [labels.get(t, t) for t in f.triggers], flag_reason(f)) for f in flags]
    counts = selectors.flag_counts(request.user, filters.division)
    query = urlencode({k: v for k, v in (("status", filters.status),
                                         ("target_group", filters.target_group),
                                         ("trigger", filters.trigger),
                                         ("division", filters.division),
                                         ("run", filters.run or "")) if v})
    return render(request, "livelihood/flag_list.html", {
        "rows": rows, "total": total, "page": page, "pages": pages, "query": query,
        "filters": filters, "counts": counts,
        "status_counts": [(v, str(lbl), counts.by_status.get(v, 0))
                          for v, lbl in FlagStatus.choices],
        "group_counts": [(v, str(lbl), counts.by_group.get(v, 0))
                         for v, lbl in TargetGroup.choices],
        "statuses": FlagStatus.choices, "groups": TargetGroup.choices,
        "triggers": trigger_choices()})


def skip_labels() -> dict[str, str]:
    return {SKIP_NO_THRESHOLD: _("无监测标准"), SKIP_NO_MEMBERS: _("无在户成员"),
            SKIP_NO_RULE_SET: _("无适用规则"), SKIP_UNKNOWN: _("未找到")}


def skipped_text(skipped: dict[str, Any]) -> list[str]:
    """The run's `skipped` as short phrases: "无监测标准 2026 420000: 12", "无在户成员: 3"."""
    labels = skip_labels()
    out = []
    for key, value in skipped.items():
        label = labels.get(key, key)
        if isinstance(value, dict):
            out += [f"{label} {detail}: {n}" for detail, n in value.items()]
        else:
            out.append(f"{label}: {value}")
    return out


@require_capability(READ)
def run_list(request: AuthedRequest) -> HttpResponse:
    rows = selectors.runs_list(request.user)
    return render(request, "livelihood/run_list.html", {
        "rows": [(r, skipped_text(r.run.skipped or {})) for r in rows]})
