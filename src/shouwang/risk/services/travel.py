"""Travel policies (出行管控政策) as versioned data: what a traveller meets, by the level of the
origin and of the destination. Made by provincial and national officers (risk.override) for
arrivals into their province or the nation. Decision 1120.

    travel_policy_create(*, actor, data) -> TravelPolicy

`data`: ``code``, ``name``, ``disease``, ``scope`` (the nation, or a province: arrivals into it),
``effective_from`` (YYYY-MM-DD, today or later and after the last published day), ``note``, and
``rules``: the nine cells, a list of objects with ``origin_level``, ``destination_level`` and the
measures (``certificate_check``, ``test_within_hours``, ``test_on_arrival``,
``quarantine_kind``, ``quarantine_days``, ``health_monitoring_days``, ``advice``), or a mapping
``{"<origin>-><destination>": measures}``. A new version of an existing code keeps its disease
and scope and takes the fields it does not give from the version before. Policies are never
edited or deleted. What applies to one trip: selectors.travel.travel_rules_for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.geo.models import Level
from shouwang.risk.models import QuarantineKind, RiskLevel, TravelPolicy, TravelRule
from shouwang.risk.services.rulesets import (
    CODE_RE,
    NAME_MAX,
    NOTE_MAX,
    OVERRIDE,
    _given,
    check_effective_from,
    latest_version,
    locked_disease,
    may_change_rules,
    parse_day,
    text_field,
    version_scope,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

LEVELS = tuple(RiskLevel.values)
CELLS = tuple((o, d) for o in LEVELS for d in LEVELS)
DEFAULT_DISEASE = "covid19"
MEASURES = ("certificate_check", "test_within_hours", "test_on_arrival", "quarantine_kind",
            "quarantine_days", "health_monitoring_days", "advice")
MAX_TEST_HOURS = 168
MAX_DAYS = 60
ADVICE_MAX = 255


def _cells(raw: Any, errors: dict[str, list[str]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    """The cells given, keyed (origin, destination); shape errors under "rules"."""
    out: dict[tuple[str, str], Mapping[str, Any]] = {}
    items: list[tuple[Any, Any]]
    if isinstance(raw, Mapping):
        items = []
        for key, measures in raw.items():
            origin, _sep, destination = str(key).partition("->")
            items.append(((origin.strip(), destination.strip()), measures))
    elif isinstance(raw, (list, tuple)):
        items = [((c.get("origin_level"), c.get("destination_level")), c)
                 if isinstance(c, Mapping) else ((None, None), c) for c in raw]
    else:
        errors.setdefault("rules", []).append(_("请填写出发地与目的地各风险等级组合的 9 项规则。"))
        return out
    for key, measures in items:
        if key not in CELLS or not isinstance(measures, Mapping):
            errors.setdefault("rules", []).append(
                _("无效的规则项：出发地与目的地等级应为 low、medium 或 high。"))
            continue
        if key in out:
            errors.setdefault("rules", []).append(
                _("%(o)s→%(d)s 重复出现。") % {"o": key[0], "d": key[1]})
            continue
        out[key] = measures
    missing = [f"{o}→{d}" for o, d in CELLS if (o, d) not in out]
    if missing and not errors.get("rules"):
        errors.setdefault("rules", []).append(
            _("缺少以下组合的规则：%(cells)s。") % {"cells": ", ".join(missing)})
    return out


def _flag(value: Any, field: str, errors: dict[str, list[str]]) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1", "on", "yes"):
        return True
    if str(value).lower() in ("false", "0", "off", "no"):
        return False
    errors.setdefault(field, []).append(_("应为是或否。"))
    return False


def _whole(value: Any, field: str, errors: dict[str, list[str]], *, low: int, high: int,
           blank: int | None) -> int | None:
    if value in (None, ""):
        return blank
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        errors.setdefault(field, []).append(
            _("应为 %(low)s 到 %(high)s 之间的整数。") % {"low": low, "high": high})
        return blank
    return number


def clean_cell(origin: str, destination: str, measures: Mapping[str, Any],
               errors: dict[str, list[str]]) -> dict[str, Any]:
    """One cell's measures, checked field by field; errors under
    "rules.<origin>.<destination>.<field>"."""
    base = f"rules.{origin}.{destination}."
    unknown = sorted(set(measures) - set(MEASURES) - {"origin_level", "destination_level"})
    for name in unknown:
        errors.setdefault(base + name, []).append(_("未知字段。"))
    kind = str(measures.get("quarantine_kind") or "").strip()
    if kind not in QuarantineKind.values:
        errors.setdefault(base + "quarantine_kind", []).append(
            _("隔离方式应为空、home（居家隔离）或 centralised（集中隔离）。"))
        kind = ""
    days = _whole(measures.get("quarantine_days"), base + "quarantine_days", errors,
                  low=0, high=MAX_DAYS, blank=0) or 0
    if days > 0 and not kind:
        errors.setdefault(base + "quarantine_kind", []).append(
            _("隔离天数大于 0 时须选择隔离方式。"))
    if kind and days == 0 and base + "quarantine_days" not in errors:
        errors.setdefault(base + "quarantine_days", []).append(
            _("选择了隔离方式时，隔离天数须大于 0。"))
    advice = str(measures.get("advice") or "").strip()
    if len(advice) > ADVICE_MAX:
        errors.setdefault(base + "advice", []).append(
            _("不能超过 %(n)s 个字符。") % {"n": ADVICE_MAX})
    return {
        "certificate_check": _flag(measures.get("certificate_check"),
                                   base + "certificate_check", errors),
        "test_within_hours": _whole(measures.get("test_within_hours"),
                                    base + "test_within_hours", errors, low=1,
                                    high=MAX_TEST_HOURS, blank=None),
        "test_on_arrival": _flag(measures.get("test_on_arrival"), base + "test_on_arrival",
                                 errors),
        "quarantine_kind": kind, "quarantine_days": days,
        "health_monitoring_days": _whole(measures.get("health_monitoring_days"),
                                         base + "health_monitoring_days", errors, low=0,
                                         high=MAX_DAYS, blank=0) or 0,
        "advice": advice,
    }


def _previous_cells(policy: TravelPolicy) -> dict[str, dict[str, Any]]:
    return {f"{r.origin_level}->{r.destination_level}": {m: getattr(r, m) for m in MEASURES}
            for r in policy.rules.all()}


def travel_policy_create(*, actor: User, data: Mapping[str, Any]) -> TravelPolicy:
    """A new travel policy, or version previous + 1 of an existing code, with its nine cells.
    PermissionDenied without risk.override; NotFound for a scope outside the jurisdiction;
    InvalidInput by field, with nothing written."""
    if not may_change_rules(actor):
        raise PermissionDenied(OVERRIDE)
    errors: dict[str, list[str]] = {}
    code = str(data.get("code") or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = [_("政策代码只能包含小写字母、数字和连字符，最多 48 个字符。")]
    with transaction.atomic():
        previous = latest_version(TravelPolicy, code, actor, errors)
        given = _given(data, previous)
        division = version_scope(actor, previous, given("scope", None), errors)
        if division is not None and division.level not in (Level.NATION, Level.PROVINCE):
            errors.setdefault("scope", []).append(
                _("出行政策的适用范围应为全国或一个省（到达该省的出行）。"))
        disease = locked_disease(str(data.get("disease") or (
            previous.disease_id if previous else DEFAULT_DISEASE)), errors)
        if previous is not None:
            if division is not None and division.prefix != previous.scope_prefix:
                errors.setdefault("scope", []).append(
                    _("同一政策代码的新版本不能改变适用范围；请使用新的政策代码。"))
            if disease is not None and disease.code != previous.disease_id:
                errors.setdefault("disease", []).append(
                    _("同一政策代码的新版本不能改变病种；请使用新的政策代码。"))
        name = text_field({"name": given("name", previous.name if previous else "")}, "name",
                          NAME_MAX, errors, required=True)
        note = text_field(data, "note", NOTE_MAX, errors)
        raw_rules = given("rules", _previous_cells(previous) if previous else None)
        cells = _cells(raw_rules, errors)
        cleaned = {key: clean_cell(key[0], key[1], measures, errors)
                   for key, measures in cells.items()}
        effective_from = parse_day(data.get("effective_from"), "effective_from", errors)
        if disease is not None:
            check_effective_from(effective_from, disease.code, errors)
        if errors:
            raise InvalidInput(errors)
        assert division is not None and disease is not None and effective_from is not None
        version = previous.version + 1 if previous is not None else 1
        try:
            with transaction.atomic():
                policy = TravelPolicy.objects.create(
                    code=code, version=version, name=name, disease=disease,
                    scope_prefix=division.prefix, effective_from=effective_from, note=note,
                    created_by=actor)
                TravelRule.objects.bulk_create([
                    TravelRule(policy=policy, origin_level=o, destination_level=d,
                               **cleaned[(o, d)]) for o, d in CELLS])
        except IntegrityError:
            raise InvalidInput({"code": [_("该政策代码刚刚新增了版本，请刷新后重试。")]}) from None
        audit_log(actor=actor, action=AuditAction.CREATE, obj=policy,
                  division_code=division.code,
                  summary=f"travel policy {code} v{version} from {effective_from.isoformat()}",
                  changes={"scope_prefix": division.prefix, "disease": disease.code,
                           "effective_from": effective_from.isoformat(),
                           "rules": {f"{o}->{d}": cleaned[(o, d)] for o, d in CELLS},
                           "previous": previous.pk if previous else None})
    return policy
