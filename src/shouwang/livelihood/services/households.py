"""The household registry (农户台账): households, their members and the five guarantees.

Every write takes `actor=` keyword-only, checks livelihood.write and the actor's jurisdiction
(a household outside it is NotFound, never "forbidden"), validates field by field (InvalidInput,
Chinese messages), runs in one transaction and writes an audit row. A household carries a
`version`: a change names the version it read and a stale one raises HouseholdConflict (the API
answers 409). A person is an active member of one household only: checked by the keyed hash of
the ID number before writing, and by the database constraint `livelihood_member_one_household`
as the last guard. Decision record: docs/decisions/1210-household-registry.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log, diff
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.fields import lookup_q
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.geo.models import Division, Level
from shouwang.livelihood.models import (
    GUARANTEES,
    Disability,
    Health,
    Household,
    Member,
    PovertyStatus,
    Relationship,
    Schooling,
    Work,
)
from shouwang.livelihood.services.fields import add_error as _add
from shouwang.livelihood.services.fields import parse_day, yes_no
from shouwang.livelihood.services.fields import text_of as _text
from shouwang.surveillance.validation import person_fields

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "livelihood.write"
NUMBER_MAX = 32
DESTINATION_MAX = 128
GUARANTEE_FIELDS = tuple(name for name, _label in GUARANTEES)
HOUSEHOLD_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE})
Errors = dict[str, list[str | Promise]]


class HouseholdConflict(Exception):
    """The household changed since the caller read it (another cadre saved first)."""

    def __init__(self, household_id: int, current_version: int | None) -> None:
        self.household_id = household_id
        self.current_version = current_version
        super().__init__(f"household {household_id} changed (now version {current_version})")

    @property
    def message(self) -> str:
        return _("该农户信息已被他人修改（当前版本 %(v)s），请刷新后重新提交。") % {
            "v": self.current_version}


# --- helpers -------------------------------------------------------------------------------------


def require_write(actor: User) -> None:
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def _choice(data: Mapping[str, Any], name: str, choices: Any, errors: Errors,
            default: str) -> str:
    value = _text(data, name) or default
    if value not in choices.values:
        _add(errors, name, _("请从以下选项中选择：%(opts)s") % {"opts": "、".join(choices.values)})
    return value


def _date(data: Mapping[str, Any], name: str, errors: Errors) -> date | None:
    return parse_day(data.get(name), name, errors)


def _bool(value: Any) -> bool:
    """A checkbox or yes/no value: anything that does not read as yes is no."""
    try:
        return yes_no(value) is True
    except ValueError:
        return False


def household_for_write(actor: User, household_id: int, *, lock: bool = False) -> Household:
    """The household if it lies inside the actor's jurisdiction, else NotFound."""
    qs = scoped(Household.objects.all(), actor)
    if lock:
        qs = qs.select_for_update()
    found = qs.filter(pk=household_id).first()
    if found is None:
        raise NotFound(f"household {household_id}")
    return found


def _check_division(actor: User, code: str) -> None:
    """A known division at county level or below, inside the actor's jurisdiction: else
    NotFound (a division the actor cannot see does not exist for them)."""
    if not code or not in_jurisdiction(actor, code):
        raise NotFound(f"division {code}")
    if not Division.objects.filter(code=code, level__in=HOUSEHOLD_LEVELS).exists():
        raise NotFound(f"division {code}")


