"""Monitoring lines and rule sets as data the cadres manage (issue 7, item 3; decision 1270).

    threshold_set(*, actor, data) -> MonitoringThreshold
    ruleset_create(*, actor, data) -> MonitoringRuleSet

`threshold_set` stores the monitoring line (监测标准) of a year for the nation (``province_code``
"": national cadres only) or one province (its cadres or the nation's): ``year``,
``poverty_line`` > 0, ``multiple`` > 0 (default 1.5; with an explicit ``amount`` and no
multiple, their quotient), ``amount`` (default poverty_line × multiple rounded to whole yuan;
an announced figure may be given as it is), ``note``. Setting the same values again changes
nothing. A line already used by a stored monitoring pass (MonitoringRun of a month in that year
or later, in that province or, for the national line, where no provincial line stands) is never
changed, nor replaced by a new provincial row: the history of passes is never rewritten.

`ruleset_create` stores a new rule set, or version previous + 1 of an existing code (a stored
version is never edited): ``code``, ``name``, ``name_en``, ``kind`` (a registered kind of
shouwang.epi.livelihood_rules), ``params`` (validated by the kind, each bad parameter a field
error ``params.<name>``; stored with the defaults filled in), ``scope`` (a division code the
actor governs: the nation, a province, a city or a county), ``effective_from`` (YYYY-MM-DD:
after the last month a stored pass evaluated in the scope, and not before the previous
version's), ``note``. A new version takes the fields it does not give from the version before
and keeps its scope.

Both need livelihood.write (PermissionDenied); a division outside the actor's jurisdiction is
NotFound (404); bad input is InvalidInput by field in Chinese, with nothing written; every write
is audited. The generic helpers (latest version, scope, text fields, parameter messages) are
risk's (services/rulesets.py), shared rather than copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.epi import livelihood_rules
from shouwang.geo.models import Division, Level
from shouwang.livelihood.models import MonitoringRuleSet, MonitoringRun, MonitoringThreshold
from shouwang.risk.services.rulesets import (
    CODE_RE,
    NAME_EN_MAX,
    NAME_MAX,
    NOTE_MAX,
    _given,
    governed_division,
    latest_version,
    param_message,
    parse_day,
    text_field,
    version_scope,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

WRITE = "livelihood.write"
FIRST_YEAR = 2000
LAST_YEAR = 2100
DEFAULT_MULTIPLE = Decimal("1.50")
LINE_LIMIT = Decimal("99999999.99")      # MonitoringThreshold: max_digits 10, 2 places
MULTIPLE_LIMIT = Decimal("99.99")        # max_digits 4, 2 places
SCOPE_LEVELS = (Level.NATION, Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)


def may_manage(actor: User | AnonymousUser | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active
                and actor.has_capability(WRITE))


# --- thresholds -------------------------------------------------------------------------------


def _year(value: Any, errors: dict[str, list[str]]) -> int | None:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        errors.setdefault("year", []).append(_("请填写年度（如 2026）。"))
        return None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors.setdefault("year", []).append(
            _("年度应在 %(lo)s 到 %(hi)s 之间。") % {"lo": FIRST_YEAR, "hi": LAST_YEAR})
        return None
    return year


def _positive(data: Mapping[str, Any], name: str, limit: Decimal, errors: dict[str, list[str]],
              *, required: bool) -> Decimal | None:
    """A number > 0 with two decimal places at most, or None when left out (not required)."""
    raw = data.get(name)
    if raw is None or str(raw).strip() == "":
        if required:
            errors.setdefault(name, []).append(_("此项为必填项。"))
        return None
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        errors.setdefault(name, []).append(_("请填写数字。"))
        return None
    if not value.is_finite() or value <= 0:
        errors.setdefault(name, []).append(_("应大于 0。"))
        return None
    if value != value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP):
        errors.setdefault(name, []).append(_("最多保留两位小数。"))
        return None
    if value > limit:
        errors.setdefault(name, []).append(_("不能超过 %(limit)s。") % {"limit": limit})
        return None
    return value.quantize(Decimal("0.01"))


def _evaluated_under(year: int, province_code: str) -> date | None:
    """The last month a stored pass evaluated, in `year` or later, over households that the
    line of (year, province_code) is in force for; None when there is none.

    A pass reads the lines of every year its window reaches back over (24 months and more:
    selectors/monitoring.py), so a pass of a later year has used this year's line too. A
    provincial line holds in its province; the national line wherever no provincial line of
    the year stands (a pass over a province with its own line did not use it)."""
    runs = MonitoringRun.objects.filter(month__gte=date(year, 1, 1))
    if province_code:
        head = province_code[:2]
        found: date | None = (runs.filter(Q(division_prefix="")
                                          | Q(division_prefix__startswith=head))
                              .aggregate(m=Max("month"))["m"])
        return found
    own = {code[:2] for code in MonitoringThreshold.objects.filter(year=year)
           .exclude(province_code="").values_list("province_code", flat=True)}
    months = [month for prefix, month in runs.values_list("division_prefix", "month")
              if not prefix or prefix[:2] not in own]
    return max(months) if months else None


def _line_used(year: int, province_code: str, existing: MonitoringThreshold | None) -> date | None:
    """The month of a stored pass whose line the write would change, or None."""
    if existing is not None:
        return _evaluated_under(year, province_code)
    if province_code and MonitoringThreshold.objects.filter(year=year,
                                                            province_code="").exists():
        # A new provincial line replaces the national one the province's passes used.
        return _evaluated_under(year, province_code)
    return None  # a pass found no line here: it evaluated nobody with one


def _same(row: MonitoringThreshold, values: Mapping[str, Any]) -> bool:
    return all(getattr(row, k) == v for k, v in values.items())


def threshold_set(*, actor: User, data: Mapping[str, Any]) -> MonitoringThreshold:
    """Create or change the line of (year, province). PermissionDenied without livelihood.write;
    NotFound for a province (or the nation) the actor does not govern; InvalidInput by field."""
    if not may_manage(actor):
        raise PermissionDenied(WRITE)
    errors: dict[str, list[str]] = {}
    year = _year(data.get("year"), errors)
    division = governed_division(actor, str(data.get("province_code") or ""), errors,
                                 field="province_code")
    if division is not None and division.level not in (Level.NATION, Level.PROVINCE):
        errors.setdefault("province_code", []).append(
            _("监测标准按全国或省份设定：请选择一个省级区划，或留空表示全国。"))
    poverty_line = _positive(data, "poverty_line", LINE_LIMIT, errors, required=True)
    multiple = _positive(data, "multiple", MULTIPLE_LIMIT, errors, required=False)
    amount = _positive(data, "amount", LINE_LIMIT, errors, required=False)
    note = text_field(data, "note", NOTE_MAX, errors)
    if poverty_line is not None and multiple is None and "multiple" not in errors:
        if amount is None:
            multiple = DEFAULT_MULTIPLE
        else:  # an announced line: the multiple is the quotient
            multiple = (amount / poverty_line).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if not Decimal("0") < multiple <= MULTIPLE_LIMIT:
                errors.setdefault("amount", []).append(
                    _("监测标准与脱贫标准之比应大于 0 且不超过 %(limit)s。") % {
                        "limit": MULTIPLE_LIMIT})
    if amount is None and poverty_line is not None and multiple is not None:
        amount = (poverty_line * multiple).quantize(Decimal("1"), rounding=ROUND_HALF_UP
                                                    ).quantize(Decimal("0.01"))
        if amount <= 0 or amount > LINE_LIMIT:
            errors.setdefault("amount", []).append(_("监测标准超出范围。"))
    if errors:
        raise InvalidInput(errors)
    assert year is not None and division is not None and poverty_line is not None
    assert multiple is not None and amount is not None
    province_code = "" if division.level == Level.NATION else division.code
    values = {"poverty_line": poverty_line, "multiple": multiple, "amount": amount, "note": note}
    with transaction.atomic():
        existing = (MonitoringThreshold.objects.select_for_update()
                    .filter(year=year, province_code=province_code).first())
        if existing is not None and _same(existing, values):
            return existing
        used = _line_used(year, province_code, existing)
        if used is not None:
            raise InvalidInput({"year": [
                _("%(year)s 年%(where)s的监测标准已用于 %(month)s 的监测批次，不能再改动（已有的"
                  "监测结果不改写）；如需调整，请设定以后年度的标准。") % {
                    "year": year, "where": division.name if province_code else _("全国"),
                    "month": f"{used:%Y-%m}"}]})
        if existing is not None:
            before = {k: str(getattr(existing, k)) for k in values}
            for k, v in values.items():
                setattr(existing, k, v)
            existing.save(update_fields=list(values))
            audit_log(actor=actor, action=AuditAction.UPDATE, obj=existing,
                      division_code=division.code,
                      summary=f"monitoring line {year} {province_code or 'CN'} changed",
                      changes={"before": before, "after": {k: str(v) for k, v in values.items()}})
            return existing
        try:
            with transaction.atomic():
                row = MonitoringThreshold.objects.create(year=year, province_code=province_code,
                                                         **values)
        except IntegrityError:  # set at the same moment by someone else
            raise InvalidInput({"year": [
                _("该年度的监测标准刚刚被他人设定，请刷新后核对。")]}) from None
        audit_log(actor=actor, action=AuditAction.CREATE, obj=row, division_code=division.code,
                  summary=f"monitoring line {year} {province_code or 'CN'} = {amount}",
                  changes={k: str(v) for k, v in values.items()})
    return row


# --- rule sets --------------------------------------------------------------------------------

_LIVELIHOOD_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^must be a whole number from (\S+) to (\S+)$"),
     lambda m: _("应为 %(lo)s 到 %(hi)s 之间的整数。") % {"lo": m.group(1), "hi": m.group(2)}),
    (re.compile(r"^must be a number from (\S+) to (\S+) or null$"),
     lambda m: _("应为 %(lo)s 到 %(hi)s 之间的数，或 null（不启用）。") % {
         "lo": m.group(1), "hi": m.group(2)}),
    (re.compile(r"^must be a number from (\S+) to (\S+)$"),
     lambda m: _("应为 %(lo)s 到 %(hi)s 之间的数。") % {"lo": m.group(1), "hi": m.group(2)}),
    (re.compile(r"^must be a list of distinct names among (.+)$"),
     lambda m: _("应为不重复的名称列表，可选：%(names)s。") % {"names": m.group(1)}),
    (re.compile(r"^must not exceed window_months$"),
     lambda m: _("不能大于 window_months（收入窗口月数）。")),
    (re.compile(r"^must be 'year_before' or 'previous_window'$"),
     lambda m: _("应为 year_before（与上年同期比）或 previous_window（与上一窗口期比）。")),
    (re.compile(r"^must be 'window' or 'month'$"),
     lambda m: _("应为 window（窗口期收入）或 month（当月收入 × 12）。")),
]


def livelihood_param_message(text: str) -> str:
    """A parameter error of shouwang.epi.livelihood_rules in the reader's language (the
    messages risk's kinds share are risk's `param_message`)."""
    for pattern, make in _LIVELIHOOD_MESSAGES:
        match = pattern.match(text)
        if match:
            return str(make(match))
    return param_message(text)


def validate_rule_params(kind: str, params: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    """The kind's parameters with its defaults filled in; each bad one a field error."""
    if not isinstance(params, Mapping):
        errors.setdefault("params", []).append(_("参数应为 JSON 对象。"))
        return {}
    if kind not in livelihood_rules.rule_kinds():
        return {}
    try:
        return livelihood_rules.validate_params(kind, dict(params))
    except livelihood_rules.RuleParamsError as exc:
        for name, message in exc.errors.items():
            errors.setdefault(f"params.{name}", []).append(livelihood_param_message(message))
    except (TypeError, ValueError) as exc:  # a custom kind's validator failing plainly
        errors.setdefault("params", []).append(livelihood_param_message(str(exc)))
    return {}


