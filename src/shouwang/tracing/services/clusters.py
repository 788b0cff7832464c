"""Cluster detection (聚集性疫情): two or more cases — confirmed or asymptomatic, active — within
one maximum incubation period of each other, linked to one small setting. Decision 1010.

    figures = clusters_detect(disease=covid19, as_of=date(2026, 3, 31))

Reads the case exposures at settings (one row per case and setting, the case's day being its
onset, or its diagnosis day without one), runs shouwang.epi.setting_clusters with the disease's
exposure window as the linking window (14 days for COVID-19), and writes what it found:

- one `Cluster` per group, found again on every run: a group is matched to the stored clusters
  of the same setting that share a member with it, so a late-reported earlier case does not
  start a second cluster; a new one gets the key `<disease>:<setting>:<first member's case id>`;
  two stored clusters bridged by a new case become one (the older survives);
- members, counts, first and last onset; generations from the confirmed transmission links among
  the members (shouwang.epi.chains.analyse_chains: its root is generation 1), else 1 for all;
- status: closed once no member's day lies within two exposure windows of `as_of`;
- member investigations still "pending" get the source status "cluster" (versioned, audited).

A stored cluster whose group no longer qualifies (a member revoked, an exposure removed) is
removed, with an audit row. Re-running with the same data changes no row (nothing is saved
unless a value differs), so the nightly task and the on-demand button may run at any time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.epi.chains import ChainInputError, analyse_chains
from shouwang.epi.setting_clusters import setting_clusters
from shouwang.surveillance.models import CaseStatus, Disease
from shouwang.tracing.models import (
    Cluster,
    ClusterMember,
    ClusterStatus,
    Exposure,
    Investigation,
    LinkStatus,
    Setting,
    SourceStatus,
    TransmissionLink,
)
from shouwang.tracing.services.investigations import AUTO_CLASSIFICATIONS

if TYPE_CHECKING:
    from shouwang.accounts.models import User

MIN_CASES = 2
# Ids per IN (…) list: under SQLite's old 999-parameter limit, few round trips elsewhere.
CHUNK = 900


def close_after_days(disease: Disease) -> int:
    """A cluster is over once no case has joined for two maximum incubation periods."""
    return 2 * int(disease.exposure_window_days)


@dataclass
class _Group:
    setting_id: int
    cases: dict[int, date]          # case id → its day
    divisions: dict[int, str]

    @property
    def first_case(self) -> int:
        return min(self.cases, key=lambda c: (self.cases[c], c))


def _rows(disease: Disease, as_of: date) -> tuple[list[tuple[int, int, date, str]], int]:
    """(case, setting, day, case division) of every qualifying case at a setting; the number
    of exposure rows read."""
    qs = (Exposure.objects.filter(
        setting__isnull=False, investigation__isnull=False,
        investigation__case__disease=disease, investigation__case__status=CaseStatus.ACTIVE,
        investigation__case__classification__in=AUTO_CLASSIFICATIONS)
        .values_list("investigation__case_id", "setting_id", "investigation__case__onset_date",
                     "investigation__case__diagnosed_at", "investigation__case__division_code"))
    rows = []
    seen = set()
    read = 0
    for case_id, setting_id, onset, diagnosed, division in qs.iterator(chunk_size=5000):
        read += 1
        day = onset or timezone.localdate(diagnosed)
        if day > as_of or (case_id, setting_id) in seen:
            continue
        seen.add((case_id, setting_id))
        rows.append((case_id, setting_id, day, division))
    return rows, read


def _groups(rows: list[tuple[int, int, date, str]], window: int) -> list[_Group]:
    if not rows:
        return []
    cases = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    settings_ = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    days = np.fromiter((r[2].toordinal() for r in rows), dtype=np.int64, count=len(rows))
    found = setting_clusters(cases, settings_, days, window_days=window, min_cases=MIN_CASES)
    groups: dict[int, _Group] = {}
    for i in np.flatnonzero(found.label >= 0):
        label = int(found.label[i])
        case_id, setting_id, day, division = rows[int(i)]
        group = groups.setdefault(label, _Group(setting_id, {}, {}))
        group.cases[case_id] = day
        group.divisions[case_id] = division
    return [groups[k] for k in sorted(groups)]


def _confirmed_infectors(case_ids: list[int]) -> dict[int, int]:
    """infectee → infector of the confirmed links whose infectee is one of `case_ids`."""
    found: dict[int, int] = {}
    for offset in range(0, len(case_ids), CHUNK):
        chunk = case_ids[offset:offset + CHUNK]
        found.update(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                                     infectee_id__in=chunk)
                     .values_list("infectee_id", "infector_id"))
    return found


def _generations(case_ids: list[int], infectors: dict[int, int]) -> dict[int, int]:
    """Generation of each member from the confirmed links among the members (1 = the first);
    1 for all when there are none or they cannot be used."""
    index = {c: i for i, c in enumerate(case_ids)}
    parent = np.full(len(case_ids), -1, dtype=np.int64)
    for infectee, i in index.items():
        infector = infectors.get(infectee)
        if infector is not None and infector in index:
            parent[i] = index[infector]
    if not (parent >= 0).any():
        return dict.fromkeys(case_ids, 1)
    try:
        chains = analyse_chains(parent)
    except ChainInputError:  # the link services refuse cycles; never guess if one got in
        return dict.fromkeys(case_ids, 1)
    return {c: int(chains.generation[i]) + 1 for c, i in index.items()}


def _status(last_onset: date, as_of: date, disease: Disease) -> str:
    closed = (as_of - last_onset).days >= close_after_days(disease)
    return ClusterStatus.CLOSED if closed else ClusterStatus.OPEN


def _sync_members(cluster: Cluster, group: _Group, generations: dict[int, int],
                  stored: dict[int, ClusterMember]) -> int:
    """Make the stored members (`stored`, by case) the group's; the number of rows changed."""
    changed = 0
    gone = [m.pk for c, m in stored.items() if c not in group.cases]
    if gone:
        changed += ClusterMember.objects.filter(pk__in=gone).delete()[0]
    new = []
    for case_id, day in group.cases.items():
        member = stored.get(case_id)
        generation = generations[case_id]
        if member is None:
            new.append(ClusterMember(cluster=cluster, case_id=case_id, onset_date=day,
                                     generation=generation))
        elif member.onset_date != day or member.generation != generation:
            member.onset_date, member.generation = day, generation
            member.save(update_fields=["onset_date", "generation"])
            changed += 1
    if new:
        ClusterMember.objects.bulk_create(new)
        changed += len(new)
    return changed


