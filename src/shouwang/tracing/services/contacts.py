"""Contacts of an index case (密切接触者 and 次密接): register, correct the last exposure, change
status (tested, released, lost, became a case).

Every change a person makes names the version it read (`version=`) and is applied with a
conditional `UPDATE … WHERE version = <read>`, as case reports and alerts are: of two officers
acting on the same contact only the first succeeds, the second gets `ContactConflict` (the API
answers 409). Every change bumps the version and writes an audit row in the same transaction;
the history of where a contact was followed is its hand-overs (services/handover.py).

Rules (decision docs/decisions/1020-contacts-and-hand-over.md):
- release_on = last exposure + the disease's quarantine period (QuarantinePolicy, else the
  disease's exposure window); changing the last exposure recomputes it.
- A person is followed in one county at a time: registering someone already under follow-up
  (or tested) in another county is refused, naming that county and nothing of the person.
- The same submission twice stores one contact (source_key; the same person of the same index
  case).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.fields import lookup_hash
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import CaseReport, Disease
from shouwang.surveillance.validation import (
    DivisionCodes,
    age_on,
    parse_day,
    person_fields,
)
from shouwang.tracing.models import (
    Contact,
    ContactKind,
    ContactStatus,
    FollowUp,
    QuarantinePlace,
    QuarantinePolicy,
    Setting,
    TestOutcome,
)
from shouwang.tracing.selectors.contacts import same_person_q

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "tracing.write"
SITE_MAX = 128
SOURCE_KEY_MAX = 96
MAX_AGE = 120
COUNTY = 6
# States in which a person is being followed somewhere: a second county may not follow them.
FOLLOWED = (ContactStatus.UNDER_FOLLOW_UP, ContactStatus.TESTED)
# A contact who became a case, was released or lost is closed: nothing more happens to it.
CLOSED = (ContactStatus.BECAME_CASE, ContactStatus.RELEASED, ContactStatus.LOST)
DEFAULT_FOLLOW_UP_EVERY_DAYS = 1

MSG_REQUIRED = gettext_lazy("此项为必填项。")
MSG_DATE = gettext_lazy("请输入有效日期（YYYY-MM-DD）。")
Errors = dict[str, list[str | Promise]]


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


def require_write(actor: User) -> None:
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def require_in_jurisdiction(actor: User, contact: Contact) -> None:
    """A person acts only on contacts their division follows (404-like: NotFound for the API
    is the selectors' job; a service called with a foreign contact refuses)."""
    if not in_jurisdiction(actor, contact.division_code):
        raise PermissionDenied("jurisdiction")


# --- the policy --------------------------------------------------------------------------------


def quarantine_days(disease: Disease) -> int:
    """The disease's medical-observation period: its QuarantinePolicy, else its exposure
    window (the longest incubation period)."""
    policy = QuarantinePolicy.objects.filter(disease=disease).first()
    return int(policy.quarantine_days if policy else disease.exposure_window_days)


def follow_up_every_days(disease_id: str) -> int:
    policy = QuarantinePolicy.objects.filter(disease_id=disease_id).first()
    return int(policy.follow_up_every_days if policy else DEFAULT_FOLLOW_UP_EVERY_DAYS)


def release_date(disease: Disease, last_exposure_on: date) -> date:
    return last_exposure_on + timedelta(days=quarantine_days(disease))


# --- writing -----------------------------------------------------------------------------------


def apply_version(contact: Contact, *, version: int | None, **values: Any) -> Contact:
    """Write `values` and bump the version, only if the row still has the version read
    (`version`, or the instance's own when a service acts without a person's read)."""
    read = contact.version if version is None else version
    updated = Contact.objects.filter(pk=contact.pk, version=read).update(
        version=F("version") + 1, updated_at=timezone.now(), **values)
    if not updated:
        current = Contact.objects.filter(pk=contact.pk).values_list("version", flat=True).first()
        raise ContactConflict(contact.pk, current)
    return Contact.objects.select_related("index_case__disease").get(pk=contact.pk)


def _audit(actor: User | None, contact: Contact, summary: str,
           changes: Mapping[str, Any]) -> None:
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=contact, summary=summary,
              changes=changes)


# --- registering a contact ---------------------------------------------------------------------


