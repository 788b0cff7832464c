"""Reading clusters (聚集性疫情). Decision 1010.

Scoped readers (pages, API): a cluster is visible to a reader whose jurisdiction holds its
setting's division, or one of its members' divisions (a workplace across the county line is
also the members' counties' business). Members outside the reader's jurisdiction are shown
pseudonymised (tracing.pseudonyms.person_label).

`clusters_in_prefix(prefix, as_of)` is *unscoped*, for the risk-level rules (which judge an
area, not a reader): the clusters whose setting lies under `prefix` and that were active on
`as_of` — their first case on or before it, and fewer than two exposure windows (two maximum
incubation periods) between their last case and it. `open_clusters(user=…, as_of=…)` is the same
rule within a reader's jurisdiction; without `as_of` it is the status the latest detection
stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import jurisdiction_prefix, prefix_q
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import CaseReport, Disease
from shouwang.tracing.models import (
    Cluster,
    ClusterMember,
    ClusterStatus,
    Investigation,
    SettingKind,
)
from shouwang.tracing.pseudonyms import county_code_of, person_label

if TYPE_CHECKING:
    from shouwang.accounts.models import User


@dataclass(frozen=True)
class ClusterFilters:
    disease: str = ""
    status: str = ""
    kind: str = ""       # the setting's kind
    division: str = ""   # clusters whose setting lies in this division or below

    def clean(self) -> ClusterFilters:
        errors: dict[str, str] = {}
        if self.status and self.status not in ClusterStatus.values:
            errors["status"] = _("取值无效。")
        if self.kind and self.kind not in SettingKind.values:
            errors["kind"] = _("取值无效。")
        if self.division and not (self.division.isascii() and self.division.isdigit()):
            errors["division"] = _("区划代码只能是数字。")
        if errors:
            raise InvalidInput(errors)
        return self


def scoped_clusters(user: User | None) -> QuerySet[Cluster]:
    """Clusters the reader may see: setting or a member inside the jurisdiction."""
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return Cluster.objects.none()
    if not prefix:
        return Cluster.objects.all()
    members = ClusterMember.objects.filter(prefix_q("case__division_code", prefix))
    return Cluster.objects.filter(prefix_q("division_code", prefix)
                                  | Q(pk__in=members.values("cluster_id")))


def _active_on(qs: QuerySet[Cluster], as_of: date) -> list[Cluster]:
    """The clusters of `qs` active on `as_of` (the rule in the module docstring)."""
    windows = dict(Disease.objects.values_list("code", "exposure_window_days"))
    longest = 2 * max(windows.values(), default=14)
    candidates = qs.filter(first_onset__lte=as_of,
                           last_onset__gt=as_of - timedelta(days=longest))
    return [c for c in candidates.select_related("setting", "disease")
            .order_by("-last_onset", "-id")
            if (as_of - c.last_onset).days < 2 * windows.get(c.disease_id, 14)]


def clusters_in_prefix(prefix: str, as_of: date) -> list[Cluster]:
    """*Unscoped*: clusters whose setting lies under the division prefix `prefix` ("" = the
    nation; "4201" = 武汉市) and that were active on `as_of`, newest last case first."""
    if prefix and not (prefix.isascii() and prefix.isdigit()):
        raise ValueError(f"division prefix must be digits, got {prefix!r}")
    return _active_on(Cluster.objects.filter(prefix_q("division_code", prefix)), as_of)


def open_clusters(*, user: User, disease: str | None = None,
                  as_of: date | None = None) -> list[Cluster]:
    """Clusters the reader may see that are open: by the stored status, or (with `as_of`)
    active on that day by the rule of `clusters_in_prefix`."""
    qs = scoped_clusters(user)
    if disease:
        qs = qs.filter(disease_id=disease)
    if as_of is not None:
        return _active_on(qs, as_of)
    return list(qs.filter(status=ClusterStatus.OPEN).select_related("setting", "disease")
                .order_by("-last_onset", "-id"))


def cluster_list(*, user: User, filters: ClusterFilters | None = None) -> QuerySet[Cluster]:
    f = (filters or ClusterFilters()).clean()
    qs = scoped_clusters(user)
    if f.disease:
        qs = qs.filter(disease_id=f.disease)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.kind:
        qs = qs.filter(setting__kind=f.kind)
    if f.division:
        qs = qs.filter(prefix_q("division_code", f.division))
    return qs.select_related("setting", "disease").order_by("-last_onset", "-id")


def cluster_get(*, user: User, cluster_id: int) -> Cluster:
    """One cluster the reader may see, or Http404."""
    from django.http import Http404

    cluster = (scoped_clusters(user).select_related("setting", "disease")
               .filter(pk=cluster_id).first())
    if cluster is None:
        raise Http404
    return cluster


@dataclass(frozen=True)
class MemberRow:
    case_id: int
    label: str
    pseudonymised: bool
    division_code: str
    division_name: str
    classification: str
    onset_date: date
    generation: int
    # Only for members inside the reader's jurisdiction: the case page may be opened.
    linkable: bool
    investigation_id: int | None


def cluster_members(*, user: User, cluster: Cluster) -> list[MemberRow]:
    """The members of a cluster read through `cluster_get`, in onset order; each person
    pseudonymised when outside the reader's jurisdiction. Showing names is audited."""
    members = list(ClusterMember.objects.filter(cluster=cluster).order_by("onset_date", "case"))
    cases = CaseReport.objects.in_bulk([m.case_id for m in members])
    investigations = dict(Investigation.objects.filter(case_id__in=list(cases))
                          .values_list("case_id", "pk"))
    codes = {county_code_of(c.division_code) for c in cases.values()}
    codes |= {c.division_code for c in cases.values()}
    names = division_names(sorted(codes))
    rows = []
    shown = []
    for m in members:
        case = cases[m.case_id]
        label = person_label(user, division_code=case.division_code, name=case.name,
                             age_years=case.age_years,
                             county_name=names.get(county_code_of(case.division_code), ""))
        if not label.pseudonymised:
            shown.append(case.pk)
        rows.append(MemberRow(
            case_id=case.pk, label=label.text, pseudonymised=label.pseudonymised,
            division_code=label.division_code,
            division_name=names.get(label.division_code, ""),
            classification=case.get_classification_display(), onset_date=m.onset_date,
            generation=m.generation, linkable=not label.pseudonymised,
            investigation_id=None if label.pseudonymised else investigations.get(case.pk)))
    if shown:
        audit_log(actor=user, action=AuditAction.READ, obj=cluster,
                  summary="cluster members viewed", changes={"cases": shown})
    return rows