def _household_fields(data: Mapping[str, Any], errors: Errors, *, partial: bool,
                      current: Household | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not partial or "household_number" in data:
        number = _text(data, "household_number")
        if not number:
            _add(errors, "household_number", _("请填写户编号。"))
        elif len(number) > NUMBER_MAX:
            _add(errors, "household_number", _("不能超过 %(n)s 个字符。") % {"n": NUMBER_MAX})
        out["household_number"] = number
    if not partial or "address_detail" in data:
        out["address_detail"] = _text(data, "address_detail")
    if not partial or "poverty_status" in data or "lifted_out_year" in data:
        status = _choice(data, "poverty_status", PovertyStatus, errors,
                         current.poverty_status if current else PovertyStatus.NEVER_POOR)
        raw_year = data.get("lifted_out_year")
        year: int | None = None
        if raw_year not in (None, ""):
            try:
                year = int(str(raw_year))
            except ValueError:
                _add(errors, "lifted_out_year", _("请填写四位数年份。"))
        if status == PovertyStatus.LIFTED_OUT:
            this_year = timezone.localdate().year
            if year is None and "lifted_out_year" not in errors:
                _add(errors, "lifted_out_year", _("脱贫户须填写脱贫年度。"))
            elif year is not None and not 1978 <= year <= this_year:
                _add(errors, "lifted_out_year",
                     _("脱贫年度应在 1978 年至 %(y)s 年之间。") % {"y": this_year})
        elif year is not None:
            _add(errors, "lifted_out_year", _("一般农户不应填写脱贫年度。"))
        out["poverty_status"] = status
        out["lifted_out_year"] = year if status == PovertyStatus.LIFTED_OUT else None
    return out


def _number_taken(number: str, exclude: int | None = None) -> bool:
    qs = Household.objects.filter(household_number=number)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _audit_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: [str(x) if isinstance(x, date) else x for x in v] if isinstance(v, list) else v
            for k, v in changes.items()}


# --- households ----------------------------------------------------------------------------------


def household_create(*, actor: User, division_code: str, data: Mapping[str, Any]) -> Household:
    """Register a household in `division_code`. NotFound for an unknown division or one outside
    the actor's jurisdiction; InvalidInput for bad fields or a household number in use."""
    require_write(actor)
    code = str(division_code or "").strip()
    _check_division(actor, code)
    errors: Errors = {}
    fields = _household_fields(data, errors, partial=False, current=None)
    if not errors and _number_taken(fields["household_number"]):
        _add(errors, "household_number", _("该户编号已被使用。"))
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            household = Household.objects.create(division_code=code, **fields)
            audit_log(actor=actor, action=AuditAction.CREATE, obj=household,
                      summary=f"household {household.household_number}",
                      changes={k: v for k, v in fields.items() if v not in (None, "")})
    except IntegrityError:
        if _number_taken(fields["household_number"]):
            raise InvalidInput({"household_number": [_("该户编号已被使用。")]}) from None
        raise
    return household


def _apply(actor: User, household_id: int, version: int, updates: Mapping[str, Any],
           summary: str) -> Household:
    """Change a household still at `version` (inside transaction.atomic)."""
    current = household_for_write(actor, household_id, lock=True)
    if current.version != version:
        raise HouseholdConflict(current.pk, current.version)
    changes = diff({k: getattr(current, k) for k in updates}, dict(updates))
    rows = Household.objects.filter(pk=current.pk, version=version).update(
        **updates, version=F("version") + 1, updated_at=timezone.now())
    if rows != 1:
        raise HouseholdConflict(current.pk, None)
    fresh = Household.objects.get(pk=current.pk)
    audit_log(actor=actor, action=AuditAction.UPDATE, obj=fresh,
              summary=f"{summary} v{fresh.version}", changes=_audit_changes(changes))
    return fresh


def household_update(*, actor: User, household_id: int, version: int,
                     data: Mapping[str, Any]) -> Household:
    """Change the number, address or poverty history of a household read at `version`.
    HouseholdConflict when someone saved in between."""
    require_write(actor)
    current = household_for_write(actor, household_id)
    errors: Errors = {}
    updates = _household_fields(data, errors, partial=True, current=current)
    number = updates.get("household_number")
    if number and not errors and _number_taken(number, exclude=current.pk):
        _add(errors, "household_number", _("该户编号已被使用。"))
    if errors:
        raise InvalidInput(errors)
    try:
        with transaction.atomic():
            return _apply(actor, current.pk, version, updates, "household update")
    except IntegrityError:
        if number and _number_taken(number, exclude=current.pk):
            raise InvalidInput({"household_number": [_("该户编号已被使用。")]}) from None
        raise