def overlapping_runs(scope_prefix: str) -> Q:
    """Passes over households a rule set of `scope_prefix` could judge: the scope inside the
    pass's or the pass's inside the scope."""
    above = [scope_prefix[:n] for n in (0, 2, 4, 6, 9, 12) if n <= len(scope_prefix)]
    return Q(division_prefix__in=above) | Q(division_prefix__startswith=scope_prefix)


def last_evaluated_month(scope_prefix: str) -> date | None:
    found: date | None = (MonitoringRun.objects.filter(overlapping_runs(scope_prefix))
                          .aggregate(m=Max("month"))["m"])
    return found


def first_open_day(scope_prefix: str) -> date | None:
    """The earliest day a rule set of the scope may take effect (the first day after the last
    month a pass evaluated there), or None when any day may."""
    month = last_evaluated_month(scope_prefix)
    if month is None:
        return None
    return date(month.year + 1, 1, 1) if month.month == 12 else date(month.year,
                                                                     month.month + 1, 1)


def _check_effective_from(day: date | None, scope_prefix: str,
                          previous: MonitoringRuleSet | None,
                          errors: dict[str, list[str]]) -> None:
    if day is None:
        return
    opens = first_open_day(scope_prefix)
    if opens is not None and day < opens:
        errors.setdefault("effective_from", []).append(
            _("%(month)s 及以前的月份已有监测批次评估，新规则的生效日期须在其后（最早 %(day)s），"
              "已有的监测结果不改写。") % {
                "month": f"{last_evaluated_month(scope_prefix):%Y-%m}",
                "day": opens.isoformat()})
    elif previous is not None and day < previous.effective_from:
        errors.setdefault("effective_from", []).append(
            _("新版本的生效日期不能早于上一版本（第 %(v)s 版，%(day)s）。") % {
                "v": previous.version, "day": previous.effective_from.isoformat()})


