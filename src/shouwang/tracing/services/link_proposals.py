"""Proposed transmission links: candidate infectors of a case ranked by exposure timing and
serial-interval likelihood (shouwang.epi.infector; decision 1030).

Candidates, for a case of disease D:
1. cases of D whose investigation has an exposure at the same setting on overlapping days;
2. index cases of D whose contact list holds the case's person (the contact that became this
   case, or the same ID-number or phone hash);
3. only when neither gives anyone: cases of D in the same county ill within the serial interval
   before the case (at most FALLBACK_MAX, nearest the mean interval first).

Each pair gets one plausible exposure day from the days they shared
(epi.infector.plausible_exposure_day) and is ranked with rank_infectors over the disease's
serial interval (warning/data/serial_intervals.csv). The best `top` that fit are stored as
proposed links with the probability among the case's candidates, the rank and the reasons
(structured, rendered in the reader's language by selectors/chains.py). The investigator
confirms one (services/links.link_confirm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, prefix_q
from shouwang.epi.infector import FITS, plausible_exposure_day, rank_infectors
from shouwang.surveillance.models import CaseReport, CaseStatus, Classification
from shouwang.tracing.models import Contact, Exposure, LinkStatus, TransmissionLink
from shouwang.tracing.services.links import (
    _chunks,
    _link_values,
    max_onset_lead_days,
    require_write,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.warning.services.nightly_config import SerialInterval


# --- proposals ------------------------------------------------------------------------------


PROPOSE_TOP = 3
FALLBACK_MAX = 200   # county cases ranked when nothing links the case to anyone
# What a proposal counts as a case (a suspected case is not yet a source).
SOURCE_CLASSES = (Classification.CONFIRMED, Classification.ASYMPTOMATIC, Classification.CLINICAL)


@dataclass
class _Candidate:
    case: CaseReport
    reasons: list[dict[str, Any]] = field(default_factory=list)
    span: tuple[date, date] | None = None   # days the two may have met

    def meet(self, start: date, end: date) -> None:
        if self.span is None:
            self.span = (start, end)
        else:
            self.span = (min(self.span[0], start), max(self.span[1], end))


@dataclass(frozen=True)
class Proposals:
    links: list[TransmissionLink]            # stored, best first
    considered: int                          # candidates ranked
    ruled_out: list[tuple[int, str]]         # (case id, why: an epi.infector reason)
    fallback: bool                           # candidates came from the county, nothing linked


def _day_of(case: CaseReport) -> tuple[date, bool]:
    """The day that counts for the serial interval: onset, else (an asymptomatic infection)
    the day of diagnosis; and whether it was the surrogate."""
    if case.onset_date is not None:
        return case.onset_date, False
    return timezone.localdate(case.diagnosed_at), True


def _sources() -> QuerySet[CaseReport]:
    return CaseReport.objects.filter(status=CaseStatus.ACTIVE,
                                     classification__in=SOURCE_CLASSES)


def _setting_candidates(infectee: CaseReport, found: dict[int, _Candidate]) -> None:
    mine = list(Exposure.objects.filter(investigation__case=infectee, setting__isnull=False)
                .select_related("setting"))
    for own in mine:
        assert own.setting is not None
        others = (Exposure.objects.filter(setting=own.setting,
                                          investigation__isnull=False,
                                          started_on__lte=own.ended_on,
                                          ended_on__gte=own.started_on,
                                          investigation__case__in=_sources().filter(
                                              disease_id=infectee.disease_id))
                  .exclude(investigation__case=infectee)
                  .select_related("investigation__case"))
        for other in others:
            case = other.investigation.case  # type: ignore[union-attr]
            start, end = max(own.started_on, other.started_on), min(own.ended_on,
                                                                    other.ended_on)
            cand = found.setdefault(case.pk, _Candidate(case))
            cand.meet(start, end)
            cand.reasons.append({"code": "setting", "setting": own.setting_id,
                                 "kind": own.setting.kind, "label": own.setting.label,
                                 "division": own.setting.division_code,
                                 "from": start.isoformat(), "to": end.isoformat()})


def _contact_candidates(infectee: CaseReport, found: dict[int, _Candidate]) -> None:
    same_person = Q(became_case=infectee)
    if infectee.id_number_hash:
        same_person |= Q(id_number_hash=infectee.id_number_hash)
    if infectee.phone_hash:
        same_person |= Q(phone_hash=infectee.phone_hash)
    contacts = (Contact.objects.filter(same_person, index_case__in=_sources().filter(
        disease_id=infectee.disease_id)).exclude(index_case=infectee)
        .select_related("index_case"))
    window = timedelta(days=int(infectee.disease.exposure_window_days))
    for contact in contacts:
        cand = found.setdefault(contact.index_case_id, _Candidate(contact.index_case))
        cand.meet(contact.last_exposure_on - window, contact.last_exposure_on)
        cand.reasons.append({"code": "contact", "contact": contact.pk, "kind": contact.kind,
                             "last_exposure": contact.last_exposure_on.isoformat()})


def _county_candidates(infectee: CaseReport, day: date, si: SerialInterval,
                       found: dict[int, _Candidate]) -> None:
    """Cases of the same county ill within the serial interval before the case (a fallback:
    nothing links them but place and time), the nearest to the mean interval first."""
    longest = timedelta(days=math.ceil(si.mean + 3 * si.sd))
    lead = timedelta(days=max_onset_lead_days())
    county = infectee.division_code[:6]
    near = (_sources().filter(disease_id=infectee.disease_id, onset_date__gte=day - longest,
                              onset_date__lte=day + lead)
            .filter(prefix_q("division_code", county)).exclude(pk=infectee.pk))
    typical = day - timedelta(days=round(si.mean))
    ranked = sorted(near.only("pk", "onset_date", "division_code", "diagnosed_at",
                              "disease_id")[:FALLBACK_MAX * 5],
                    key=lambda c: abs((c.onset_date - typical).days) if c.onset_date else 0)
    for case in ranked[:FALLBACK_MAX]:
        cand = found.setdefault(case.pk, _Candidate(case))
        cand.reasons.append({"code": "county", "county": county})


def _descendants(case_id: int) -> set[int]:
    """Cases the case infected, directly or not, by confirmed links: naming one of them its
    infector would close a cycle."""
    out: set[int] = set()
    frontier = {case_id}
    while frontier:
        step: set[int] = set()
        for chunk in _chunks(frontier):
            step |= set(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                                        infector_id__in=chunk)
                        .values_list("infectee_id", flat=True))
        frontier = step - out - {case_id}
        out |= frontier
    return out


def _serial_interval(infectee: CaseReport) -> SerialInterval:
    from shouwang.warning.services.nightly_config import serial_intervals

    si = serial_intervals().get(infectee.disease_id)
    if si is None:
        raise InvalidInput({"infectee": [_("病种“%(d)s”没有序列间隔参数，无法推荐传染者。")
                                         % {"d": infectee.disease.name}]},
                           code="no_serial_interval")
    return si


def links_propose(*, actor: User, infectee: CaseReport, top: int = PROPOSE_TOP) -> Proposals:
    """Rank the candidate infectors of `infectee` and store the best `top` that fit as
    proposed links (replacing the case's earlier proposals). Confirmed and rejected pairs keep
    their status: a confirmed infector among the best gets its score, a rejected one is not
    proposed again, a case the infectee infected is never proposed (a cycle)."""
    require_write(actor)
    if not in_jurisdiction(actor, infectee.division_code):
        raise NotFound(infectee.pk)
    if not 1 <= top <= 20:
        raise InvalidInput({"top": [_("推荐数量须在 1 到 20 之间。")]})
    si = _serial_interval(infectee)
    day, surrogate = _day_of(infectee)
    found: dict[int, _Candidate] = {}
    _setting_candidates(infectee, found)
    _contact_candidates(infectee, found)
    fallback = not found
    if fallback:
        _county_candidates(infectee, day, si, found)
    rejected = set(TransmissionLink.objects.filter(infectee=infectee,
                                                   status=LinkStatus.REJECTED)
                   .values_list("infector_id", flat=True))
    below = _descendants(infectee.pk)
    ruled_out = [(pk, "infected by the case") for pk in sorted(set(found) & below)]
    candidates = [c for pk, c in sorted(found.items()) if pk not in below | rejected]
    stored: list[TransmissionLink] = []
    with transaction.atomic():
        ranked = _ranked(infectee, day, surrogate, candidates, si)
        ruled_out += [(c.case.pk, why) for c, _s, _r, why in ranked if why != FITS]
        best = [r for r in ranked if r[3] == FITS][:top]
        keep: set[int] = set()
        for cand, score, rank, _why in best:
            link = (TransmissionLink.objects.select_for_update()
                    .filter(infector=cand.case, infectee=infectee).first())
            if link is None:
                link = TransmissionLink(infector=cand.case, infectee=infectee,
                                        status=LinkStatus.PROPOSED,
                                        **_link_values(cand.case, infectee))
            # The ranking's competition rank: candidates that fit equally well share it.
            link.score, link.rank, link.reasons = score, rank, cand.reasons
            link.save()
            keep.add(link.pk)
            stored.append(link)
        stale = (TransmissionLink.objects.filter(infectee=infectee, status=LinkStatus.PROPOSED)
                 .exclude(pk__in=keep))
        dropped = list(stale.values_list("infector_id", flat=True))
        stale.delete()
        audit_log(actor=actor, action=AuditAction.UPDATE, object_type="tracing.transmissionlink",
                  object_id=f"proposals:{infectee.pk}", division_code=infectee.division_code,
                  summary="infector proposals ranked",
                  changes={"infectee": infectee.pk, "proposed": [x.infector_id for x in stored],
                           "dropped": dropped, "considered": len(candidates),
                           "fallback": fallback})
    return Proposals(links=stored, considered=len(candidates), ruled_out=ruled_out,
                     fallback=fallback)


def _ranked(infectee: CaseReport, day: date, surrogate: bool, candidates: list[_Candidate],
          si: SerialInterval) -> list[tuple[_Candidate, float, int, str]]:
    """(candidate, probability, rank, epi.infector reason), best first; each fitting
    candidate's reasons gain the serial-interval numbers."""
    import numpy as np

    if not candidates:
        return []
    days = [day] + [_day_of(c.case)[0] for c in candidates]
    onset = np.array([d.toordinal() for d in days], dtype=np.float64)
    nan = float("nan")
    start = np.array([c.span[0].toordinal() if c.span else nan for c in candidates])
    end = np.array([c.span[1].toordinal() if c.span else nan for c in candidates])
    exposed = plausible_exposure_day(start, end, source_onset=onset[1:],
                                     case_onset=np.full(len(candidates), onset[0]))
    pairs = np.arange(1, len(candidates) + 1)
    ranking = rank_infectors(np.zeros(len(candidates), dtype=np.int64), pairs, onset=onset,
                             exposure_day=exposed, mean_si=si.mean, std_si=si.sd)
    out: list[tuple[_Candidate, float, int, str]] = []
    for i, cand in enumerate(candidates):
        why = ranking.reason[i]
        if why == FITS:
            gap = int(onset[0] - onset[i + 1])
            cand.reasons.append({"code": "serial_interval", "gap_days": gap,
                                 "mean_si": si.mean, "sd_si": si.sd,
                                 "likelihood": float(ranking.likelihood[i])})
            if np.isfinite(exposed[i]):
                cand.reasons.append({"code": "exposure_day",
                                     "day": date.fromordinal(int(exposed[i])).isoformat()})
            if surrogate or _day_of(cand.case)[1]:
                cand.reasons.append({"code": "surrogate_onset"})
        probability = float(ranking.probability[i])
        out.append((cand, probability if math.isfinite(probability) else 0.0,
                    int(ranking.rank[i]), why))
    out.sort(key=lambda r: (r[3] != FITS, r[2], r[0].case.pk))
    return out


__all__ = ["FALLBACK_MAX", "PROPOSE_TOP", "Proposals", "links_propose"]
