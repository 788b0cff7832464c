"""Daily follow-up visits of contacts (每日随访): symptoms, temperature, test.

One visit per contact and day: recording the same day again updates that day's visit (a test
result that arrives later in the day), and the same submission twice changes nothing. A test
taken (pending) or positive moves the contact to TESTED; a negative result moves a TESTED contact
without any positive result back under follow-up. Fever or a positive test is shown as a warning
on the contact's pages (selectors/contacts.py `contact_flags`).
Decision: docs/decisions/1020-contacts-and-hand-over.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.surveillance.validation import parse_day
from shouwang.tracing.models import Contact, ContactStatus, FollowUp, TestOutcome
from shouwang.tracing.services.contacts import FOLLOWED, apply_version, require_write

if TYPE_CHECKING:
    from shouwang.accounts.models import User

NOTE_MAX = 255
FEVER_C = Decimal("37.3")
TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")


class Symptom(TextChoices):
    FEVER = "fever", gettext_lazy("发热")
    COUGH = "cough", gettext_lazy("咳嗽")
    SORE_THROAT = "sore_throat", gettext_lazy("咽痛")
    FATIGUE = "fatigue", gettext_lazy("乏力")
    MYALGIA = "myalgia", gettext_lazy("肌肉酸痛")
    DYSPNOEA = "dyspnoea", gettext_lazy("呼吸困难")
    DIARRHOEA = "diarrhoea", gettext_lazy("腹泻")
    RASH = "rash", gettext_lazy("皮疹")
    LOSS_OF_SMELL = "loss_of_smell", gettext_lazy("嗅觉/味觉减退")
    OTHER = "other", gettext_lazy("其他")


@dataclass(frozen=True)
class Recorded:
    """What `followup_record` did. Unpacks as `(follow_up, created)`."""

    follow_up: FollowUp
    created: bool
    contact: Contact

    def __iter__(self) -> Any:
        yield self.follow_up
        yield self.created


def is_fever(temperature_c: Decimal | None) -> bool:
    return temperature_c is not None and temperature_c >= FEVER_C


def _clean(data: Mapping[str, Any], contact: Contact, today: date
           ) -> tuple[date, list[str], Decimal | None, str, str]:
    errors: dict[str, list[str | Promise]] = {}
    raw_day = data.get("day")
    day = today if raw_day in (None, "") else parse_day(raw_day)
    if day is None:
        errors["day"] = [_("请输入有效日期（YYYY-MM-DD）。")]
    elif day > today:
        errors["day"] = [_("随访日期不能晚于今天。")]
    elif day < contact.identified_on:
        errors["day"] = [_("随访日期不能早于判定日期。")]
    raw_symptoms = data.get("symptoms") or []
    if isinstance(raw_symptoms, str):
        raw_symptoms = [s for s in raw_symptoms.split(",") if s.strip()]
    symptoms = sorted({str(s).strip() for s in raw_symptoms})
    unknown = [s for s in symptoms if s not in Symptom.values]
    if unknown:
        errors["symptoms"] = [_("未知症状：%(s)s。") % {"s": ", ".join(unknown)}]
    temperature: Decimal | None = None
    raw_t = data.get("temperature_c")
    if raw_t not in (None, ""):
        try:
            temperature = Decimal(str(raw_t).strip()).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            errors["temperature_c"] = [_("请输入数字（摄氏度）。")]
        else:
            if not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
                errors["temperature_c"] = [_("体温应在 %(lo)s 至 %(hi)s ℃ 之间。") % {
                    "lo": TEMPERATURE_MIN, "hi": TEMPERATURE_MAX}]
    outcome = str(data.get("test_outcome") or "").strip()
    if outcome not in TestOutcome.values:
        errors["test_outcome"] = [_("取值无效。")]
    note = str(data.get("note") or "").strip()
    if len(note) > NOTE_MAX:
        errors["note"] = [_("不能超过 %(n)s 个字符。") % {"n": NOTE_MAX}]
    if errors or day is None:
        raise InvalidInput(errors)
    if is_fever(temperature) and Symptom.FEVER not in symptoms:
        symptoms = sorted([*symptoms, Symptom.FEVER.value])
    return day, symptoms, temperature, outcome, note


def _status_after(contact: Contact, outcome: str) -> str | None:
    """The contact's new status after a visit with this test outcome (None: unchanged)."""
    if outcome in (TestOutcome.PENDING, TestOutcome.POSITIVE):
        return ContactStatus.TESTED if contact.status == ContactStatus.UNDER_FOLLOW_UP else None
    if outcome == TestOutcome.NEGATIVE and contact.status == ContactStatus.TESTED:
        positive = FollowUp.objects.filter(contact=contact,
                                           test_outcome=TestOutcome.POSITIVE).exists()
        pending = FollowUp.objects.filter(contact=contact,
                                          test_outcome=TestOutcome.PENDING).exists()
        return None if positive or pending else ContactStatus.UNDER_FOLLOW_UP
    return None


def followup_record(*, actor: User, contact: Contact, data: Mapping[str, Any]) -> Recorded:
    """Record (or update) the visit of `data["day"]` (default today) for an open contact."""
    require_write(actor)
    if not in_jurisdiction(actor, contact.division_code):
        raise PermissionDenied("jurisdiction")
    if contact.status not in FOLLOWED:
        raise InvalidInput({"contact": _("该接触者已结案，不能再记录随访。")})
    day, symptoms, temperature, outcome, note = _clean(data, contact, timezone.localdate())
    values = {"symptoms": symptoms, "temperature_c": temperature, "test_outcome": outcome,
              "note": note}
    with transaction.atomic():
        current = Contact.objects.select_for_update().get(pk=contact.pk)
        visit = FollowUp.objects.filter(contact=current, day=day).first()
        created = visit is None
        if visit is not None:
            same = (visit.symptoms == symptoms and visit.temperature_c == temperature
                    and visit.test_outcome == outcome and visit.note == note)
            if same:
                return Recorded(visit, False, current)
            before = {k: getattr(visit, k) for k in values}
            for k, v in values.items():
                setattr(visit, k, v)
            visit.save(update_fields=[*values])
            changes: dict[str, Any] = {k: [str(before[k]), str(v)] for k, v in values.items()
                                       if before[k] != v}
            action = AuditAction.UPDATE
        else:
            visit = FollowUp.objects.create(contact=current, day=day,
                                            division_code=current.division_code,
                                            recorded_by=actor, **values)
            changes = {"day": day.isoformat(), "test_outcome": outcome,
                       "fever": is_fever(temperature)}
            action = AuditAction.CREATE
        audit_log(actor=actor, action=action, obj=visit, division_code=current.division_code,
                  summary=f"follow-up of contact #{current.pk}", changes=changes)
        status = _status_after(current, outcome)
        if status is not None:
            before_status = current.status
            current = apply_version(current, version=None, status=status)
            audit_log(actor=actor, action=AuditAction.UPDATE, obj=current,
                      summary="contact status from a follow-up test",
                      changes={"status": [before_status, status]})
    return Recorded(visit, created, current)