def ruleset_create(*, actor: User, data: Mapping[str, Any]) -> MonitoringRuleSet:
    """A new rule set, or version previous + 1 of an existing code. PermissionDenied without
    livelihood.write; NotFound when the scope (or the code's) lies outside the actor's
    jurisdiction; InvalidInput by field, with nothing written."""
    if not may_manage(actor):
        raise PermissionDenied(WRITE)
    errors: dict[str, list[str]] = {}
    code = str(data.get("code") or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = [_("规则代码只能包含小写字母、数字和连字符，最多 48 个字符。")]
    with transaction.atomic():
        previous = latest_version(MonitoringRuleSet, code, actor, errors)
        given = _given(data, previous)
        division = version_scope(actor, previous, given("scope", None), errors)
        if division is not None and division.level not in SCOPE_LEVELS:
            errors.setdefault("scope", []).append(_("适用范围应为全国或省、市、县。"))
        if previous is not None and division is not None \
                and division.prefix != previous.scope_prefix:
            errors.setdefault("scope", []).append(
                _("同一规则代码的新版本不能改变适用范围；请使用新的规则代码。"))
        name = text_field({"name": given("name", previous.name if previous else "")}, "name",
                          NAME_MAX, errors, required=True)
        name_en = text_field({"name_en": given("name_en", previous.name_en if previous
                                               else "")}, "name_en", NAME_EN_MAX, errors)
        note = text_field(data, "note", NOTE_MAX, errors)
        kind = str(given("kind", previous.kind if previous else "") or "").strip()
        kinds = livelihood_rules.rule_kinds()
        if not kind:
            errors.setdefault("kind", []).append(_("此项为必填项。"))
        elif kind not in kinds:
            errors.setdefault("kind", []).append(
                _("未注册的规则类型：%(kind)s（可用：%(kinds)s）。") % {
                    "kind": kind, "kinds": ", ".join(kinds)})
        raw_params = given("params", previous.params if previous else None)
        params = validate_rule_params(kind, {} if raw_params is None else raw_params, errors)
        effective_from = parse_day(data.get("effective_from"), "effective_from", errors)
        if division is not None:
            _check_effective_from(effective_from, division.prefix, previous, errors)
        if errors:
            raise InvalidInput(errors)
        assert division is not None and effective_from is not None
        version = previous.version + 1 if previous is not None else 1
        try:
            with transaction.atomic():
                rule_set = MonitoringRuleSet.objects.create(
                    code=code, version=version, kind=kind, name=name, name_en=name_en,
                    params=params, scope_prefix=division.prefix, effective_from=effective_from,
                    note=note, created_by=actor)
        except IntegrityError:
            raise InvalidInput({"code": [_("该规则代码刚刚新增了版本，请刷新后重试。")]}) from None
        audit_log(actor=actor, action=AuditAction.CREATE, obj=rule_set,
                  division_code=division.code,
                  summary=f"monitoring rule set {code} v{version} from {effective_from}",
                  changes={"kind": kind, "params": params, "scope_prefix": division.prefix,
                           "effective_from": effective_from.isoformat(),
                           "previous": previous.pk if previous else None})
    return rule_set


def scope_division(prefix: str) -> Division | None:
    """The division of a stored scope prefix ("" = the nation)."""
    if not prefix:
        return Division.objects.filter(level=Level.NATION).first()
    return Division.objects.filter(prefix=prefix).order_by("code").first()
