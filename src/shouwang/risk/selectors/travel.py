"""What applies to a trip (出行管控): the travel policy in force and the levels of the two places.

    travel_rules_for(*, origin_code, destination_code, at=None, disease="covid19") -> TravelAnswer

- A place's level is the highest in force of the place and the divisions above it
  (selectors.levels.level_of_place): a village inside a high-risk county is high.
- The policy is the one in force for the destination on the day: of the policies whose scope
  holds the destination (the nation's, the destination province's own), per code the latest
  version already effective, then the most specific scope, then the latest effective date.
- `at`: None is now; a date is that day — today: now; a past day: the levels in force at the
  end of that day; a later day: the levels known now (they are published a day at a time)
  with the policy that will be in force on it.

Unscoped on purpose: published levels and travel policies are public (the public travel check
answers the same without login). Nothing personal goes in or out. Decision 1120.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.geo.models import Division
from shouwang.geo.selectors import address_normalize
from shouwang.risk.models import AreaRisk, QuarantineKind, RiskLevel, TravelPolicy, TravelRule
from shouwang.risk.reasons import area_reason
from shouwang.risk.selectors.levels import DEFAULT_DISEASE, LevelInForce, level_of_place
from shouwang.risk.selectors.rulesets import scope_names, scope_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

MEASURE_FIELDS = ("certificate_check", "test_within_hours", "test_on_arrival",
                  "quarantine_kind", "quarantine_days", "health_monitoring_days", "advice")


# --- policies -----------------------------------------------------------------------------------


def travel_policy_list(*, user: User | AnonymousUser | None,
                       disease: str = "") -> QuerySet[TravelPolicy]:
    """Policies whose scope overlaps the user's jurisdiction (the nation's and their
    province's), newest version first per code."""
    q = scope_q(user)
    if q is None:
        return TravelPolicy.objects.none()
    qs = TravelPolicy.objects.filter(q).select_related("disease", "created_by")
    if disease:
        qs = qs.filter(disease_id=disease)
    return qs.order_by("disease_id", "scope_prefix", "code", "-version")


def policies_in_force(disease: str, day: date) -> list[TravelPolicy]:
    """Per code, the latest version effective on `day`."""
    latest: dict[str, TravelPolicy] = {}
    for p in (TravelPolicy.objects.filter(disease_id=disease, effective_from__lte=day)
              .order_by("code", "-effective_from", "-version")):
        latest.setdefault(p.code, p)
    return list(latest.values())


def policy_for_destination(destination_code: str, day: date,
                           disease: str = DEFAULT_DISEASE,
                           in_force: list[TravelPolicy] | None = None) -> TravelPolicy | None:
    """The policy governing arrivals into `destination_code` on `day`: most specific scope,
    then latest effective date, then version (`in_force`: policies_in_force, when known)."""
    best: TravelPolicy | None = None
    for p in in_force if in_force is not None else policies_in_force(disease, day):
        if not destination_code.startswith(p.scope_prefix):
            continue
        if best is None or (len(p.scope_prefix), p.effective_from, p.version) > (
                len(best.scope_prefix), best.effective_from, best.version):
            best = p
    return best


def policy_cells(policy: TravelPolicy) -> dict[tuple[str, str], TravelRule]:
    return {(r.origin_level, r.destination_level): r for r in policy.rules.all()}


def policy_table(policy: TravelPolicy) -> list[dict[str, Any]]:
    """Rows by origin level (low, medium, high), each with its three cells by destination
    level, each cell with its measures and their words."""
    cells = policy_cells(policy)
    rows = []
    for o in RiskLevel.values:
        row_cells = []
        for d in RiskLevel.values:
            rule = cells.get((o, d))
            row_cells.append({"destination": d, "rule": rule,
                              "words": measure_words(rule) if rule else []})
        rows.append({"origin": o, "origin_label": RiskLevel(o).label, "cells": row_cells})
    return rows


def policy_statuses(policies: list[TravelPolicy], day: date | None = None) -> dict[int, str]:
    """{id: in_force | superseded | scheduled} on `day`: in force when its code's latest
    effective version decides arrivals into its own scope."""
    day = day or timezone.localdate()
    out: dict[int, str] = {}
    in_force: dict[str, list[TravelPolicy]] = {}
    for p in policies:
        if p.effective_from > day:
            out[p.pk] = "scheduled"
            continue
        if p.disease_id not in in_force:
            in_force[p.disease_id] = policies_in_force(p.disease_id, day)
        chosen = policy_for_destination(p.scope_prefix, day, p.disease_id,
                                        in_force[p.disease_id])
        out[p.pk] = "in_force" if chosen is not None and chosen.pk == p.pk else "superseded"
    return out