@dataclass
class CleanContact:
    """The validated values of one contact, ready to become its fields."""

    kind: str
    via_contact: Contact | None
    setting: Setting | None
    name: str
    id_type: str
    id_number: str
    phone: str
    sex: str
    birth_date: date | None
    age_years: int | None
    residence_division_code: str
    identified_on: date
    last_exposure_on: date
    quarantine_place: str
    quarantine_site: str
    extra: dict[str, Any] = field(default_factory=dict)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _add(errors: Errors, name: str, message: str | Promise) -> None:
    errors.setdefault(name, []).append(message)


def _dates(data: Mapping[str, Any], today: date, errors: Errors) -> tuple[date | None,
                                                                          date | None]:
    identified = today if not _text(data, "identified_on") else parse_day(
        data.get("identified_on"))
    if identified is None:
        _add(errors, "identified_on", MSG_DATE)
    elif identified > today:
        _add(errors, "identified_on", _("判定日期不能晚于今天。"))
        identified = None
    last = parse_day(data.get("last_exposure_on"))
    if not _text(data, "last_exposure_on"):
        _add(errors, "last_exposure_on", MSG_REQUIRED)
    elif last is None:
        _add(errors, "last_exposure_on", MSG_DATE)
    elif last > today:
        _add(errors, "last_exposure_on", _("末次暴露日期不能晚于今天。"))
        last = None
    elif identified is not None and last > identified:
        _add(errors, "last_exposure_on", _("末次暴露日期不能晚于判定日期。"))
        last = None
    return identified, last


def _residence(data: Mapping[str, Any], divisions: DivisionCodes, errors: Errors) -> str:
    code = _text(data, "residence_division_code")
    if not code:
        _add(errors, "residence_division_code", MSG_REQUIRED)
    elif not (code.isascii() and code.isdigit()) or not divisions.known(code):
        _add(errors, "residence_division_code",
             _("未知的区划代码：%(code)s。") % {"code": code[:12]})
    elif not divisions.local(code):
        _add(errors, "residence_division_code", _("现住址区划应为县级或以下区划。"))
    return code


def _age(data: Mapping[str, Any], birth: date | None, today: date, errors: Errors) -> int | None:
    raw = _text(data, "age_years")
    given: int | None = None
    if raw:
        try:
            given = int(raw)
        except ValueError:
            _add(errors, "age_years", _("请输入整数。"))
            return None
        if not 0 <= given <= MAX_AGE:
            _add(errors, "age_years", _("年龄应在 0 至 %(n)s 岁之间。") % {"n": MAX_AGE})
            return None
    if birth is not None:
        age = age_on(birth, today)
        if given is not None and abs(given - age) > 1:
            _add(errors, "age_years", _("年龄与出生日期不符（应为 %(age)s 岁）。") % {"age": age})
        return age
    return given


def _kind_and_via(data: Mapping[str, Any], index_case: CaseReport,
                  errors: Errors) -> tuple[str, Contact | None]:
    kind = _text(data, "kind") or ContactKind.CLOSE
    if kind not in ContactKind.values:
        _add(errors, "kind", _("取值无效。"))
        return kind, None
    raw_via = _text(data, "via_contact")
    if kind == ContactKind.CLOSE:
        if raw_via:
            _add(errors, "via_contact", _("密切接触者不应填写“经由密接”。"))
        return kind, None
    if not raw_via:
        _add(errors, "via_contact", _("次密接须注明经由哪一位密切接触者。"))
        return kind, None
    via = (Contact.objects.filter(pk=int(raw_via)).first() if raw_via.isdigit() else None)
    if via is None or via.index_case_id != index_case.pk or via.kind != ContactKind.CLOSE:
        _add(errors, "via_contact", _("“经由密接”应为同一指示病例的密切接触者。"))
        return kind, None
    return kind, via


