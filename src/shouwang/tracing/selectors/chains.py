"""Reading transmission chains (decision 1030).

- `chain_for_case`: the chain (connected component of confirmed links) holding a case, with
  generations, infectee counts and roots from shouwang.epi.chains, and each person as the
  viewer may see them: by name inside the jurisdiction, as initials · age band · county outside
  it (tracing/pseudonyms.py); the links stay visible. A chain is visible when the viewer sees at
  least one of its cases; otherwise it does not exist for them (404). Proposed links into the
  chain can be shown too (dashed on the page).
- `case_links`: a case's confirmed infector and its proposals, with reasons in words.
- `chain_statistics` (selectors/chain_stats.py): jurisdiction, disease and period figures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.epi.chains import NO_INFECTOR, analyse_chains
from shouwang.epi.infector import (
    EXPOSURE_NOT_INFECTIOUS,
    EXPOSURE_TOO_LATE,
    NO_ONSET,
    OUTSIDE_SERIAL_INTERVAL,
    SOURCE_LATER,
)
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import LinkStatus, SettingKind, TransmissionLink
from shouwang.tracing.pseudonyms import county_code_of, person_label
from shouwang.tracing.selectors.chain_layout import attach_beside, tree_layout

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

# A chain past this many cases is cut (breadth first from the case asked for) and says so.
MAX_CHAIN_CASES = 20000
_CHUNK = 900
CASE_FIELDS = ("pk", "name", "age_years", "sex", "division_code", "onset_date", "diagnosed_at",
               "classification", "disease_id", "imported", "status")


@dataclass(frozen=True)
class ChainNode:
    case_id: int
    label: str
    pseudonymised: bool
    division_code: str         # the county only, for a pseudonymised person
    division_name: str
    onset: date | None
    classification: str        # its label
    generation: int | None     # None: only a proposed infector, not in the chain
    infectees: int
    root: bool
    in_chain: bool
    openable: bool             # the viewer may open the case's page
    x: float
    y: float


@dataclass(frozen=True)
class ChainEdge:
    infector: int
    infectee: int
    status: str
    score: float | None
    rank: int | None


@dataclass(frozen=True)
class ChainGraph:
    focus: int
    disease_id: str
    nodes: list[ChainNode]
    edges: list[ChainEdge]
    roots: list[int]
    size: int                  # cases in the chain (confirmed links)
    generations: int           # the deepest generation
    truncated: bool
    outside: int               # cases shown pseudonymised
    offspring_counts: dict[int, int] = field(default_factory=dict)   # infectees → cases


def may_open_cases(user: User | AnonymousUser) -> bool:
    """Whether the viewer may open a case's page (surveillance.read)."""
    check = getattr(user, "has_capability", None)
    return bool(check is not None and check("surveillance.read"))


def id_chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def chain_component(case_id: int, *, limit: int = MAX_CHAIN_CASES
                    ) -> tuple[set[int], dict[int, int], bool]:
    """(cases, {infectee: infector}, truncated): the connected component of confirmed links
    holding `case_id`, walked breadth first, one query per generation and chunk."""
    nodes = {case_id}
    parent: dict[int, int] = {}
    frontier = {case_id}
    truncated = False
    while frontier:
        found: set[int] = set()
        for chunk in id_chunks(frontier):
            rows = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED).filter(
                infector_id__in=chunk).values_list("infector_id", "infectee_id")
            rows_up = TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED).filter(
                infectee_id__in=chunk).values_list("infector_id", "infectee_id")
            for infector, infectee in [*rows, *rows_up]:
                if len(nodes) >= limit and (infector not in nodes or infectee not in nodes):
                    truncated = True
                    continue
                parent[infectee] = infector
                for n in (infector, infectee):
                    if n not in nodes:
                        nodes.add(n)
                        found.add(n)
        frontier = found
    return nodes, parent, truncated


def cases_by_id(ids: Iterable[int]) -> dict[int, CaseReport]:
    out: dict[int, CaseReport] = {}
    for chunk in id_chunks(ids):
        out.update(CaseReport.objects.filter(pk__in=chunk).only(*CASE_FIELDS).in_bulk())
    return out


def _labels(user: User | AnonymousUser, cases: dict[int, CaseReport]
            ) -> dict[int, tuple[Any, str]]:
    """{case: (PersonLabel, division name)} with the county names looked up once."""
    codes = {county_code_of(c.division_code) for c in cases.values()}
    codes |= {c.division_code for c in cases.values()}
    names = division_names(sorted(codes))
    out: dict[int, tuple[Any, str]] = {}
    for pk, case in cases.items():
        label = person_label(user, division_code=case.division_code, name=case.name,
                             age_years=case.age_years,
                             county_name=names.get(county_code_of(case.division_code), ""))
        out[pk] = (label, names.get(label.division_code, ""))
    return out


