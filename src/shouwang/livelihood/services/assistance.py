"""Assistance (帮扶) of a monitored household: measures and follow-up visits (decision 1240).

    measure_add(*, actor, flag_id, data) -> AssistanceMeasure
    measure_end(*, actor, measure_id, ended_on) -> AssistanceMeasure
    visit_record(*, actor, household_id, data) -> tuple[FollowUpVisit, bool]

Every write takes `actor=` keyword-only. A flag, measure or household outside the actor's
jurisdiction is NotFound (the API and pages answer 404, never 403); inside it, an actor without
livelihood.write gets PermissionDenied. Fields are checked one by one and refused with Chinese
messages (InvalidInput) before anything is written; each write runs in one transaction with an
audit row.

- A measure belongs to an open flag (监测帮扶中): category (AssistanceCategory), what is done,
  the person responsible (an active user whose jurisdiction holds the household), the day it
  started (not in the future: measures are recorded as they begin), an optional planned end on
  or after the start, and an optional amount ≥ 0 in yuan.
- A visit is of a household (linked to its open flag when there is one) by the actor on one day:
  the notes and the five guarantees as seen. The same visitor's second record of the same
  household on the same day updates the first (a database constraint holds it). When what the
  visit saw differs from the household's guarantees, and the visit is not older than the
  household's last check, the household is updated through services.households
  .guarantees_update in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction, scoped
from shouwang.livelihood.models import (
    GUARANTEES,
    AssistanceCategory,
    AssistanceMeasure,
    FlagStatus,
    FollowUpVisit,
    Household,
    MonitoringFlag,
)
from shouwang.livelihood.services.fields import add_error as _add
from shouwang.livelihood.services.fields import parse_day, yes_no
from shouwang.livelihood.services.fields import text_of as _text
from shouwang.livelihood.services.households import guarantees_update

if TYPE_CHECKING:
    from shouwang.accounts.models import User

WRITE = "livelihood.write"
GUARANTEE_FIELDS = tuple(name for name, _label in GUARANTEES)
DESCRIPTION_MAX = 255
NOTES_MAX = 4000
AMOUNT_MAX = Decimal("9999999999.99")  # max_digits 12, 2 places
Errors = dict[str, list[str]]


# --- input helpers ------------------------------------------------------------------------------


def _amount(value: Any, errors: Errors) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        _add(errors, "amount", _("请填写数字金额（元）。"))
        return None
    if not amount.is_finite():
        _add(errors, "amount", _("请填写数字金额（元）。"))
        return None
    if amount < 0:
        _add(errors, "amount", _("帮扶金额不能为负数。"))
        return None
    amount = amount.quantize(Decimal("0.01"))
    if amount > AMOUNT_MAX:
        _add(errors, "amount", _("金额过大。"))
        return None
    return amount


def _bool(value: Any) -> bool | None:
    """Yes or no as seen on a visit (blank: no); None when it reads as neither."""
    try:
        return bool(yes_no(value))
    except ValueError:
        return None


def _check_write(actor: User, division_code: str, what: str) -> None:
    """Outside the jurisdiction: NotFound; inside without livelihood.write: PermissionDenied."""
    if not in_jurisdiction(actor, division_code):
        raise NotFound(what)
    if not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def _flag_for_write(actor: User, flag_id: int) -> MonitoringFlag:
    qs = scoped(MonitoringFlag.objects.select_related("household"), actor)
    flag = qs.filter(pk=flag_id).first()
    if flag is None:
        raise NotFound(f"flag {flag_id}")
    _check_write(actor, flag.division_code, f"flag {flag_id}")
    return flag


def _responsible(value: Any, household: Household, errors: Errors) -> User | None:
    from shouwang.accounts.models import User

    if isinstance(value, User):
        value = value.pk
    raw = str(value or "").strip()
    if not raw:
        _add(errors, "responsible", _("请选择帮扶责任人。"))
        return None
    try:
        user_id = int(raw)
    except ValueError:
        _add(errors, "responsible", _("帮扶责任人无效。"))
        return None
    user = User.objects.select_related("division").filter(pk=user_id, is_active=True).first()
    if user is None or not in_jurisdiction(user, household.division_code):
        _add(errors, "responsible", _("帮扶责任人须为在岗用户，且其辖区包含该户。"))
        return None
    return user


# --- measures -----------------------------------------------------------------------------------


def measure_add(*, actor: User, flag_id: int, data: Mapping[str, Any]) -> AssistanceMeasure:
    """Add a measure to an open flag. `data`: category, description, responsible (a user or
    its id),
    started_on, ended_on (optional), amount (optional, yuan)."""
    flag = _flag_for_write(actor, flag_id)
    errors: Errors = {}
    if flag.status != FlagStatus.MONITORING:
        _add(errors, "flag", _("该户风险已消除，不能再添加帮扶措施。"))
    category = _text(data, "category")
    if category not in AssistanceCategory.values:
        _add(errors, "category", _("请从以下选项中选择：%(opts)s") % {
            "opts": "、".join(str(label) for label in AssistanceCategory.labels)})
    description = _text(data, "description")
    if not description:
        _add(errors, "description", _("请填写帮扶内容。"))
    elif len(description) > DESCRIPTION_MAX:
        _add(errors, "description", _("不能超过 %(n)s 个字符。") % {"n": DESCRIPTION_MAX})
    responsible = _responsible(data.get("responsible"), flag.household, errors)
    started = parse_day(data.get("started_on"), "started_on", errors, required=True,
                        missing=_("请填写开始日期。"))
    if started is not None and started > timezone.localdate():
        _add(errors, "started_on", _("开始日期不能晚于今天：帮扶措施在开始实施时登记。"))
    ended = parse_day(data.get("ended_on"), "ended_on", errors, required=False)
    if ended is not None and started is not None and ended < started:
        _add(errors, "ended_on", _("结束日期不能早于开始日期。"))
    amount = _amount(data.get("amount"), errors)
    if errors:
        raise InvalidInput(errors)
    assert responsible is not None and started is not None
    with transaction.atomic():
        locked = MonitoringFlag.objects.select_for_update().get(pk=flag.pk)
        if locked.status != FlagStatus.MONITORING:
            raise InvalidInput({"flag": [_("该户风险已消除，不能再添加帮扶措施。")]})
        measure = AssistanceMeasure.objects.create(
            flag=locked, category=category, description=description, responsible=responsible,
            started_on=started, ended_on=ended, amount=amount, created_by=actor)
        audit_log(actor=actor, action=AuditAction.CREATE, obj=measure,
                  division_code=locked.division_code,
                  summary=f"assistance measure ({category}) for flag {locked.pk}",
                  changes={"category": category, "description": description,
                           "responsible": responsible.pk, "started_on": started.isoformat(),
                           "ended_on": ended.isoformat() if ended else None,
                           "amount": str(amount) if amount is not None else None})
    return measure


def measure_end(*, actor: User, measure_id: int, ended_on: Any) -> AssistanceMeasure:
    """Record the day a measure ended (not before it started, not in the future; a measure
    already ended cannot end again)."""
    qs = scoped(AssistanceMeasure.objects.select_related("flag"), actor, "flag__division_code")
    measure = qs.filter(pk=measure_id).first()
    if measure is None:
        raise NotFound(f"measure {measure_id}")
    _check_write(actor, measure.flag.division_code, f"measure {measure_id}")
    errors: Errors = {}
    today = timezone.localdate()
    day = parse_day(ended_on, "ended_on", errors, required=True, missing=_("请填写结束日期。"))
    if day is not None and day > today:
        _add(errors, "ended_on", _("结束日期不能晚于今天。"))
    elif day is not None and day < measure.started_on:
        _add(errors, "ended_on", _("结束日期不能早于开始日期（%(d)s）。") % {
            "d": measure.started_on.isoformat()})
    if errors:
        raise InvalidInput(errors)
    assert day is not None
    with transaction.atomic():
        locked = AssistanceMeasure.objects.select_for_update().get(pk=measure.pk)
        if locked.ended_on is not None and locked.ended_on <= today:
            raise InvalidInput({"ended_on": [_("该措施已于 %(d)s 结束。") % {
                "d": locked.ended_on.isoformat()}]})
        before = locked.ended_on
        locked.ended_on = day
        locked.save(update_fields=["ended_on"])
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=locked,
                  division_code=measure.flag.division_code,
                  summary=f"assistance measure ended (flag {locked.flag_id})",
                  changes={"ended_on": [before.isoformat() if before else None,
                                        day.isoformat()]})
    return locked


# --- visits -------------------------------------------------------------------------------------


def _guarantees(value: Any, errors: Errors) -> dict[str, bool]:
    seen: dict[str, bool] = {}
    if not isinstance(value, Mapping):
        _add(errors, "guarantees", _("请逐项填写走访所见的保障情况。"))
        return seen
    unknown = sorted(set(map(str, value)) - set(GUARANTEE_FIELDS))
    if unknown:
        _add(errors, "guarantees", _("未知的保障项：%(names)s。") % {"names": "、".join(unknown)})
    for name, label in GUARANTEES:
        if name not in value:
            _add(errors, f"guarantees.{name}", _("请填写“%(label)s”的走访情况。") % {
                "label": label})
            continue
        flag = _bool(value[name])
        if flag is None:
            _add(errors, f"guarantees.{name}", _("请填写是或否。"))
        else:
            seen[name] = flag
    return seen


def visit_record(*, actor: User, household_id: int, data: Mapping[str, Any]
                 ) -> tuple[FollowUpVisit, bool]:
    """Record the actor's visit of a household on `visited_on`: `(visit, created)`. `data`:
    visited_on, notes, guarantees ({name: bool} for each of the five GUARANTEES fields). The
    same visitor, household and day again updates the stored visit (created False)."""
    household = scoped(Household.objects.all(), actor).filter(pk=household_id).first()
    if household is None:
        raise NotFound(f"household {household_id}")
    _check_write(actor, household.division_code, f"household {household_id}")
    errors: Errors = {}
    day = parse_day(data.get("visited_on"), "visited_on", errors, required=True,
                    missing=_("请填写走访日期。"))
    if day is not None and day > timezone.localdate():
        _add(errors, "visited_on", _("走访日期不能晚于今天。"))
    notes = _text(data, "notes")
    if not notes:
        _add(errors, "notes", _("请填写走访情况。"))
    elif len(notes) > NOTES_MAX:
        _add(errors, "notes", _("不能超过 %(n)s 个字符。") % {"n": NOTES_MAX})
    seen = _guarantees(data.get("guarantees"), errors)
    if errors:
        raise InvalidInput(errors)
    assert day is not None
    try:
        with transaction.atomic():
            return _visit_write(actor, household.pk, day, notes, seen)
    except IntegrityError:
        # Another request stored the same visit between our look and our insert: update it.
        with transaction.atomic():
            return _visit_write(actor, household.pk, day, notes, seen)


def _visit_write(actor: User, household_id: int, day: date, notes: str,
                 seen: dict[str, bool]) -> tuple[FollowUpVisit, bool]:
    locked = Household.objects.select_for_update().get(pk=household_id)
    flag = MonitoringFlag.objects.filter(household=locked, status=FlagStatus.MONITORING).first()
    visit = (FollowUpVisit.objects.select_for_update()
             .filter(household=locked, visitor=actor, visited_on=day).first())
    created = visit is None
    if visit is None:
        visit = FollowUpVisit.objects.create(household=locked, flag=flag, visited_on=day,
                                             visitor=actor, notes=notes, guarantees=seen)
        audit_log(actor=actor, action=AuditAction.CREATE, obj=visit,
                  division_code=locked.division_code,
                  summary=f"follow-up visit of household {locked.household_number}",
                  changes={"visited_on": day.isoformat(), "guarantees": seen,
                           "flag": flag.pk if flag else None})
    else:
        before = {"notes": visit.notes, "guarantees": visit.guarantees}
        visit.notes, visit.guarantees = notes, seen
        if visit.flag_id is None and flag is not None:
            visit.flag = flag
        visit.save(update_fields=["notes", "guarantees", "flag"])
        if before != {"notes": notes, "guarantees": seen}:
            audit_log(actor=actor, action=AuditAction.UPDATE, obj=visit,
                      division_code=locked.division_code,
                      summary=f"follow-up visit of household {locked.household_number} "
                              "recorded again",
                      changes={"guarantees": [before["guarantees"], seen],
                               "notes_changed": before["notes"] != notes})
    current = {name: bool(getattr(locked, name)) for name in GUARANTEE_FIELDS}
    newer = locked.guarantees_checked_on is None or day >= locked.guarantees_checked_on
    if current != seen and newer:
        guarantees_update(actor=actor, household_id=locked.pk, version=locked.version,
                          data={**seen, "guarantees_checked_on": day})
    return visit, created