def validate_contact_input(data: Mapping[str, Any], *, index_case: CaseReport,
                           today: date | None = None,
                           divisions: DivisionCodes | None = None
                           ) -> tuple[CleanContact | None, Errors]:
    """The values of a contact, checked field by field; (None, errors) when any is bad. Runs
    the same person rules as case reports (resident ID checksum, mobile number)."""
    today = today or timezone.localdate()
    errors: Errors = {}
    name, id_type, id_number, phone, sex, birth = person_fields(data, errors, today)
    age = _age(data, birth, today, errors)
    residence = _residence(data, divisions or DivisionCodes.lazy(), errors)
    identified, last = _dates(data, today, errors)
    kind, via = _kind_and_via(data, index_case, errors)
    place = _text(data, "quarantine_place") or QuarantinePlace.HOME
    if place not in QuarantinePlace.values:
        _add(errors, "quarantine_place", _("取值无效。"))
    site = _text(data, "quarantine_site")
    if len(site) > SITE_MAX:
        _add(errors, "quarantine_site", _("不能超过 %(n)s 个字符。") % {"n": SITE_MAX})
    setting = None
    raw_setting = _text(data, "setting")
    if raw_setting:
        setting = Setting.objects.filter(pk=int(raw_setting)).first() if raw_setting.isdigit() \
            else None
        if setting is None:
            _add(errors, "setting", _("未找到该场所。"))
    if errors or identified is None or last is None:
        return None, errors
    return CleanContact(
        kind=kind, via_contact=via, setting=setting, name=name, id_type=id_type,
        id_number=id_number, phone=phone, sex=sex, birth_date=birth, age_years=age,
        residence_division_code=residence, identified_on=identified, last_exposure_on=last,
        quarantine_place=place, quarantine_site=site), errors


def followed_elsewhere(*, id_number_hash: str | None, name_hash: str | None,
                       birth_date: date | None, county: str,
                       exclude_pk: int | None = None) -> str | None:
    """The county (six digits) where the same person is under follow-up or tested, other than
    `county`; None when there is none. The same ID number identifies a person; without one,
    the same name and date of birth."""
    q = same_person_q(id_number_hash=id_number_hash, name_hash=name_hash, birth_date=birth_date)
    if q is None:
        return None
    rows = Contact.objects.filter(q, status__in=FOLLOWED).exclude(
        division_code__startswith=county)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    code = rows.values_list("division_code", flat=True).first()
    return code[:COUNTY] if code else None


def elsewhere_message(county: str) -> str:
    name = division_names([county]).get(county, county)
    return _("该人员已在其他县区医学观察中（%(county)s），不能重复登记或移交。") % {
        "county": name}


def finding_county(actor: User, index_case: CaseReport, via: Contact | None) -> str:
    """The county that found the contact: the actor's own when the actor works at county level
    or below, else the county of the contact it came through, else the index case's."""
    from shouwang.geo.models import Level

    division = getattr(actor, "division", None)
    if division is not None and division.level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        return str(division.code)[:COUNTY]
    if via is not None:
        return via.division_code[:COUNTY]
    return index_case.division_code[:COUNTY]


@dataclass(frozen=True)
class Registered:
    """What `contact_register` did. Unpacks as `(contact, created)`."""

    contact: Contact
    created: bool

    def __iter__(self) -> Any:
        yield self.contact
        yield self.created


def person_hashes(name: str, id_number: str) -> tuple[str | None, str | None]:
    """(name_hash, id_number_hash) as the model stores them (None for an empty value)."""
    return (lookup_hash(name, "text") if name else None,
            lookup_hash(id_number, "id_number") if id_number else None)


