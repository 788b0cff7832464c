"""Export transmission chains as GraphML (Gephi, Cytoscape, yEd, networkx) or JSON (nodes and
links), decision 1030.

What is exported: the chain holding one case, or every chain of the viewer's jurisdiction for a
disease and period (the cases of selectors/chain_stats.period_cases plus the other end of each
confirmed link touching them). Each case carries its chain root, generation and infectees (from
shouwang.epi.chains), onset, classification and division.

People (the rules of the surveillance export, decision 0810):
- outside the jurisdiction: always initials · age band · county (tracing/pseudonyms.py);
- inside: by default the same pseudonym and the report number only (`personal="pseudonymous"`);
  with surveillance.export, names masked as the line list's export masks them (`"masked"`,
  张*); with surveillance.export and surveillance.read, names in full (`"full"`).
Every export writes one audit row (action `export`) with its parameters and size.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.epi.chains import NO_INFECTOR, analyse_chains
from shouwang.epi.cli.io import write_graphml
from shouwang.surveillance.models import CaseReport
from shouwang.surveillance.services.exports import mask_name
from shouwang.tracing.models import LinkStatus, TransmissionLink
from shouwang.tracing.pseudonyms import age_band, county_code_of, initials, person_label
from shouwang.tracing.selectors.chain_stats import period_cases
from shouwang.tracing.selectors.chains import cases_by_id, chain_component, day_of, id_chunks

if TYPE_CHECKING:
    from shouwang.accounts.models import User

READ = "tracing.read"
EXPORT = "surveillance.export"
PERSONAL = "surveillance.read"
FORMATS = ("graphml", "json")
PERSONAL_MODES = ("pseudonymous", "masked", "full")
CONTENT_TYPES = {"graphml": "application/graphml+xml", "json": "application/json"}
MAX_EXPORT_CASES = 200000


@dataclass(frozen=True)
class ChainExport:
    content: bytes
    filename: str
    content_type: str
    nodes: int
    links: int


def check_personal(user: User, personal: str) -> str:
    mode = (personal or "pseudonymous").strip().lower()
    if mode not in PERSONAL_MODES:
        raise InvalidInput({"personal": [_("取值无效，可选：%(opts)s。")
                                         % {"opts": ", ".join(PERSONAL_MODES)}]})
    if mode != "pseudonymous" and not user.has_capability(EXPORT):
        raise InvalidInput({"personal": [_("您无权导出辖区内人员的姓名，只能导出化名。")]})
    if mode == "full" and not user.has_capability(PERSONAL):
        raise InvalidInput({"personal": [_("您无权导出完整的个人信息。")]})
    return mode


def _graph_of_case(user: User, case_id: int) -> tuple[dict[int, CaseReport], list[Any]]:
    from django.http import Http404

    if not CaseReport.objects.filter(pk=case_id).exists():
        raise Http404
    nodes, _parent, _truncated = chain_component(case_id, limit=MAX_EXPORT_CASES)
    cases = cases_by_id(nodes)
    if not any(in_jurisdiction(user, c.division_code) for c in cases.values()):
        raise Http404
    links = []
    for chunk in id_chunks(nodes):
        links += list(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                                      infectee_id__in=chunk)
                      .select_related("setting"))
    return cases, links


def _graph_of_period(user: User, disease: str, start: date, end: date, division: str
                     ) -> tuple[dict[int, CaseReport], list[Any]]:
    population = period_cases(user=user, disease=disease, start=start, end=end,
                              division=division)
    ids = set(population.values_list("pk", flat=True)[:MAX_EXPORT_CASES])
    links = []
    for chunk in id_chunks(ids):
        links += list(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                                      infectee_id__in=chunk)
                      .select_related("setting"))
        links += list(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                                      infector_id__in=chunk)
                      .exclude(infectee_id__in=chunk).select_related("setting"))
    unique = list({x.pk: x for x in links}.values())
    nodes = ids | {x.infector_id for x in unique} | {x.infectee_id for x in unique}
    return cases_by_id(nodes), unique


def chain_export(*, user: User, fmt: str, case_id: int | None = None, disease: str = "",
                 start: date | None = None, end: date | None = None, division: str = "",
                 personal: str = "pseudonymous") -> ChainExport:
    """The export of the module docstring; InvalidInput on bad parameters, Http404 when the
    chain (or division) is not the viewer's."""
    if not user.has_capability(READ):
        raise PermissionDenied(READ)
    errors: dict[str, list[str]] = {}
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        errors["format"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(FORMATS)}]
    if case_id is None:
        if not disease:
            errors["disease"] = [_("请选择病种，或指定一个病例的传播链。")]
        if start is None:
            errors["start"] = [_("此项为必填项。")]
        if end is None:
            errors["end"] = [_("此项为必填项。")]
        if start is not None and end is not None and end < start:
            errors["end"] = [_("结束日期不能早于开始日期。")]
    try:
        mode = check_personal(user, personal)
    except InvalidInput as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.fields.items()})
        mode = "pseudonymous"
    if errors:
        raise InvalidInput(errors)
    if case_id is not None:
        cases, links = _graph_of_case(user, case_id)
        scope = f"case-{case_id}"
    else:
        assert start is not None and end is not None
        cases, links = _graph_of_period(user, disease, start, end, division)
        scope = f"{disease}-{start:%Y%m%d}-{end:%Y%m%d}"
    nodes, edges = _rows(user, cases, links, mode)
    if fmt == "json":
        body = json.dumps({"nodes": nodes, "links": edges, "personal": mode,
                           "exported_at": timezone.now().isoformat()},
                          ensure_ascii=False, indent=1).encode("utf-8")
    else:
        body = _graphml(nodes, edges)
    audit_log(actor=user, action=AuditAction.EXPORT, object_type="tracing.chain",
              object_id=scope[:64], summary="transmission chains exported",
              changes={"format": fmt, "personal": mode, "case": case_id, "disease": disease,
                       "start": start.isoformat() if start else None,
                       "end": end.isoformat() if end else None, "division": division,
                       "nodes": len(nodes), "links": len(edges)})
    stamp = timezone.localdate().strftime("%Y%m%d")
    return ChainExport(content=body, filename=f"chains-{scope}-{stamp}.{fmt}",
                       content_type=CONTENT_TYPES[fmt], nodes=len(nodes), links=len(edges))