def guarantees_update(*, actor: User, household_id: int, version: int,
                      data: Mapping[str, Any]) -> Household:
    """Set the five guarantees (两不愁三保障 and safe water) and the day they were checked."""
    require_write(actor)
    household_for_write(actor, household_id)
    errors: Errors = {}
    updates: dict[str, Any] = {name: _bool(data.get(name, False)) for name in GUARANTEE_FIELDS}
    checked = _date(data, "guarantees_checked_on", errors)
    if checked is None and "guarantees_checked_on" not in errors:
        _add(errors, "guarantees_checked_on", _("请填写核实日期。"))
    elif checked is not None and checked > timezone.localdate():
        _add(errors, "guarantees_checked_on", _("日期不能晚于今天。"))
    if errors:
        raise InvalidInput(errors)
    updates["guarantees_checked_on"] = checked
    with transaction.atomic():
        return _apply(actor, household_id, version, updates, "household guarantees")


# --- members -------------------------------------------------------------------------------------


def _member_fields(data: Mapping[str, Any], errors: Errors, *, current: Member | None
                   ) -> dict[str, Any]:
    today = timezone.localdate()
    merged: dict[str, Any] = {}
    if current is not None:
        merged = {"name": current.name, "id_type": current.id_type,
                  "id_number": current.id_number, "phone": current.phone,
                  "sex": current.sex, "birth_date": current.birth_date,
                  "relationship": current.relationship, "health": current.health,
                  "disability": current.disability, "schooling": current.schooling,
                  "work": current.work,
                  "migrant_destination_code": current.migrant_destination_code,
                  "migrant_destination": current.migrant_destination}
        if "id_number" in data:
            # A changed ID number states its own sex and birth date again.
            merged.update({"sex": "", "birth_date": None})
    merged.update(data)
    name, id_type, id_number, phone, sex, birth = person_fields(merged, errors, today)
    out: dict[str, Any] = {
        "name": name, "id_type": id_type, "id_number": id_number, "phone": phone,
        "sex": sex, "birth_date": birth,
        "relationship": _choice(merged, "relationship", Relationship, errors,
                                Relationship.OTHER if current is None else ""),
        "health": _choice(merged, "health", Health, errors, Health.HEALTHY),
        "disability": _choice(merged, "disability", Disability, errors, Disability.NONE),
        "schooling": _choice(merged, "schooling", Schooling, errors, Schooling.NOT_IN_SCHOOL),
        "work": _choice(merged, "work", Work, errors, Work.FARMING),
    }
    dest_code = _text(merged, "migrant_destination_code")
    dest = _text(merged, "migrant_destination")
    if out["work"] == Work.MIGRANT:
        if not dest_code and not dest:
            _add(errors, "migrant_destination", _("外出务工须填写务工地。"))
        if dest_code and not Division.objects.filter(code=dest_code).exists():
            _add(errors, "migrant_destination_code", _("未知的区划代码。"))
        if len(dest) > DESTINATION_MAX:
            _add(errors, "migrant_destination",
                 _("不能超过 %(n)s 个字符。") % {"n": DESTINATION_MAX})
    else:
        dest_code, dest = "", ""
    out["migrant_destination_code"] = dest_code
    out["migrant_destination"] = dest
    return out


def _other_household(id_type: str, id_number: str, exclude_member: int | None
                     ) -> Household | None:
    if not id_number:
        return None
    qs = Member.objects.filter(lookup_q(Member, "id_number", id_number), active=True)
    if exclude_member is not None:
        qs = qs.exclude(pk=exclude_member)
    found = qs.select_related("household").first()
    return found.household if found is not None else None


def _division_name(code: str) -> str:
    division = Division.objects.filter(code=code).only("name").first()
    return division.name if division is not None else code


def _in_other_household(other: Household) -> InvalidInput:
    return InvalidInput({"id_number": [
        _("此人已是另一农户（户编号 %(number)s，%(village)s）的在户成员。") % {
            "number": other.household_number, "village": _division_name(other.division_code)}]})


def _check_head(household: Household, relationship: str, errors: Errors,
                exclude_member: int | None) -> None:
    heads = Member.objects.filter(household=household, active=True,
                                  relationship=Relationship.HEAD)
    if exclude_member is not None:
        heads = heads.exclude(pk=exclude_member)
    if relationship == Relationship.HEAD and heads.exists():
        _add(errors, "relationship", _("该户已有户主，一户只能有一名户主。"))