def contact_register(*, actor: User, index_case: CaseReport, data: Mapping[str, Any],
                     source_key: str | None = None) -> Registered:
    """Register a close or secondary contact of `index_case`, followed by the finding county.

    Idempotent: the same `source_key`, or the same person for the same index case, returns the
    stored contact (`created` False). Raises InvalidInput field by field; nothing is written."""
    require_write(actor)
    key = (source_key or "").strip() or None
    if key is not None and len(key) > SOURCE_KEY_MAX:
        raise InvalidInput({"source_key": _("不能超过 %(n)s 个字符。") % {"n": SOURCE_KEY_MAX}})
    if key is not None:
        existing = Contact.objects.filter(source_key=key).first()
        if existing is not None:
            return Registered(existing, False)
    if not in_jurisdiction(actor, index_case.division_code):
        via_raw = _text(data, "via_contact")
        via_ok = via_raw.isdigit() and Contact.objects.filter(
            pk=int(via_raw), index_case=index_case).exists() and in_jurisdiction(
            actor, Contact.objects.get(pk=int(via_raw)).division_code)
        if not via_ok:
            raise PermissionDenied("jurisdiction")
    clean, errors = validate_contact_input(data, index_case=index_case)
    if clean is None:
        raise InvalidInput(errors)
    name_hash, id_hash = person_hashes(clean.name, clean.id_number)
    same = same_person_q(id_number_hash=id_hash, name_hash=name_hash,
                         birth_date=clean.birth_date)
    if same is not None:
        existing = Contact.objects.filter(same, index_case=index_case).order_by("id").first()
        if existing is not None:
            return Registered(existing, False)
    county = finding_county(actor, index_case, clean.via_contact)
    elsewhere = followed_elsewhere(id_number_hash=id_hash, name_hash=name_hash,
                                   birth_date=clean.birth_date, county=county)
    if elsewhere is not None:
        target = "id_number" if id_hash else "name"
        raise InvalidInput({target: elsewhere_message(elsewhere)}, code="followed_elsewhere")
    release_on = release_date(index_case.disease, clean.last_exposure_on)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                index_case=index_case, kind=clean.kind, via_contact=clean.via_contact,
                setting=clean.setting, name=clean.name, id_type=clean.id_type,
                id_number=clean.id_number, phone=clean.phone, sex=clean.sex,
                birth_date=clean.birth_date, age_years=clean.age_years,
                residence_division_code=clean.residence_division_code, division_code=county,
                found_by_division_code=county, identified_on=clean.identified_on,
                last_exposure_on=clean.last_exposure_on, release_on=release_on,
                quarantine_place=clean.quarantine_place,
                quarantine_site=clean.quarantine_site, source_key=key, created_by=actor)
            audit_log(actor=actor, action=AuditAction.CREATE, obj=contact,
                      summary=f"contact of case #{index_case.pk} registered",
                      changes={"kind": contact.kind, "index_case": index_case.pk,
                               "release_on": release_on.isoformat(),
                               "residence_division_code": contact.residence_division_code})
    except IntegrityError:
        # A concurrent registration with the same key won the race: answer with it.
        if key is not None:
            existing = Contact.objects.filter(source_key=key).first()
            if existing is not None:
                return Registered(existing, False)
        raise
    return Registered(contact, True)


# --- changes -----------------------------------------------------------------------------------


def contact_set_last_exposure(*, actor: User, contact: Contact, version: int,
                              last_exposure_on: date | str | None) -> Contact:
    """Correct the last exposure; the release date follows."""
    require_write(actor)
    require_in_jurisdiction(actor, contact)
    day = parse_day(last_exposure_on)
    if day is None:
        raise InvalidInput({"last_exposure_on": MSG_DATE})
    if day > timezone.localdate():
        raise InvalidInput({"last_exposure_on": _("末次暴露日期不能晚于今天。")})
    if day > contact.identified_on:
        raise InvalidInput({"last_exposure_on": _("末次暴露日期不能晚于判定日期。")})
    if contact.status in CLOSED:
        raise InvalidInput({"status": _("该接触者已结案，不能修改。")})
    with transaction.atomic():
        release_on = release_date(contact.index_case.disease, day)
        before = (contact.last_exposure_on, contact.release_on)
        fresh = apply_version(contact, version=version, last_exposure_on=day, release_on=release_on)
        _audit(actor, fresh, "last exposure corrected",
               {"last_exposure_on": [before[0].isoformat(), day.isoformat()],
                "release_on": [before[1].isoformat(), release_on.isoformat()]})
    return fresh


def _set_status(actor: User | None, contact: Contact, version: int | None, status: str,
                summary: str, **extra: Any) -> Contact:
    before = contact.status
    fresh = apply_version(contact, version=version, status=status, **extra)
    _audit(actor, fresh, summary, {"status": [before, status]})
    return fresh


def has_positive_test(contact: Contact) -> bool:
    return FollowUp.objects.filter(contact=contact, test_outcome=TestOutcome.POSITIVE).exists()


def release_blockers(contact: Contact, today: date) -> list[str]:
    """Why a contact cannot be released today (empty when it can)."""
    reasons: list[str] = []
    if contact.status not in FOLLOWED:
        reasons.append(_("该接触者当前状态不能解除医学观察。"))
    elif contact.release_on > today:
        reasons.append(_("未到解除日期（%(day)s）。") % {"day": contact.release_on.isoformat()})
    if has_positive_test(contact):
        reasons.append(_("有阳性检测结果，不能解除，请核实是否转为病例。"))
    return reasons