def _rows(user: User, cases: dict[int, CaseReport], links: list[TransmissionLink], mode: str
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from shouwang.geo.selectors import division_names

    order = sorted(cases)
    index = {pk: i for i, pk in enumerate(order)}
    parent = np.full(len(order), NO_INFECTOR, dtype=np.int64)
    kept = [x for x in links if x.infector_id in index and x.infectee_id in index]
    for link in kept:
        parent[index[link.infectee_id]] = index[link.infector_id]
    result = analyse_chains(parent)
    codes = {county_code_of(c.division_code) for c in cases.values()}
    names = division_names(sorted(codes | {c.division_code for c in cases.values()}))
    nodes: list[dict[str, Any]] = []
    for i, pk in enumerate(order):
        case = cases[pk]
        label = person_label(user, division_code=case.division_code, name=case.name,
                             age_years=case.age_years,
                             county_name=names.get(county_code_of(case.division_code), ""))
        inside = not label.pseudonymised
        if inside and mode == "full":
            shown = case.name
        elif inside and mode == "masked":
            shown = mask_name(case.name)
        else:
            county = county_code_of(case.division_code)
            shown = " · ".join(p for p in (initials(case.name), age_band(case.age_years),
                                           names.get(county, county)) if p)
        code = case.division_code if inside else county_code_of(case.division_code)
        onset = case.onset_date or day_of(case)
        nodes.append({
            "id": f"C{pk}", "case_id": pk, "label": shown,
            "pseudonymised": int(not inside or mode == "pseudonymous"),
            "in_jurisdiction": int(inside), "division_code": code,
            "division_name": names.get(code, ""), "onset": onset.isoformat(),
            "classification": case.classification, "imported": int(case.imported),
            "chain_root": f"C{order[int(result.root[i])]}",
            "generation": int(result.generation[i]), "infectees": int(result.offspring[i]),
        })
    edges = [{"source": f"C{x.infector_id}", "target": f"C{x.infectee_id}",
              "status": x.status,
              "setting_kind": x.setting.kind if x.setting is not None else "",
              "exposure_date": x.exposure_date.isoformat() if x.exposure_date else "",
              "decided_at": x.decided_at.isoformat() if x.decided_at else ""}
             for x in kept]
    return nodes, edges


def _graphml(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "chains.graphml"
        write_graphml(path, nodes, [(e["source"], e["target"]) for e in edges])
        return path.read_bytes()


__all__ = ["FORMATS", "PERSONAL_MODES", "ChainExport", "chain_export", "check_personal"]
