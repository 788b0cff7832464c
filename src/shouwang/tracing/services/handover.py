"""Hand-overs of contacts between counties (协查移交): the finding county hands a contact to the
county where the person lives; the receiver accepts (the contact is then followed there) or
refuses with a reason (the contact stays with, and is shown back to, the sender); the sender may
cancel while it is pending.

    pending ──accept (receiver)──▶ accepted      contact.division_code := receiver
       │────refuse (receiver, reason)──▶ refused  contact stays with the sender
       └────cancel (sender)──▶ cancelled

A decision is applied with `UPDATE … WHERE status = 'pending'`: of two officers deciding the
same hand-over only the first succeeds, the second gets `HandOverConflict` (409). A hand-over is
never deleted; both sides always see it (selectors/contacts.py). At most one is pending per
contact (a database constraint; the service names the county it is pending with).
Decision: docs/decisions/1020-contacts-and-hand-over.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.selectors import division_names
from shouwang.tracing.models import Contact, HandOver, HandOverStatus
from shouwang.tracing.services.contacts import (
    COUNTY,
    FOLLOWED,
    apply_version,
    elsewhere_message,
    followed_elsewhere,
    require_write,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

NOTE_MAX = 255


class HandOverConflict(Exception):
    """The hand-over was decided (or cancelled) since the caller read it."""

    def __init__(self, hand_over_id: int, current_status: str | None) -> None:
        self.hand_over_id = hand_over_id
        self.current_status = current_status
        super().__init__(f"hand-over {hand_over_id} is {current_status}")

    @property
    def message(self) -> str:
        label = (str(HandOverStatus(self.current_status).label)
                 if self.current_status in HandOverStatus.values else "")
        return _("该移交已被处理（当前状态：%(s)s），请刷新后查看。") % {"s": label}


def _county_name(code: str) -> str:
    return division_names([code]).get(code, code)


def _audit(actor: User, hand_over: HandOver, summary: str, changes: dict[str, object]) -> None:
    # Filed under both sides' divisions: the receiver's (the row's `to`) and the contact's.
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=hand_over,
              division_code=hand_over.from_division_code, summary=summary, changes=changes)


def _county(code: str) -> str:
    return code[:COUNTY]


def handover_create(*, actor: User, contact: Contact, version: int, to_division_code: str,
                    note: str = "") -> HandOver:
    """Hand `contact` to the county `to_division_code` (the county of residence, usually).

    The contact must be followed by the actor's jurisdiction and still open; refused when a
    hand-over of it is already pending (naming where) or when the receiving county is its own.
    `version` is the contact's version as read: the hand-over bumps it."""
    require_write(actor)
    if not in_jurisdiction(actor, contact.division_code):
        raise PermissionDenied("jurisdiction")
    from shouwang.geo.models import Division, Level

    to = (to_division_code or "").strip()
    text = (note or "").strip()
    errors: dict[str, str] = {}
    if not to:
        errors["to_division_code"] = _("此项为必填项。")
    elif not Division.objects.filter(code=to, level=Level.COUNTY).exists():
        errors["to_division_code"] = _("接收方应为县级区划。")
    elif to == _county(contact.division_code):
        errors["to_division_code"] = _("不能移交给本县区。")
    if len(text) > NOTE_MAX:
        errors["note"] = _("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}
    if contact.status not in FOLLOWED:
        errors["contact"] = _("该接触者已结案，不能移交。")
    pending = HandOver.objects.filter(contact=contact, status=HandOverStatus.PENDING).first()
    if pending is not None:
        errors["to_division_code"] = _(
            "该接触者已有待接收的移交（移交至 %(county)s），不能同时移交给两个县区；"
            "请等待对方处理或先撤回。") % {"county": _county_name(pending.to_division_code)}
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            fresh = apply_version(contact, version=version)
            hand_over = HandOver.objects.create(
                contact=fresh, from_division_code=_county(fresh.division_code),
                to_division_code=to, note=text, requested_by=actor)
            _audit(actor, hand_over, f"contact #{contact.pk} handed over",
                   {"status": HandOverStatus.PENDING, "to_division_code": to})
    except IntegrityError:
        # Another officer handed it over at the same moment: the constraint kept one.
        raise InvalidInput({"to_division_code": _(
            "该接触者已有待接收的移交，不能同时移交给两个县区。")}) from None
    return hand_over


def _decide(hand_over: HandOver, status: str, actor: User, **values: object) -> HandOver:
    now = timezone.now()
    updated = HandOver.objects.filter(pk=hand_over.pk, status=HandOverStatus.PENDING).update(
        status=status, decided_by=actor, decided_at=now, **values)
    if not updated:
        current = HandOver.objects.filter(pk=hand_over.pk).values_list("status",
                                                                        flat=True).first()
        raise HandOverConflict(hand_over.pk, current)
    return HandOver.objects.select_related("contact").get(pk=hand_over.pk)


def _require_receiver(actor: User, hand_over: HandOver) -> None:
    require_write(actor)
    if not in_jurisdiction(actor, hand_over.to_division_code):
        raise PermissionDenied("jurisdiction")


def handover_accept(*, actor: User, hand_over: HandOver) -> HandOver:
    """The receiving county takes the contact over: it is followed there from now on."""
    _require_receiver(actor, hand_over)
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=hand_over.contact_id)
        elsewhere = followed_elsewhere(
            id_number_hash=contact.id_number_hash, name_hash=contact.name_hash,
            birth_date=contact.birth_date, county=_county(hand_over.to_division_code),
            exclude_pk=contact.pk)
        if elsewhere is not None:
            # The person is followed elsewhere under another record (for another index case):
            # taking this one over would follow them in two counties at once.
            raise InvalidInput({"contact": elsewhere_message(elsewhere)},
                               code="followed_elsewhere")
        decided = _decide(hand_over, HandOverStatus.ACCEPTED, actor)
        before = contact.division_code
        moved = apply_version(contact, version=None, division_code=hand_over.to_division_code)
        _audit(actor, decided, f"contact #{contact.pk} hand-over accepted",
               {"status": [HandOverStatus.PENDING, HandOverStatus.ACCEPTED]})
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=moved,
                  summary="contact taken over by the county of residence",
                  changes={"division_code": [before, moved.division_code]})
    return decided


