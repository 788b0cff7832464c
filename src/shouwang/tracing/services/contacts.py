"""Contacts of an index case (密切接触者 and 次密接): register, correct the last exposure, change
status (tested, released, lost, became a case).

Every change names the version it read when it comes from a person (`version=`) and is applied
with a conditional `UPDATE … WHERE version = <read>`, as case reports and alerts are: of two
officers acting on the same contact only the first succeeds, the second gets `ContactConflict`
(the API answers 409). Every change bumps the version and writes an audit row in the same
transaction. Decision: docs/decisions/1020-contacts-and-hand-over.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.tracing.models import Contact, ContactStatus

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.surveillance.models import CaseReport


class ContactConflict(Exception):
    """The contact changed since the caller read it (someone else acted first)."""

    def __init__(self, contact_id: int, current_version: int | None) -> None:
        self.contact_id = contact_id
        self.current_version = current_version
        super().__init__(f"contact {contact_id} changed (now version {current_version})")

    @property
    def message(self) -> str:
        return _("该接触者记录已被他人修改（当前版本 %(v)s），请刷新后重新操作。") % {
            "v": self.current_version}


def _apply(contact: Contact, *, version: int | None, **values: object) -> Contact:
    """Write `values` and bump the version, only if the row still has the version read
    (`version`, or the instance's own when a service acts without a person's read)."""
    read = contact.version if version is None else version
    updated = Contact.objects.filter(pk=contact.pk, version=read).update(
        version=F("version") + 1, **values)
    if not updated:
        current = Contact.objects.filter(pk=contact.pk).values_list("version", flat=True).first()
        raise ContactConflict(contact.pk, current)
    return Contact.objects.get(pk=contact.pk)


def contact_mark_became_case(*, actor: User | None, contact: Contact,
                             case: CaseReport) -> Contact:
    """The contact was found to be a case (`case`): status BECAME_CASE, linked to the case.

    Idempotent: marking a contact already linked to this very case changes nothing. A contact
    already linked to another case is an error (a person becomes a case of a disease once)."""
    with transaction.atomic():
        current = Contact.objects.select_for_update().get(pk=contact.pk)
        if current.status == ContactStatus.BECAME_CASE and current.became_case_id == case.pk:
            return current
        if current.became_case_id is not None and current.became_case_id != case.pk:
            raise InvalidInput({"became_case": _("该接触者已关联另一病例（#%(id)s）。") % {
                "id": current.became_case_id}})
        before = current.status
        fresh = _apply(current, version=None, status=ContactStatus.BECAME_CASE,
                       became_case=case)
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=fresh,
                  summary=f"contact became case #{case.pk}",
                  changes={"status": [before, fresh.status],
                           "became_case": [None, case.pk]})
        return fresh