def _mark_sources(actor: User | None, cluster_of: dict[int, int]) -> int:
    """Pending investigations of the members (`cluster_of`: case → cluster): source "cluster",
    version bumped, one audit row each (what its history shows). Chunked queries, one UPDATE
    per chunk."""
    case_ids = sorted(cluster_of)
    marked = 0
    for offset in range(0, len(case_ids), CHUNK):
        chunk = case_ids[offset:offset + CHUNK]
        rows = [r for r in Investigation.objects.filter(case_id__in=chunk).values_list(
            "pk", "case_id", "division_code", "version", "source_status", "completed_at")
            if r[4] == SourceStatus.PENDING and r[5] is None]
        if not rows:
            continue
        # Locked, and checked again: an investigator may have decided since the read above.
        done = set(Investigation.objects.select_for_update().filter(
            pk__in=[r[0] for r in rows], source_status=SourceStatus.PENDING,
            completed_at__isnull=True).values_list("pk", flat=True))
        Investigation.objects.filter(pk__in=done).update(
            source_status=SourceStatus.CLUSTER, version=F("version") + 1,
            updated_at=timezone.now())
        for pk, case_id, division, version, *_rest in rows:
            if pk not in done:
                continue
            audit_log(actor=actor, action=AuditAction.UPDATE, object_type="tracing.investigation",
                      object_id=str(pk), division_code=division,
                      summary=f"investigation source v{version + 1}",
                      changes={"source_status": [SourceStatus.PENDING, SourceStatus.CLUSTER],
                               "cluster": cluster_of[case_id]})
            marked += 1
    return marked


def _matching_stored(group: _Group, by_case: dict[int, list[Cluster]]) -> list[Cluster]:
    found: dict[int, Cluster] = {}
    for case_id in group.cases:
        for cluster in by_case.get(case_id, []):
            if cluster.setting_id == group.setting_id:
                found[cluster.pk] = cluster
    return sorted(found.values(), key=lambda c: c.pk)