def handover_refuse(*, actor: User, hand_over: HandOver, reason: str) -> HandOver:
    """The receiving county refuses, with the reason: the contact stays with the sender, who
    sees the hand-over among the returned ones with that reason."""
    _require_receiver(actor, hand_over)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"refusal_reason": _("拒收时须填写原因。")})
    if len(text) > NOTE_MAX:
        raise InvalidInput({"refusal_reason": _("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}})
    with transaction.atomic():
        decided = _decide(hand_over, HandOverStatus.REFUSED, actor, refusal_reason=text)
        _audit(actor, decided, f"contact #{hand_over.contact_id} hand-over refused",
               {"status": [HandOverStatus.PENDING, HandOverStatus.REFUSED],
                "refusal_reason": text})
    return decided


def handover_cancel(*, actor: User, hand_over: HandOver) -> HandOver:
    """The sender withdraws a pending hand-over (to send it elsewhere, or to keep it)."""
    require_write(actor)
    if not in_jurisdiction(actor, hand_over.from_division_code):
        raise PermissionDenied("jurisdiction")
    with transaction.atomic():
        decided = _decide(hand_over, HandOverStatus.CANCELLED, actor)
        _audit(actor, decided, f"contact #{hand_over.contact_id} hand-over cancelled",
               {"status": [HandOverStatus.PENDING, HandOverStatus.CANCELLED]})
    return decided


def handover_keep(*, actor: User, hand_over: HandOver) -> HandOver:
    """The sender keeps a contact whose hand-over was refused: it follows the contact itself,
    and the hand-over leaves its "returned" list (both sides still see it). Idempotent."""
    require_write(actor)
    if not in_jurisdiction(actor, hand_over.from_division_code):
        raise PermissionDenied("jurisdiction")
    if hand_over.status != HandOverStatus.REFUSED:
        raise InvalidInput({"status": _("只有被拒收的移交可以由本县区保留。")})
    if hand_over.kept_at is not None:
        return hand_over
    with transaction.atomic():
        HandOver.objects.filter(pk=hand_over.pk, kept_at__isnull=True).update(
            kept_at=timezone.now())
        kept = HandOver.objects.select_related("contact").get(pk=hand_over.pk)
        _audit(actor, kept, f"contact #{hand_over.contact_id} kept after a refused hand-over",
               {"kept_at": [None, kept.kept_at.isoformat() if kept.kept_at else None]})
    return kept