def chain_for_case(*, user: User | AnonymousUser, case_id: int, proposed: bool = False,
                   audit: bool = True, limit: int = MAX_CHAIN_CASES) -> ChainGraph:
    """The chain holding `case_id` as the viewer may see it (see the module docstring).
    Http404 when the case does not exist or the viewer sees none of the chain's cases.
    Showing names is audited (one row per view, the named cases listed)."""
    if not CaseReport.objects.filter(pk=case_id).exists():
        raise Http404
    nodes, parent, truncated = chain_component(case_id, limit=limit)
    cases = cases_by_id(nodes)
    if not any(in_jurisdiction(user, c.division_code) for c in cases.values()):
        raise Http404
    edges = [ChainEdge(infector=up, infectee=child, status=LinkStatus.CONFIRMED, score=None,
                       rank=None) for child, up in parent.items()]
    extra: dict[int, int] = {}
    if proposed:
        for chunk in id_chunks(nodes):
            for link in TransmissionLink.objects.filter(status=LinkStatus.PROPOSED,
                                                        infectee_id__in=chunk):
                edges.append(ChainEdge(infector=link.infector_id, infectee=link.infectee_id,
                                       status=link.status, score=link.score, rank=link.rank))
                if link.infector_id not in nodes:
                    extra[link.infector_id] = link.infectee_id
        cases.update(cases_by_id(set(extra) - set(cases)))
    order = sorted(nodes, key=lambda pk: (_day(cases[pk]), pk))
    index = {pk: i for i, pk in enumerate(order)}
    infector = np.full(len(order), NO_INFECTOR, dtype=np.int64)
    for child, up in parent.items():
        infector[index[child]] = index[up]
    # Links were checked when they were confirmed; the onsets are not judged again here.
    result = analyse_chains(infector)
    positions = tree_layout({pk: parent.get(pk) for pk in order}, order=order)
    attach_beside(positions, extra)
    labels = _labels(user, cases)
    may_open = may_open_cases(user)
    out: list[ChainNode] = []
    shown: list[int] = []
    for pk in [*order, *sorted(extra)]:
        case = cases.get(pk)
        if case is None or pk not in positions:
            continue
        label, division_name = labels[pk]
        i = index.get(pk)
        if not label.pseudonymised:
            shown.append(pk)
        out.append(ChainNode(
            case_id=pk, label=label.text, pseudonymised=label.pseudonymised,
            division_code=label.division_code, division_name=division_name,
            onset=case.onset_date, classification=str(case.get_classification_display()),
            generation=int(result.generation[i]) if i is not None else None,
            infectees=int(result.offspring[i]) if i is not None else 0,
            root=i is not None and int(infector[i]) == NO_INFECTOR,
            in_chain=i is not None, openable=may_open and not label.pseudonymised,
            x=positions[pk].x, y=positions[pk].y))
    if audit and shown:
        audit_log(actor=user, action=AuditAction.READ, object_type="tracing.chain",
                  object_id=str(case_id), division_code=cases[case_id].division_code
                  if in_jurisdiction(user, cases[case_id].division_code) else "",
                  summary="transmission chain viewed",
                  changes={"cases": shown[:1000], "named": len(shown)})
    counts = np.bincount(result.offspring) if len(order) else np.zeros(1, dtype=np.int64)
    return ChainGraph(
        focus=case_id, disease_id=cases[case_id].disease_id, nodes=out, edges=edges,
        roots=[order[int(i)] for i in result.roots], size=len(order),
        generations=int(result.generation.max(initial=0)), truncated=truncated,
        outside=sum(1 for n in out if n.pseudonymised),
        offspring_counts={k: int(v) for k, v in enumerate(counts) if v})


def _day(case: CaseReport) -> date:
    """The day that counts for a case: onset, else (an asymptomatic infection) diagnosis."""
    if case.onset_date is not None:
        return case.onset_date
    return timezone.localdate(case.diagnosed_at)


def day_of(case: CaseReport) -> date:
    return _day(case)


# --- one case's links -------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    link_id: int
    infector_id: int
    label: str
    pseudonymised: bool
    division_name: str
    onset: date | None
    status: str
    status_label: str
    score: float | None
    rank: int | None
    reasons: list[str]
    decided_by: str
    reason: str
    openable: bool


@dataclass(frozen=True)
class CaseLinks:
    case: CaseReport
    confirmed: LinkRow | None
    proposals: list[LinkRow]
    rejected: list[LinkRow]
    infectees: list[LinkRow]   # the cases it infected (confirmed), the infectee as "infector"


def case_for_links(*, user: User | AnonymousUser, case_id: int) -> CaseReport:
    """A case in the viewer's jurisdiction (its links are decided there), else Http404."""
    case = scoped(CaseReport.objects.select_related("disease"), user).filter(
        pk=case_id).first()
    if case is None:
        raise Http404
    return case


