"""Transmission links (infector → infectee): confirm, confirm many at once, reject, and the
system's proposals of candidate infectors (decision 1030).

- `link_confirm`: an investigator names a case's infector. A case has at most one confirmed
  infector; naming another replaces the first only with `replace=True` and a reason (the first
  link is then kept as rejected, with that reason). The same link again stores nothing new.
- `links_confirm_bulk`: many pairs (an importer's edge list) in one transaction: all stored or
  none, every bad pair named in the error.
- `link_reject`: a proposal (or a confirmed link, with a reason) is ruled out.
- `links_propose` (services/link_proposals.py): candidate infectors ranked by
  shouwang.epi.infector, the best stored as proposed links with score, rank and reasons.

Before anything is written, the confirmed links plus the new ones are checked as one graph
with shouwang.epi.chains.link_problems: no self-link, no cycle, no infectee ill more than
`max_onset_lead_days()` before its infector (pre-symptomatic transmission). The case rows at
the top of the chains involved are locked first (`_lock_roots`), so two investigators closing
a cycle from both ends at once are serialised and the second is refused.

The infectee must lie in the actor's jurisdiction (its source is its investigation's
question); the infector may be a case of another division (a chain crossing divisions).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.epi.chains import NO_INFECTOR, link_problems
from shouwang.surveillance.models import CaseReport, CaseStatus
from shouwang.tracing.models import LinkStatus, Setting, TransmissionLink
from shouwang.tracing.services.investigations import investigations_source_known

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "tracing.write"
REASON_MAX = 255
BULK_MAX = 20000
# An infectee may fall ill this many days before its infector: infectiousness starts two to
# three days before onset (He et al. 2020, Nat Med 26:672–675) and incubation lasts at least a
# day. Override with settings.SHOUWANG_TRACING_MAX_ONSET_LEAD_DAYS.
DEFAULT_MAX_ONSET_LEAD_DAYS = 2.0
_CHUNK = 900   # ids per IN (…) query: well under SQLite's bound-variable limit


def max_onset_lead_days() -> float:
    value = getattr(settings, "SHOUWANG_TRACING_MAX_ONSET_LEAD_DAYS",
                    DEFAULT_MAX_ONSET_LEAD_DAYS)
    try:
        lead = float(value)
    except (TypeError, ValueError):
        lead = -1.0
    if not lead >= 0:
        raise ImproperlyConfigured(
            f"SHOUWANG_TRACING_MAX_ONSET_LEAD_DAYS must be a number ≥ 0, got {value!r}")
    return lead


def require_write(actor: User) -> None:
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def case_ref(case_id: int) -> str:
    """How an error names a case: its report number only, never the person."""
    return f"#{case_id}"


def clean_reason(reason: str | None, *, required: bool, message: str = "") -> str:
    text = (reason or "").strip()
    if required and not text:
        raise InvalidInput({"reason": [message or _("此项为必填项。")]})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": [_("不能超过 %(n)s 个字符。") % {"n": REASON_MAX}]})
    return text


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(set(ids))
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _lock_roots(cases: Iterable[int]) -> None:
    """Lock the case rows at the top of the chains the cases are on (PostgreSQL; SQLite
    serialises writers anyway), all in one statement in id order, so that two confirmations
    never wait for each other crosswise. Two new links that close a cycle together always share
    these roots (each infectee is the root of its own tree until it is linked), so the second
    waits for the first and then sees its link."""
    stored = _ancestry(cases, {})
    roots = set()
    for case in cases:
        node, seen = case, set()
        while node in stored and node not in seen:
            seen.add(node)
            node = stored[node]
        roots.add(node)
    for chunk in _chunks(roots):
        list(CaseReport.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
             .values_list("pk", flat=True))


def _confirmed_parents(ids: Iterable[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        out.update(TransmissionLink.objects.filter(status=LinkStatus.CONFIRMED,
                                                   infectee_id__in=chunk)
                   .values_list("infectee_id", "infector_id"))
    return out


def _ancestry(start: Iterable[int], new_parent: dict[int, int]) -> dict[int, int]:
    """The confirmed infector of every case reachable upwards from `start` (new links taking
    the place of a case's stored one), walking one generation per query."""
    parent: dict[int, int] = {}
    seen: set[int] = set()
    frontier = set(start)
    while frontier:
        seen |= frontier
        stored = _confirmed_parents(frontier - set(new_parent))
        step = {**stored, **{c: new_parent[c] for c in frontier if c in new_parent}}
        parent.update(step)
        frontier = set(step.values()) - seen
    return parent


def _onset_day(day: date | None) -> float:
    return float(day.toordinal()) if day is not None else float("nan")


def _graph_errors(pairs: Sequence[tuple[CaseReport, CaseReport]]) -> list[str]:
    """Every self-link, early onset and cycle the confirmed links plus `pairs` would have, as
    messages naming the cases. Locks the roots of their chains first."""
    import numpy as np

    new_parent = {infectee.pk: infector.pk for infector, infectee in pairs}
    cases = {c.pk: c for pair in pairs for c in pair}
    _lock_roots(cases)
    # Walked after the locks: a link committed meanwhile is seen.
    parent = _ancestry(cases, new_parent)
    nodes = sorted(set(parent) | set(parent.values()) | set(cases))
    index = {pk: i for i, pk in enumerate(nodes)}
    infector = np.full(len(nodes), NO_INFECTOR, dtype=np.int64)
    for child_id, source_id in parent.items():
        infector[index[child_id]] = index[source_id]
    onset = np.array([_onset_day(cases[pk].onset_date) if pk in cases else np.nan
                      for pk in nodes])
    lead = max_onset_lead_days()
    messages: list[str] = []
    for problem in link_problems(infector, onset, max_onset_lead=lead):
        ids = [nodes[i] for i in problem.cases]
        if problem.kind == "self":
            messages.append(_("病例 %(case)s 不能是自己的传染者。") % {"case": case_ref(ids[0])})
        elif problem.kind == "onset":
            if ids[0] not in new_parent:
                continue   # a stored link, judged when it was confirmed
            child, source = cases[ids[0]], cases[ids[1]]
            messages.append(_(
                "病例 %(infectee)s 的发病日期 %(d1)s 比其传染者 %(infector)s 的发病日期 %(d2)s "
                "早 %(days)s 天（最多允许 %(lead)s 天），不可能由其传染。") % {
                "infectee": case_ref(child.pk), "infector": case_ref(source.pk),
                "d1": child.onset_date, "d2": source.onset_date,
                "days": (source.onset_date - child.onset_date).days
                if child.onset_date and source.onset_date else "?",
                "lead": f"{lead:g}"})
        else:
            # The path follows infector pointers (case → its infector …); say it as spread.
            path = " → ".join(case_ref(pk) for pk in reversed(ids))
            messages.append(_("这些传播关系会形成循环（传染者 → 被传染者）：%(path)s。")
                            % {"path": path})
    return messages


def _check_pair(actor: User, infector: CaseReport, infectee: CaseReport) -> list[str]:
    """Checks of one pair that need no graph: the actor's jurisdiction, live reports, one
    disease. NotFound when the infectee is outside the jurisdiction."""
    if not in_jurisdiction(actor, infectee.division_code):
        raise NotFound(infectee.pk)
    errors: list[str] = []
    if infector.pk == infectee.pk:
        return [_("病例 %(case)s 不能是自己的传染者。") % {"case": case_ref(infectee.pk)}]
    for case in (infector, infectee):
        if case.status != CaseStatus.ACTIVE:
            errors.append(_("病例 %(case)s 已删除或已合并，不能建立传播关系。")
                          % {"case": case_ref(case.pk)})
    if infector.disease_id != infectee.disease_id:
        errors.append(_("传染者 %(infector)s 与被传染者 %(infectee)s 不是同一病种。") % {
            "infector": case_ref(infector.pk), "infectee": case_ref(infectee.pk)})
    return errors


def _link_values(infector: CaseReport, infectee: CaseReport) -> dict[str, Any]:
    return {"infector_division_code": infector.division_code,
            "infectee_division_code": infectee.division_code}


def _store_confirmed(actor: User, infector: CaseReport, infectee: CaseReport, *,
                     setting: Setting | None, exposure_date: date | None,
                     reason: str) -> tuple[TransmissionLink, str]:
    """Create or promote the pair's row to confirmed; (link, what happened)."""
    now = timezone.now()
    values = {**_link_values(infector, infectee), "status": LinkStatus.CONFIRMED,
              "decided_by": actor, "decided_at": now, "reason": reason}
    if setting is not None:
        values["setting"] = setting
    if exposure_date is not None:
        values["exposure_date"] = exposure_date
    link = (TransmissionLink.objects.select_for_update()
            .filter(infector=infector, infectee=infectee).first())
    if link is None:
        return TransmissionLink.objects.create(infector=infector, infectee=infectee,
                                               **values), "created"
    before = link.status
    for key, value in values.items():
        setattr(link, key, value)
    link.save()
    return link, f"{before}→confirmed"


def _infector_exists(infectee_id: int, current_id: int) -> InvalidInput:
    return InvalidInput({"infector": [
        _("病例 %(infectee)s 已有确认的传染者 %(current)s；如需更换，请选择“替换”并说明原因。")
        % {"infectee": case_ref(infectee_id), "current": case_ref(current_id)}]},
        code="infector_exists")


def _unique_violation(infectee: CaseReport) -> InvalidInput:
    current = (TransmissionLink.objects.filter(infectee=infectee, status=LinkStatus.CONFIRMED)
               .values_list("infector_id", flat=True).first())
    return _infector_exists(infectee.pk, current or 0)


def link_confirm(*, actor: User, infector: CaseReport, infectee: CaseReport,
                 setting: Setting | None = None, exposure_date: date | None = None,
                 reason: str = "", replace: bool = False) -> TransmissionLink:
    """Confirm that `infector` infected `infectee` (see the module docstring)."""
    require_write(actor)
    errors = _check_pair(actor, infector, infectee)
    if errors:
        raise InvalidInput({"infector": errors})
    if exposure_date is not None and infectee.onset_date is not None \
            and exposure_date > infectee.onset_date:
        raise InvalidInput({"exposure_date": [_("暴露日期不能晚于被传染者的发病日期 %(d)s。")
                                              % {"d": infectee.onset_date}]})
    reason = clean_reason(reason, required=replace,
                          message=_("替换已确认的传染者须说明原因。"))
    try:
        with transaction.atomic():
            current = (TransmissionLink.objects.select_for_update()
                       .filter(infectee=infectee, status=LinkStatus.CONFIRMED).first())
            if current is not None and current.infector_id == infector.pk:
                return current   # the same link again: nothing new
            if current is not None and not replace:
                raise _infector_exists(infectee.pk, current.infector_id)
            messages = _graph_errors([(infector, infectee)])
            if messages:
                raise InvalidInput({"infector": messages}, code="invalid_link")
            replaced: int | None = None
            if current is not None:
                replaced = current.infector_id
                current.status = LinkStatus.REJECTED
                current.decided_by = actor
                current.decided_at = timezone.now()
                current.reason = (_("被替换为 %(new)s：%(reason)s")
                                  % {"new": case_ref(infector.pk), "reason": reason}
                                  )[:REASON_MAX]
                current.save(update_fields=["status", "decided_by", "decided_at", "reason"])
                audit_log(actor=actor, action=AuditAction.UPDATE, obj=current,
                          summary="transmission link replaced",
                          changes={"status": [LinkStatus.CONFIRMED, LinkStatus.REJECTED],
                                   "replaced_by": infector.pk, "reason": reason})
            link, what = _store_confirmed(actor, infector, infectee, setting=setting,
                                          exposure_date=exposure_date, reason=reason)
            investigations_source_known(actor=actor, case_ids=[infectee.pk])
            audit_log(actor=actor,
                      action=AuditAction.CREATE if what == "created" else AuditAction.UPDATE,
                      obj=link, division_code=infectee.division_code,
                      summary="transmission link confirmed",
                      changes={"infector": infector.pk, "infectee": infectee.pk,
                               "status": what, "replaced": replaced, "reason": reason})
    except IntegrityError:
        # Another investigator confirmed an infector of this case meanwhile.
        raise _unique_violation(infectee) from None
    return link


def links_confirm_bulk(*, actor: User, pairs: Sequence[tuple[CaseReport, CaseReport]],
                       reason: str = "") -> list[TransmissionLink]:
    """Confirm many (infector, infectee) pairs at once: all or nothing, in one transaction.
    Pairs already confirmed are returned as they are (a re-sent file stores nothing new). Every
    bad pair is named in one InvalidInput on `pairs`; a case given two infectors, or one
    differing from its confirmed infector, is an error (replacing is `link_confirm`'s, with a
    reason). Returns the links in the order of `pairs`."""
    require_write(actor)
    if not pairs:
        raise InvalidInput({"pairs": [_("请提供至少一对传染者与被传染者。")]})
    if len(pairs) > BULK_MAX:
        raise InvalidInput({"pairs": [_("一次最多确认 %(n)s 对传播关系。") % {"n": BULK_MAX}]})
    reason = clean_reason(reason, required=False)
    errors: list[str] = []
    wanted: dict[int, CaseReport] = {}
    unique: list[tuple[CaseReport, CaseReport]] = []
    for infector, infectee in pairs:
        try:
            errors += _check_pair(actor, infector, infectee)
        except NotFound:
            errors.append(_("被传染者 %(case)s 不在您的辖区内。") % {"case": case_ref(infectee.pk)})
            continue
        other = wanted.get(infectee.pk)
        if other is not None and other.pk != infector.pk:
            errors.append(_("病例 %(infectee)s 被指定了两个传染者：%(a)s 和 %(b)s。") % {
                "infectee": case_ref(infectee.pk), "a": case_ref(other.pk),
                "b": case_ref(infector.pk)})
        elif other is None:
            wanted[infectee.pk] = infector
            unique.append((infector, infectee))
    if errors:
        raise InvalidInput({"pairs": list(dict.fromkeys(errors))}, code="invalid_link")
    with transaction.atomic():
        existing = _confirmed_parents(wanted)
        for infectee_id, infector_id in existing.items():
            if wanted[infectee_id].pk != infector_id:
                errors.append(_(
                    "病例 %(infectee)s 已有确认的传染者 %(current)s，与本次的 %(new)s 不同。") % {
                    "infectee": case_ref(infectee_id), "current": case_ref(infector_id),
                    "new": case_ref(wanted[infectee_id].pk)})
        if errors:
            raise InvalidInput({"pairs": errors}, code="infector_exists")
        fresh = [(a, b) for a, b in unique if b.pk not in existing]
        if fresh:
            messages = _graph_errors(fresh)
            if messages:
                raise InvalidInput({"pairs": messages}, code="invalid_link")
        by_pair: dict[tuple[int, int], TransmissionLink] = {}
        for chunk in _chunks(wanted):
            for link in TransmissionLink.objects.filter(infectee_id__in=chunk):
                by_pair[(link.infector_id, link.infectee_id)] = link
        now = timezone.now()
        create: list[TransmissionLink] = []
        promote: list[TransmissionLink] = []
        for infector, infectee in fresh:
            stored = by_pair.get((infector.pk, infectee.pk))
            if stored is None:
                link = TransmissionLink(infector=infector, infectee=infectee,
                                        **_link_values(infector, infectee))
                create.append(link)
            else:
                link = stored
                promote.append(link)
            link.status = LinkStatus.CONFIRMED
            link.decided_by = actor
            link.decided_at = now
            link.reason = reason
            by_pair[(infector.pk, infectee.pk)] = link
        try:
            with transaction.atomic():
                TransmissionLink.objects.bulk_create(create, batch_size=500)
                TransmissionLink.objects.bulk_update(
                    promote, ["status", "decided_by", "decided_at", "reason"], batch_size=500)
        except IntegrityError:
            raise InvalidInput({"pairs": [
                _("其他调查人员同时确认了其中某些病例的传染者，请刷新后重试。")]},
                code="infector_exists") from None
        if fresh:
            investigations_source_known(actor=actor, case_ids=[b.pk for _a, b in fresh])
            created = [link for link in by_pair.values() if link.pk is None]
            if created:   # backends that return no ids from bulk_create
                for chunk in _chunks(wanted):
                    for link in TransmissionLink.objects.filter(infectee_id__in=chunk):
                        by_pair[(link.infector_id, link.infectee_id)] = link
            audit_log(actor=actor, action=AuditAction.CREATE,
                      object_type="tracing.transmissionlink", object_id=f"bulk:{len(fresh)}",
                      summary="transmission links confirmed in bulk",
                      changes={"pairs": [[a.pk, b.pk] for a, b in fresh],
                               "promoted": len(promote), "reason": reason})
    return [by_pair[(infector.pk, infectee.pk)] if (infector.pk, infectee.pk) in by_pair
            else _existing(infector, infectee) for infector, infectee in pairs]


def _existing(infector: CaseReport, infectee: CaseReport) -> TransmissionLink:
    return TransmissionLink.objects.get(infector=infector, infectee=infectee)


def link_reject(*, actor: User, link: TransmissionLink, reason: str = "") -> TransmissionLink:
    """Rule a link out. A proposal needs no reason; un-confirming a confirmed link does. Only
    an actor whose jurisdiction holds the infectee decides its source."""
    require_write(actor)
    with transaction.atomic():
        current = TransmissionLink.objects.select_for_update().filter(pk=link.pk).first()
        if current is None or not in_jurisdiction(actor, current.infectee_division_code):
            raise NotFound(link.pk)
        if current.status == LinkStatus.REJECTED:
            return current
        reason = clean_reason(reason, required=current.status == LinkStatus.CONFIRMED,
                              message=_("撤销已确认的传播关系须说明原因。"))
        before = current.status
        current.status = LinkStatus.REJECTED
        current.decided_by = actor
        current.decided_at = timezone.now()
        current.reason = reason
        current.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=current,
                  division_code=current.infectee_division_code,
                  summary="transmission link rejected",
                  changes={"status": [before, LinkStatus.REJECTED], "reason": reason})
    return current


__all__ = ["WRITE", "case_ref", "link_confirm", "link_reject", "links_confirm_bulk",
           "max_onset_lead_days"]