# --- what a trip meets --------------------------------------------------------------------------


def measures_of(rule: TravelRule | None) -> dict[str, Any]:
    if rule is None:
        return {}
    return {f: getattr(rule, f) for f in MEASURE_FIELDS}


def measures_apply(rule: TravelRule | None) -> bool:
    return bool(rule is not None and (
        rule.certificate_check or rule.test_within_hours or rule.test_on_arrival
        or rule.quarantine_days or rule.health_monitoring_days))


def measure_words(rule: TravelRule) -> list[str]:
    """Each measure as a short sentence in the reader's language; [] when nothing applies."""
    out: list[str] = []
    if rule.certificate_check:
        out.append(_("查验健康码"))
    if rule.test_within_hours:
        out.append(_("持 %(h)s 小时内核酸检测阴性证明") % {"h": rule.test_within_hours})
    if rule.test_on_arrival:
        out.append(_("抵达后进行核酸检测"))
    if rule.quarantine_days:
        kind = str(QuarantineKind(rule.quarantine_kind).label)
        out.append(_("%(kind)s %(days)s 天") % {"kind": kind, "days": rule.quarantine_days})
    if rule.health_monitoring_days:
        out.append(_("健康监测 %(days)s 天") % {"days": rule.health_monitoring_days})
    return out


@dataclass(frozen=True)
class PlaceLevel:
    code: str
    name: str                 # the place's own name
    place: str                # the full path: 湖北省 武汉市 武昌区
    level: str                # low / medium / high
    level_label: str
    decided_by_code: str      # the area whose level it carries ("" when low everywhere)
    decided_by_name: str
    since: date | None
    reason: str               # why, in the reader's language


@dataclass(frozen=True)
class TravelAnswer:
    disease: str
    day: date                 # the day of travel (decides the policy)
    levels_at: datetime       # the moment whose levels were read
    origin: PlaceLevel
    destination: PlaceLevel
    policy: TravelPolicy | None
    scope_name: str
    rule: TravelRule | None
    measures: dict[str, Any]
    applies: bool             # any measure at all
    measure_words: list[str] = field(default_factory=list)
    summary: str = ""


def _moment(at: date | datetime | None) -> tuple[date, datetime]:
    now = timezone.now()
    if at is None:
        return timezone.localdate(now), now
    if isinstance(at, datetime):
        return timezone.localdate(at), at
    today = timezone.localdate(now)
    if at >= today:
        return at, now
    end = timezone.make_aware(datetime.combine(at + timedelta(days=1), time())) \
        - timedelta(microseconds=1)
    return at, end


def resolve_place(text: str, field_name: str, errors: dict[str, list[str]]) -> Division | None:
    """A division code, or a place name normalised to one; a field error otherwise."""
    value = (text or "").strip()
    if not value:
        errors.setdefault(field_name, []).append(_("请填写区划代码或地名。"))
        return None
    if value.isdigit():
        division = Division.objects.filter(code=value).first()
        if division is None:
            errors.setdefault(field_name, []).append(
                _("未知的区划代码：%(code)s。") % {"code": value})
        return division
    found = address_normalize(value)
    if found.placed and found.code:
        return Division.objects.filter(code=found.code).first()
    if found.reason == "ambiguous" and found.candidates:
        names = Division.objects.filter(code__in=list(found.candidates)[:5])
        errors.setdefault(field_name, []).append(
            _("“%(text)s”对应多个地方，请写明上级区划或使用区划代码：%(options)s。") % {
                "text": value, "options": "、".join(f"{d.name}（{d.code}）" for d in names)})
    else:
        errors.setdefault(field_name, []).append(
            _("无法识别的地名：%(text)s。") % {"text": value})
    return None


def path_codes(code: str) -> list[str]:
    """The codes of a division and those above it below the nation, top first, as stored
    (provinces 420000, prefectures 420100, counties 420111, townships 9, villages 12 digits)."""
    out = [code[:2] + "0000", code[:4] + "00", code[:6], code[:9], code]
    return [c for c in dict.fromkeys(out) if len(c) <= len(code) and c.strip("0")]