def cluster_chart_data(clusters: list[Cluster]) -> dict[str, Any]:
    """What the list's charts draw: clusters by setting kind, and each cluster's span."""
    kinds = dict(SettingKind.choices)
    by_kind: dict[str, int] = {}
    for c in clusters:
        by_kind[c.setting.kind] = by_kind.get(c.setting.kind, 0) + 1
    order = sorted(by_kind, key=lambda k: -by_kind[k])
    return {
        "kinds": [str(kinds.get(k, k)) for k in order], "counts": [by_kind[k] for k in order],
        "spans": [{"id": c.pk, "label": f"#{c.pk} {c.setting.label}",
                   "start": c.first_onset.isoformat(), "end": c.last_onset.isoformat(),
                   "cases": c.case_count, "status": c.status} for c in clusters],
    }


def cluster_spans(disease: str, since: date, until: date) -> list[tuple[str, date, date]]:
    """*Unscoped*, for the area risk levels: (division_code, first_onset, last_onset) of every
    cluster of `disease` whose span of onsets meets the days `since` … `until` (a cluster
    "occurred" on each day from its first case's onset to its last case's)."""
    return list(Cluster.objects.filter(disease_id=disease, first_onset__lte=until,
                                       last_onset__gte=since)
                .order_by("division_code", "first_onset")
                .values_list("division_code", "first_onset", "last_onset"))