def contact_release(*, actor: User, contact: Contact, version: int) -> Contact:
    """Release a contact whose observation period has ended without a positive test."""
    require_write(actor)
    require_in_jurisdiction(actor, contact)
    with transaction.atomic():
        blockers = release_blockers(contact, timezone.localdate())
        if blockers:
            raise InvalidInput({"status": blockers})
        return _set_status(actor, contact, version, ContactStatus.RELEASED, "contact released",
                           released_at=timezone.now())


@dataclass
class BulkRelease:
    released: list[int] = field(default_factory=list)
    # {contact id: reasons} for the contacts left as they were.
    skipped: dict[int, list[str]] = field(default_factory=dict)


def contacts_bulk_release(*, actor: User, contacts: Iterable[Contact]) -> BulkRelease:
    """Release every contact that may be released today; the others are listed with the
    reasons. Each contact is its own transaction: one that changed meanwhile is skipped."""
    require_write(actor)
    today = timezone.localdate()
    result = BulkRelease()
    for contact in contacts:
        if not in_jurisdiction(actor, contact.division_code):
            result.skipped[contact.pk] = [_("不在您的辖区内。")]
            continue
        blockers = release_blockers(contact, today)
        if blockers:
            result.skipped[contact.pk] = blockers
            continue
        try:
            with transaction.atomic():
                _set_status(actor, contact, None, ContactStatus.RELEASED, "contact released",
                            released_at=timezone.now())
        except ContactConflict as exc:
            result.skipped[contact.pk] = [exc.message]
            continue
        result.released.append(contact.pk)
    return result


def contact_mark_lost(*, actor: User, contact: Contact, version: int) -> Contact:
    """Lost to follow-up (失访): the person cannot be reached any more."""
    require_write(actor)
    require_in_jurisdiction(actor, contact)
    if contact.status not in FOLLOWED:
        raise InvalidInput({"status": _("该接触者当前状态不能标记为失访。")})
    with transaction.atomic():
        return _set_status(actor, contact, version, ContactStatus.LOST, "contact lost")


def contact_mark_tested(*, actor: User | None, contact: Contact,
                        version: int | None = None) -> Contact:
    """Sampled, result pending (or a positive result to be confirmed as a case)."""
    if actor is not None:
        require_write(actor)
        require_in_jurisdiction(actor, contact)
    if contact.status == ContactStatus.TESTED:
        return contact
    if contact.status != ContactStatus.UNDER_FOLLOW_UP:
        raise InvalidInput({"status": _("该接触者当前状态不能标记为已检测。")})
    with transaction.atomic():
        return _set_status(actor, contact, version, ContactStatus.TESTED, "contact tested")


def contact_mark_became_case(*, actor: User | None, contact: Contact,
                             case: CaseReport) -> Contact:
    """The contact was found to be a case (`case`): status BECAME_CASE, linked to the case.

    Idempotent: marking a contact already linked to this very case changes nothing. A contact
    already linked to another case is an error (a person becomes a case of a disease once).
    Called by other services (no jurisdiction check: the caller decided)."""
    with transaction.atomic():
        current = Contact.objects.select_for_update().get(pk=contact.pk)
        if current.status == ContactStatus.BECAME_CASE and current.became_case_id == case.pk:
            return current
        if current.became_case_id is not None and current.became_case_id != case.pk:
            raise InvalidInput({"became_case": _("该接触者已关联另一病例（#%(id)s）。") % {
                "id": current.became_case_id}})
        before = current.status
        fresh = apply_version(current, version=None, status=ContactStatus.BECAME_CASE,
                       became_case=case)
        _audit(actor, fresh, f"contact became case #{case.pk}",
               {"status": [before, fresh.status], "became_case": [None, case.pk]})
        return fresh


def contacts_by_ids(ids: Sequence[int]) -> list[Contact]:
    """*Unscoped*: the contacts of a bulk action (the service checks each one's division)."""
    return list(Contact.objects.filter(pk__in=list(ids)).select_related("index_case__disease")
                .order_by("id"))