def _names(codes: set[str]) -> dict[str, str]:
    """{code: name} in the reader's language (one query)."""
    english = (translation.get_language() or "").startswith("en")
    return {code: (name_en if english and name_en else name) for code, name, name_en in
            Division.objects.filter(code__in=codes).values_list("code", "name", "name_en")}


def _path_name(code: str, names: dict[str, str]) -> str:
    return " ".join(names[c] for c in path_codes(code) if c in names)


def _reason(found: LevelInForce | None) -> str:
    if found is None:
        return str(_("所在地及上级区划均为低风险"))
    if found.area_risk_id is not None:
        row = AreaRisk.objects.select_related("override").filter(pk=found.area_risk_id).first()
        if row is not None and row.override_id == found.override_id:
            return area_reason(row)
    if found.override_id is not None:
        return _("人工调整：%(reason)s") % {"reason": found.reason}
    return found.reason


def _place_level(division: Division, disease: str, at: datetime,
                 names: dict[str, str]) -> PlaceLevel:
    level, found = level_of_place(division.code, disease, at)
    risky = level != RiskLevel.LOW and found is not None and found.level == level
    decided = found if risky else None
    return PlaceLevel(
        code=division.code, name=names.get(division.code, division.name),
        place=_path_name(division.code, names), level=str(level),
        level_label=str(RiskLevel(level).label),
        decided_by_code=decided.division_code if decided else "",
        decided_by_name=_path_name(decided.division_code, names) if decided else "",
        since=decided.since if decided else None, reason=_reason(decided))


def _summary(answer: TravelAnswer) -> str:
    o, d = answer.origin, answer.destination
    head = _("从%(origin)s（%(olevel)s）到%(dest)s（%(dlevel)s）") % {
        "origin": o.place or o.name, "olevel": o.level_label,
        "dest": d.place or d.name, "dlevel": d.level_label}
    parts = [head]
    for label, p in ((_("出发地"), o), (_("目的地"), d)):
        if p.level != RiskLevel.LOW and p.decided_by_code and p.decided_by_code != p.code:
            parts.append(_("%(which)s属于%(area)s（%(level)s）：%(reason)s") % {
                "which": label, "area": p.decided_by_name, "level": p.level_label,
                "reason": p.reason})
        elif p.level != RiskLevel.LOW:
            parts.append(_("%(which)s为%(level)s：%(reason)s") % {
                "which": label, "level": p.level_label, "reason": p.reason})
    if answer.policy is None:
        parts.append(_("目的地没有生效的出行管控政策"))
    elif not answer.applies:
        parts.append(_("无出行限制"))
    else:
        parts.append(_("须：%(measures)s") % {"measures": _("；").join(answer.measure_words)})
    if answer.rule is not None and answer.rule.advice:
        parts.append(_("提示：%(advice)s") % {"advice": answer.rule.advice.rstrip("。.")})
    sentences = [str(p).rstrip("。.") for p in parts]
    if (translation.get_language() or "").startswith("en"):
        return ". ".join(sentences) + "."
    return "。".join(sentences) + "。"


def travel_rules_for(*, origin_code: str, destination_code: str,
                     at: date | datetime | None = None,
                     disease: str = DEFAULT_DISEASE) -> TravelAnswer:
    """What applies to a person travelling from `origin_code` to `destination_code` (division
    codes, or place names the address normaliser places) on `at`. InvalidInput with the
    fields "from" / "to" for an unknown place."""
    errors: dict[str, list[str]] = {}
    origin = resolve_place(origin_code, "from", errors)
    destination = resolve_place(destination_code, "to", errors)
    if errors:
        raise InvalidInput(errors)
    assert origin is not None and destination is not None
    day, moment = _moment(at)
    names = _names(set(path_codes(origin.code)) | set(path_codes(destination.code)))
    o = _place_level(origin, disease, moment, names)
    d = _place_level(destination, disease, moment, names)
    policy = policy_for_destination(destination.code, day, disease)
    rule = policy_cells(policy).get((o.level, d.level)) if policy is not None else None
    scope = scope_names({policy.scope_prefix}).get(policy.scope_prefix, "") if policy else ""
    answer = TravelAnswer(
        disease=disease, day=day, levels_at=moment, origin=o, destination=d, policy=policy,
        scope_name=scope, rule=rule, measures=measures_of(rule), applies=measures_apply(rule),
        measure_words=measure_words(rule) if rule is not None else [])
    return TravelAnswer(**{**answer.__dict__, "summary": _summary(answer)})
