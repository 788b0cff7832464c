"""Bulk import of the household register (农户台账批量导入): a village's or county's register as
it arrives from the national system, one row per member, grouped by household number.

`households_import(actor=, rows=)` validates every row with the registry's own validators
(services/households.py `_household_fields`, `_member_fields` → surveillance `person_fields`),
checks the file as a whole (one head per household, a person in one household only — in the
file and among the active members stored —, divisions known and inside the actor's
jurisdiction) and then writes all or nothing: households and members are INSERTed in batches
with the same encryption and keyed hashes the models store (surveillance bulk_insert.Inserter),
one audit row per household. Re-importing a file stores nothing twice: a household whose number
is stored with the same data is "unchanged"; one stored with different data is refused (a row
error naming the fields that differ — changes go through the versioned household pages).
Decision record: docs/decisions/1280-household-register-import.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core import crypto
from shouwang.core.context import current_request_context
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.models import Division
from shouwang.livelihood.models import Household, Member, Relationship
from shouwang.livelihood.services.fields import yes_no
from shouwang.livelihood.services.households import (
    GUARANTEE_FIELDS,
    HOUSEHOLD_LEVELS,
    Errors,
    _date,
    _household_fields,
    _member_fields,
    require_write,
)
from shouwang.surveillance.services.bulk_insert import bulk_session, inserter, select_in

if TYPE_CHECKING:
    from shouwang.accounts.models import User

Progress = Callable[[int, int], None]

HOUSEHOLD_KEYS = ("household_number", "division_code", "poverty_status", "lifted_out_year",
                  "address_detail", *GUARANTEE_FIELDS, "guarantees_checked_on")
MEMBER_COMPARE = ("name", "id_type", "id_number", "phone", "sex", "birth_date", "relationship",
                  "health", "disability", "schooling", "work", "migrant_destination_code",
                  "migrant_destination")
HOUSEHOLD_COMPARE = ("division_code", "poverty_status", "lifted_out_year", "address_detail",
                     *GUARANTEE_FIELDS)
MAX_ERRORS = 500
BATCH = 1000


@dataclass
class ImportResult:
    """What an import did (or, dry run, would do)."""

    rows: int = 0
    households: int = 0
    created: int = 0
    unchanged: int = 0
    members: int = 0
    dry_run: bool = False
    created_numbers: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "households": self.households, "created": self.created,
                "unchanged": self.unchanged, "members": self.members, "dry_run": self.dry_run}


@dataclass
class _Row:
    line: int
    data: Mapping[str, Any]
    member: dict[str, Any] = field(default_factory=dict)
    key: str = ""  # the person's keyed hash (ID number), "" without one


@dataclass
class _House:
    number: str
    rows: list[_Row] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)
    guarantees_checked_on: date | None = None


class _Collector:
    """Errors by "row N.field", capped so a wholly wrong file still answers quickly."""

    def __init__(self) -> None:
        self.fields: dict[str, list[Any]] = {}
        self.count = 0

    def add(self, line: int, name: str, message: Any) -> None:
        self.count += 1
        if self.count <= MAX_ERRORS:
            self.fields.setdefault(f"row {line}.{name}", []).append(message)

    def merge(self, line: int, errors: Errors) -> None:
        for name, messages in errors.items():
            for message in messages:
                self.add(line, name, message)

    def raise_if_any(self) -> None:
        if not self.count:
            return
        out = dict(self.fields)
        if self.count > MAX_ERRORS:
            out["file"] = [_("共 %(n)s 处错误，仅列出前 %(m)s 处。") % {
                "n": self.count, "m": MAX_ERRORS}]
        raise InvalidInput(out, message=_("文件有 %(n)s 处错误，未导入任何数据。") % {
            "n": self.count})


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()




def _group(rows: Iterable[Mapping[str, Any]], errs: _Collector) -> dict[str, _House]:
    """Rows by household number, in file order; a row without a number is an error."""
    houses: dict[str, _House] = {}
    for index, data in enumerate(rows, start=1):
        line = int(data.get("_row") or index)
        number = _text(data.get("household_number"))
        if not number:
            errs.add(line, "household_number", _("请填写户编号。"))
            continue
        houses.setdefault(number, _House(number)).rows.append(_Row(line, data))
    return houses


def _household_values(house: _House, errs: _Collector) -> tuple[dict[str, Any], int]:
    """The household's own fields from its rows: a value given on several rows must agree.
    Returns them and the line they are reported on (the head's row, else the first)."""
    head = next((r for r in house.rows if _text(r.data.get("relationship")) == Relationship.HEAD),
                house.rows[0])
    values: dict[str, Any] = {}
    source: dict[str, int] = {}
    for row in [head, *[r for r in house.rows if r is not head]]:
        for key in HOUSEHOLD_KEYS:
            value = _text(row.data.get(key))
            if not value:
                continue
            if key not in values:
                values[key], source[key] = value, row.line
            elif values[key] != value:
                errs.add(row.line, key, _("与本户第 %(line)s 行的“%(value)s”不一致。") % {
                    "line": source[key], "value": values[key]})
    return values, head.line


def _check_household(actor: User, house: _House, divisions: dict[str, str],
                     errs: _Collector) -> None:
    values, line = _household_values(house, errs)
    errors: Errors = {}
    house.fields = _household_fields(values, errors, partial=False, current=None)
    code = values.get("division_code", "")
    if not code:
        errors.setdefault("division_code", []).append(_("请填写所在区划代码。"))
    elif code not in divisions:
        errors.setdefault("division_code", []).append(
            _("未知的区划代码，或不是县级及以下区划：%(code)s") % {"code": code[:12]})
    elif not in_jurisdiction(actor, code):
        errors.setdefault("division_code", []).append(
            _("区划 %(code)s（%(name)s）不在您的管辖范围内。") % {"code": code,
                                                          "name": divisions[code]})
    house.fields["division_code"] = code
    for key in GUARANTEE_FIELDS:
        try:
            flag = yes_no(values.get(key))
        except ValueError:
            errors.setdefault(key, []).append(_("请填写“是”或“否”。"))
            flag = None
        house.fields[key] = True if flag is None else flag
    house.guarantees_checked_on = _date(values, "guarantees_checked_on", errors)
    if house.guarantees_checked_on and house.guarantees_checked_on > timezone.localdate():
        errors.setdefault("guarantees_checked_on", []).append(_("日期不能晚于今天。"))
    errs.merge(line, errors)


def _check_members(house: _House, seen: dict[str, tuple[str, int]], errs: _Collector) -> None:
    heads = []
    for row in house.rows:
        errors: Errors = {}
        row.member = _member_fields(row.data, errors, current=None)
        errs.merge(row.line, errors)
        if row.member["relationship"] == Relationship.HEAD:
            heads.append(row)
        number = row.member["id_number"]
        if not number:
            continue
        row.key = crypto.keyed_hash(number, "id_number")
        other = seen.get(row.key)
        if other is None:
            seen[row.key] = (house.number, row.line)
        elif other[0] == house.number:
            errs.add(row.line, "id_number", _("与本户第 %(line)s 行是同一人（证件号码相同）。") % {
                "line": other[1]})
        else:
            errs.add(row.line, "id_number",
                     _("此人在文件中已登记于另一农户（户编号 %(number)s，第 %(line)s 行）。") % {
                         "number": other[0], "line": other[1]})
    if not heads:
        errs.add(house.rows[0].line, "relationship",
                 _("户编号 %(number)s 没有户主：每户须有且只有一名户主。") % {
                     "number": house.number})
    for extra in heads[1:]:
        errs.add(extra.line, "relationship",
                 _("户编号 %(number)s 已有户主（第 %(line)s 行），一户只能有一名户主。") % {
                     "number": house.number, "line": heads[0].line})


def _known_divisions(codes: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    codes_list = sorted(c for c in codes if c)
    for start in range(0, len(codes_list), 500):
        found.update(Division.objects.filter(code__in=codes_list[start:start + 500],
                                             level__in=HOUSEHOLD_LEVELS)
                     .values_list("code", "name"))
    return found


def _stored(houses: dict[str, _House]) -> dict[str, Household]:
    numbers = list(houses)
    out: dict[str, Household] = {}
    for start in range(0, len(numbers), 500):
        out.update((h.household_number, h) for h in
                   Household.objects.filter(household_number__in=numbers[start:start + 500]))
    return out


def _active_elsewhere(keys: list[str]) -> dict[str, str]:
    """Keyed hash → household number of the person's active membership."""
    out: dict[str, str] = {}
    for start in range(0, len(keys), 500):
        out.update((str(k), str(n)) for k, n in select_in(
            "SELECT m.id_number_hash, h.household_number FROM livelihood_member m "
            "JOIN livelihood_household h ON h.id = m.household_id "
            "WHERE m.active AND m.id_number_hash IN ({values})", keys[start:start + 500]))
    return out


def _differences(house: _House, stored: Household, members: list[Member]) -> list[str]:
    """The fields on which the file's household differs from the stored one (empty: same)."""
    diffs = [k for k in HOUSEHOLD_COMPARE if getattr(stored, k) != house.fields[k]]
    if house.guarantees_checked_on and stored.guarantees_checked_on != house.guarantees_checked_on:
        diffs.append("guarantees_checked_on")

    def key(values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(values[k] for k in MEMBER_COMPARE)

    mine = sorted((key(r.member) for r in house.rows), key=repr)
    theirs = sorted((key({k: getattr(m, k) for k in MEMBER_COMPARE}) for m in members), key=repr)
    if mine != theirs:
        diffs.append("members")
    return diffs


def _check_stored(actor: User, houses: dict[str, _House], errs: _Collector
                  ) -> set[str]:
    """Check the file against the database; returns the numbers stored unchanged."""
    stored = _stored(houses)
    unchanged: set[str] = set()
    by_household: dict[int, list[Member]] = {}
    if stored:
        ids = [h.pk for h in stored.values()]
        for start in range(0, len(ids), 500):
            for m in Member.objects.filter(household_id__in=ids[start:start + 500], active=True):
                by_household.setdefault(m.household_id, []).append(m)
    for number, household in stored.items():
        house = houses[number]
        line = house.rows[0].line
        if not in_jurisdiction(actor, household.division_code):
            errs.add(line, "household_number", _("该户编号已被使用。"))
            continue
        diffs = _differences(house, household, by_household.get(household.pk, []))
        if diffs:
            errs.add(line, "household_number", _(
                "户编号 %(number)s 已登记，且与文件不同（%(fields)s）：导入不修改已登记的农户，"
                "请在农户页面修改，或从文件中删去该户。") % {
                    "number": number, "fields": ", ".join(diffs)})
        else:
            unchanged.add(number)
    keys = [r.key for h in houses.values() for r in h.rows if r.key]
    elsewhere = _active_elsewhere(keys)
    for house in houses.values():
        for row in house.rows:
            other = elsewhere.get(row.key) if row.key else None
            if other is not None and other != house.number:
                errs.add(row.line, "id_number",
                         _("此人已是另一农户（户编号 %(number)s）的在户成员。") % {"number": other})
    return unchanged


def households_import(*, actor: User, rows: Iterable[Mapping[str, Any]],
                      progress: Progress | None = None, dry_run: bool = False,
                      source: str = "") -> ImportResult:
    """Import a household register, one row (a dict) per member: all or nothing.

    Rows carry the household's fields (household_number, division_code, poverty_status,
    lifted_out_year, address_detail, the five guarantees, guarantees_checked_on) on the head's
    row or on every row (they must agree), and the member's (name, id_type, id_number, phone,
    relationship, health, disability, schooling, work, migrant_destination(_code)). A row's
    number is its "_row" (the file line) or its position from 1. Any error: InvalidInput with
    fields "row N.field", nothing written. `progress(done, total)` counts rows checked, then
    households written. `dry_run`: check everything, write nothing. `source` names the file in
    the audit rows."""
    require_write(actor)
    errs = _Collector()
    rows = list(rows)
    houses = _group(rows, errs)
    result = ImportResult(rows=len(rows), households=len(houses), dry_run=dry_run)
    total = len(rows) + len(houses)
    done = 0
    divisions = _known_divisions({_text(r.get("division_code")) for r in rows})
    seen: dict[str, tuple[str, int]] = {}
    unchanged: set[str] = set()
    for house in houses.values():
        _check_household(actor, house, divisions, errs)
        _check_members(house, seen, errs)
        done += len(house.rows)
        if progress is not None and (done % BATCH < len(house.rows) or done == len(rows)):
            progress(done, total)
    if not errs.count:
        unchanged = _check_stored(actor, houses, errs)
    errs.raise_if_any()
    new = [h for h in houses.values() if h.number not in unchanged]
    result.unchanged = len(houses) - len(new)
    result.created = len(new)
    result.members = sum(len(h.rows) for h in new)
    result.created_numbers = [h.number for h in new]
    if dry_run or not new:
        if progress is not None:
            progress(total, total)
        return result
    try:
        with bulk_session(), transaction.atomic():
            for start in range(0, len(new), BATCH):
                _write(actor, new[start:start + BATCH], source)
                if progress is not None:
                    progress(len(rows) + min(start + BATCH, len(new)) + result.unchanged, total)
    except IntegrityError:
        # Someone registered the same number or person between the checks and the write.
        raise InvalidInput({"file": [_("写入时发现冲突（可能有人同时登记了相同的户编号或人员），"
                                       "未导入任何数据，请重新导入。")]}) from None
    return result


def _write(actor: User, batch: list[_House], source: str) -> None:
    """INSERT a batch of households, their members and one audit row each."""
    now = timezone.now()
    insert_h = inserter(Household)
    params = []
    for house in batch:
        row = dict(insert_h.defaults)
        row.update(house.fields)
        row.update(guarantees_checked_on=house.guarantees_checked_on, version=1,
                   created_at=now, updated_at=now)
        params.append(insert_h.params(row))
    ids = {str(number): pk for pk, number in
           insert_h.insert_returning(params, "household_number")}
    insert_m = inserter(Member)
    members = []
    for house in batch:
        for r in house.rows:
            row = dict(insert_m.defaults)
            row.update(r.member)
            row.update(household_id=ids[house.number], active=True, left_on=None,
                       id_number_hash=r.key or None)
            members.append(insert_m.params(row))
    insert_m.insert_params(members)
    ctx = current_request_context()
    AuditEvent.objects.bulk_create([AuditEvent(
        occurred_at=now, actor=actor, actor_username=actor.username,
        actor_role=getattr(actor, "role", "") or "",
        actor_division_code=getattr(actor, "division_id", "") or "",
        action=AuditAction.CREATE, object_type="livelihood.household",
        object_id=str(ids[h.number]), division_code=str(h.fields["division_code"])[:12],
        summary=f"household {h.number} imported with {len(h.rows)} members"[:255],
        changes={"import": source[:200], "members": len(h.rows),
                 "rows": [r.line for r in h.rows][:50]},
        ip_address=ctx.ip_address if ctx else None, user_agent=ctx.user_agent if ctx else "",
        request_id=ctx.request_id if ctx else "") for h in batch], batch_size=BATCH)