def clusters_detect(*, disease: Disease, as_of: date | None = None,
                    actor: User | None = None) -> dict[str, Any]:
    """Detect the clusters of `disease` as of `as_of` (default today) and store them; figures
    of what changed. One transaction per disease; a concurrent run of the same disease waits
    (the disease's row is locked)."""
    as_of = as_of or timezone.localdate()
    window = int(disease.exposure_window_days)
    figures: dict[str, Any] = {"disease": disease.code, "as_of": as_of.isoformat(),
                               "window_days": window, "close_after_days":
                               close_after_days(disease), "exposures": 0, "clusters": 0,
                               "created": 0, "updated": 0, "unchanged": 0, "removed": 0,
                               "merged": 0, "open": 0, "closed": 0, "sources_marked": 0}
    with transaction.atomic():
        Disease.objects.select_for_update().filter(pk=disease.pk).first()
        rows, figures["exposures"] = _rows(disease, as_of)
        groups = _groups(rows, window)
        stored = list(Cluster.objects.filter(disease=disease).prefetch_related("members"))
        by_case: dict[int, list[Cluster]] = defaultdict(list)
        for cluster in stored:
            for member in cluster.members.all():
                by_case[member.case_id].append(cluster)
        kept: set[int] = set()
        settings_ = Setting.objects.in_bulk({g.setting_id for g in groups})
        infectors = _confirmed_infectors(sorted({c for g in groups for c in g.cases}))
        cluster_of: dict[int, int] = {}
        for group in groups:
            matches = [c for c in _matching_stored(group, by_case) if c.pk not in kept]
            found = matches[0] if matches else None
            for absorbed in matches[1:]:
                audit_log(actor=actor, action=AuditAction.DELETE, obj=absorbed,
                          summary=f"cluster merged into {found.pk if found else '-'}",
                          changes={"key": absorbed.key, "case_count": absorbed.case_count})
                absorbed.delete()
                figures["merged"] += 1
            case_ids = sorted(group.cases)
            generations = _generations(case_ids, infectors)
            days = list(group.cases.values())
            status = _status(max(days), as_of, disease)
            values: dict[str, Any] = {
                "first_onset": min(days), "last_onset": max(days), "case_count": len(case_ids),
                "generations": max(generations.values()), "status": status,
                "division_code": settings_[group.setting_id].division_code}
            if found is None:
                cluster = Cluster.objects.create(
                    key=f"{disease.code}:{group.setting_id}:{group.first_case}",
                    disease=disease, setting_id=group.setting_id, **values)
                audit_log(actor=actor, action=AuditAction.CREATE, obj=cluster,
                          summary="cluster detected",
                          changes={**{k: str(v) for k, v in values.items()},
                                   "members": case_ids})
                figures["created"] += 1
                member_changes = _sync_members(cluster, group, generations, {})
            else:
                cluster = found
                diff = {k: [str(getattr(cluster, k)), str(v)] for k, v in values.items()
                        if getattr(cluster, k) != v}
                member_changes = _sync_members(
                    cluster, group, generations, {m.case_id: m for m in cluster.members.all()})
                if diff or member_changes:
                    for k, v in values.items():
                        setattr(cluster, k, v)
                    cluster.save()  # updated_at moves only when something changed
                    audit_log(actor=actor, action=AuditAction.UPDATE, obj=cluster,
                              summary="cluster updated",
                              changes={**diff, "members": case_ids})
                    figures["updated"] += 1
                else:
                    figures["unchanged"] += 1
            kept.add(cluster.pk)
            figures[status] += 1
            cluster_of.update(dict.fromkeys(case_ids, cluster.pk))
        for cluster in stored:
            if cluster.pk not in kept and Cluster.objects.filter(pk=cluster.pk).exists():
                audit_log(actor=actor, action=AuditAction.DELETE, obj=cluster,
                          summary="cluster no longer meets the definition",
                          changes={"key": cluster.key, "case_count": cluster.case_count})
                cluster.delete()
                figures["removed"] += 1
        figures["sources_marked"] = _mark_sources(actor, cluster_of)
        figures["clusters"] = len(groups)
    return figures


def clusters_detect_all(*, as_of: date | None = None,
                        actor: User | None = None) -> dict[str, Any]:
    """Every active disease that has case exposures at settings (the nightly task)."""
    codes = set(Exposure.objects.filter(setting__isnull=False, investigation__isnull=False)
                .values_list("investigation__case__disease_id", flat=True).distinct())
    codes |= set(Cluster.objects.values_list("disease_id", flat=True).distinct())
    out = {}
    for disease in Disease.objects.filter(code__in=codes).order_by("code"):
        out[disease.code] = clusters_detect(disease=disease, as_of=as_of, actor=actor)
    return {"as_of": (as_of or timezone.localdate()).isoformat(), "diseases": out}