def _write_member(member: Member, fields: Mapping[str, Any], household: Household) -> None:
    """Save, turning the one-household constraint into the same field error."""
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError:
        other = _other_household(str(fields["id_type"]), str(fields["id_number"]),
                                 member.pk)
        if other is not None:
            raise _in_other_household(other) from None
        raise


def member_add(*, actor: User, household_id: int, data: Mapping[str, Any]) -> Member:
    """Add a member. The first member must be the head; a household has exactly one head.
    A person already active in another household: InvalidInput on `id_number` naming that
    household's number and village."""
    require_write(actor)
    household = household_for_write(actor, household_id)
    errors: Errors = {}
    fields = _member_fields(data, errors, current=None)
    has_members = Member.objects.filter(household=household, active=True).exists()
    if not has_members and fields["relationship"] != Relationship.HEAD \
            and "relationship" not in errors:
        _add(errors, "relationship", _("请先登记户主。"))
    _check_head(household, fields["relationship"], errors, None)
    if errors:
        raise InvalidInput(errors)
    other = _other_household(fields["id_type"], fields["id_number"], None)
    if other is not None:
        raise _in_other_household(other)
    with transaction.atomic():
        member = Member(household=household, **fields)
        _write_member(member, fields, household)
        audit_log(actor=actor, action=AuditAction.CREATE, obj=member,
                  division_code=household.division_code,
                  summary=f"member of household {household.household_number}",
                  changes=_audit_changes({k: v for k, v in fields.items()
                                          if v not in (None, "")}))
    return member


def member_for_write(actor: User, member_id: int) -> Member:
    qs = scoped(Member.objects.select_related("household"), actor, "household__division_code")
    found = qs.filter(pk=member_id).first()
    if found is None:
        raise NotFound(f"member {member_id}")
    return found


def member_update(*, actor: User, member_id: int, data: Mapping[str, Any]) -> Member:
    """Change a member's personal data, relationship, health, disability, schooling or work."""
    require_write(actor)
    member = member_for_write(actor, member_id)
    if not member.active:
        raise InvalidInput({"active": [_("该成员已离户，不能修改。")]})
    errors: Errors = {}
    fields = _member_fields(data, errors, current=member)
    if member.relationship == Relationship.HEAD and fields["relationship"] != Relationship.HEAD:
        _add(errors, "relationship", _("户主不能直接改为其他关系，请先将另一成员设为户主。"))
    _check_head(member.household, fields["relationship"], errors, member.pk)
    if errors:
        raise InvalidInput(errors)
    other = _other_household(fields["id_type"], fields["id_number"], member.pk)
    if other is not None:
        raise _in_other_household(other)
    before = {k: getattr(member, k) for k in fields}
    for key, value in fields.items():
        setattr(member, key, value)
    with transaction.atomic():
        _write_member(member, fields, member.household)
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=member,
                  division_code=member.household.division_code,
                  summary=f"member of household {member.household.household_number}",
                  changes=_audit_changes(diff(before, fields)))
    return member


def member_leave(*, actor: User, member_id: int, left_on: date | str | None = None) -> Member:
    """Mark a member as gone (moved, married out, died) from `left_on` (today by default). The
    head leaves only when the household has no other active member."""
    require_write(actor)
    member = member_for_write(actor, member_id)
    errors: Errors = {}
    day = _date({"left_on": left_on}, "left_on", errors) or timezone.localdate()
    if day > timezone.localdate():
        _add(errors, "left_on", _("日期不能晚于今天。"))
    if not member.active:
        _add(errors, "active", _("该成员已离户。"))
    others = Member.objects.filter(household=member.household, active=True) \
        .exclude(pk=member.pk).exists()
    if member.relationship == Relationship.HEAD and others:
        _add(errors, "relationship", _("户主离户前，请先将另一成员设为户主。"))
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        Member.objects.filter(pk=member.pk).update(active=False, left_on=day)
        member.active, member.left_on = False, day
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=member,
                  division_code=member.household.division_code,
                  summary=f"member left household {member.household.household_number}",
                  changes={"active": [True, False], "left_on": [None, day.isoformat()]})
    return member