def case_links(*, user: User | AnonymousUser, case_id: int) -> CaseLinks:
    case = case_for_links(user=user, case_id=case_id)
    links = list(TransmissionLink.objects.filter(infectee=case).select_related("decided_by"))
    down = list(TransmissionLink.objects.filter(infector=case, status=LinkStatus.CONFIRMED))
    people = cases_by_id({link.infector_id for link in links}
                         | {link.infectee_id for link in down})
    labels = _labels(user, people)
    may_open = may_open_cases(user)

    def row(link: TransmissionLink, other: int) -> LinkRow:
        label, division_name = labels[other]
        return LinkRow(
            link_id=link.pk, infector_id=other, label=label.text,
            pseudonymised=label.pseudonymised, division_name=division_name,
            onset=people[other].onset_date, status=link.status,
            status_label=str(link.get_status_display()), score=link.score, rank=link.rank,
            reasons=[reason_text(user, r) for r in link.reasons or []],
            decided_by=link.decided_by.username if link.decided_by else "",
            reason=link.reason, openable=may_open and not label.pseudonymised)

    confirmed = next((row(x, x.infector_id) for x in links
                      if x.status == LinkStatus.CONFIRMED), None)
    proposals = sorted((row(x, x.infector_id) for x in links if x.status == LinkStatus.PROPOSED),
                       key=lambda r: (r.rank or 99, r.link_id))
    rejected = [row(x, x.infector_id) for x in links if x.status == LinkStatus.REJECTED]
    named = sorted({pk for pk, (label, _name) in labels.items() if not label.pseudonymised})
    if named:
        audit_log(actor=user, action=AuditAction.READ, object_type="tracing.case_links",
                  object_id=str(case.pk), division_code=case.division_code,
                  summary="case links viewed", changes={"cases": named})
    return CaseLinks(case=case, confirmed=confirmed, proposals=proposals, rejected=rejected,
                     infectees=[row(x, x.infectee_id) for x in down])


RULED_OUT = {
    SOURCE_LATER: gettext_lazy("候选者晚于本病例发病"),
    OUTSIDE_SERIAL_INTERVAL: gettext_lazy("发病间隔超出序列间隔范围"),
    EXPOSURE_NOT_INFECTIOUS: gettext_lazy("接触时候选者不在传染期内"),
    EXPOSURE_TOO_LATE: gettext_lazy("接触时间距本病例发病太近"),
    NO_ONSET: gettext_lazy("发病日期不详"),
    "infected by the case": gettext_lazy("候选者是本病例传染的（会形成循环）"),
}


def ruled_out_text(code: str) -> str:
    text = RULED_OUT.get(code)
    return str(text) if text is not None else code


def reason_text(user: User | AnonymousUser, reason: dict[str, Any]) -> str:
    """A stored proposal reason (services/link_proposals.py) in the reader's language. A
    setting outside the reader's jurisdiction is named by its kind only (its label may name a
    person: a household is labelled by its index case)."""
    code = reason.get("code")
    if code == "setting":
        kinds = dict(SettingKind.choices)
        kind = str(kinds.get(str(reason.get("kind")), reason.get("kind", "")))
        name = (str(reason.get("label", "")) if in_jurisdiction(
            user, str(reason.get("division", ""))) else kind)
        return _("%(from)s 至 %(to)s 同在%(kind)s“%(name)s”") % {
            "from": reason.get("from"), "to": reason.get("to"), "kind": kind, "name": name}
    if code == "contact":
        return _("本病例在其密切接触者名单中（末次接触 %(day)s）") % {
            "day": reason.get("last_exposure")}
    if code == "county":
        names = division_names([str(reason.get("county", ""))])
        return _("同县区（%(county)s）在序列间隔内发病，无其他关联") % {
            "county": names.get(str(reason.get("county", "")), reason.get("county", ""))}
    if code == "serial_interval":
        likelihood = float(reason.get("likelihood") or 0.0)
        return _("发病间隔 %(gap)s 天（序列间隔均值 %(mean)s 天，标准差 %(sd)s 天；概率密度 "
                 "%(w)s）") % {"gap": reason.get("gap_days"), "mean": reason.get("mean_si"),
                               "sd": reason.get("sd_si"),
                               "w": f"{likelihood:.3f}" if math.isfinite(likelihood) else "—"}
    if code == "exposure_day":
        return _("推定接触日期 %(day)s") % {"day": reason.get("day")}
    if code == "surrogate_onset":
        return _("无症状感染者以诊断日期代替发病日期")
    return str(reason.get("text") or code or "")


# --- what a decision acts on --------------------------------------------------------------------


def link_for_decision(*, user: User | AnonymousUser, link_id: int) -> TransmissionLink:
    """A link whose infectee lies in the viewer's jurisdiction (its source is decided there),
    else Http404."""
    link = scoped(TransmissionLink.objects.select_related("infector", "infectee"), user,
                  field="infectee_division_code").filter(pk=link_id).first()
    if link is None:
        raise Http404
    return link


def infector_choice(*, user: User | AnonymousUser, infectee: CaseReport,
                    infector_id: int) -> CaseReport:
    """The case an investigator names as `infectee`'s infector, if the investigator may name
    it: a case of the jurisdiction, one already linked to the infectee (a proposal, a rejected
    or confirmed link), or one on a chain that reaches the jurisdiction. Http404 otherwise, so
    a case elsewhere cannot be probed by its number."""
    case = CaseReport.objects.select_related("disease").filter(pk=infector_id).first()
    if case is None:
        raise Http404
    if in_jurisdiction(user, case.division_code):
        return case
    if TransmissionLink.objects.filter(infector=case, infectee=infectee).exists():
        return case
    nodes, _parent, _cut = chain_component(case.pk, limit=MAX_CHAIN_CASES)
    for chunk in id_chunks(nodes):
        codes = CaseReport.objects.filter(pk__in=chunk).values_list("division_code", flat=True)
        if any(in_jurisdiction(user, code) for code in codes):
            return case
    raise Http404


def graph_as_dict(graph: ChainGraph, *, case_url: str = "") -> dict[str, Any]:
    """The chain for the page's script and the API: nodes with positions and what the hover
    shows; edges by status. `case_url` is the case page's URL with 0 for the id."""
    return {
        "focus": graph.focus, "disease": graph.disease_id, "size": graph.size,
        "generations": graph.generations, "truncated": graph.truncated,
        "outside": graph.outside, "roots": graph.roots,
        "offspring_counts": {str(k): v for k, v in graph.offspring_counts.items()},
        "nodes": [{
            "id": n.case_id, "label": n.label, "pseudonymised": n.pseudonymised,
            "division_code": n.division_code, "division_name": n.division_name,
            "onset": n.onset.isoformat() if n.onset else None,
            "classification": n.classification, "generation": n.generation,
            "infectees": n.infectees, "root": n.root, "in_chain": n.in_chain,
            "url": case_url.replace("/0/", f"/{n.case_id}/") if case_url and n.openable
            else None,
            "x": n.x, "y": n.y,
        } for n in graph.nodes],
        "edges": [{"infector": e.infector, "infectee": e.infectee, "status": e.status,
                   "score": e.score, "rank": e.rank} for e in graph.edges],
    }


def graph_columns(graph: ChainGraph, *, case_url: str = "") -> dict[str, Any]:
    """The chain for the page's script, column by column (a 2,000-case chain in ~150 KB instead
    of ~800 KB of objects): division names and classifications once, indexed per node; onsets
    as ISO dates; flags as 0/1. `case_url` as for graph_as_dict."""
    divisions: dict[str, int] = {}
    classes: dict[str, int] = {}
    cols: dict[str, list[Any]] = {k: [] for k in (
        "id", "label", "pseudo", "div", "cls", "onset", "gen", "infectees", "chain", "open",
        "x", "y")}
    for n in graph.nodes:
        cols["id"].append(n.case_id)
        cols["label"].append(n.label)
        cols["pseudo"].append(int(n.pseudonymised))
        cols["div"].append(divisions.setdefault(n.division_name, len(divisions)))
        cols["cls"].append(classes.setdefault(n.classification, len(classes)))
        cols["onset"].append(n.onset.isoformat() if n.onset else None)
        cols["gen"].append(n.generation)
        cols["infectees"].append(n.infectees)
        cols["chain"].append(int(n.in_chain))
        cols["open"].append(int(bool(case_url) and n.openable))
        cols["x"].append(round(n.x, 3))
        cols["y"].append(n.y)
    confirmed = [e for e in graph.edges if e.status == LinkStatus.CONFIRMED]
    proposed = [e for e in graph.edges if e.status != LinkStatus.CONFIRMED]
    return {
        "focus": graph.focus, "size": graph.size, "generations": graph.generations,
        "case_url": case_url, "divisions": list(divisions), "classes": list(classes),
        "nodes": cols,
        "confirmed": [[e.infector, e.infectee] for e in confirmed],
        "proposed": [[e.infector, e.infectee, e.score, e.rank] for e in proposed],
    }


__all__ = ["MAX_CHAIN_CASES", "CaseLinks", "ChainEdge", "ChainGraph", "ChainNode", "LinkRow",
           "case_for_links", "case_links", "cases_by_id", "chain_component", "chain_for_case",
           "day_of", "graph_as_dict", "graph_columns", "id_chunks", "infector_choice",
           "link_for_decision", "may_open_cases", "reason_text", "ruled_out_text"]
