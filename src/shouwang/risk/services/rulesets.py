"""Rule sets as editable, versioned data (风险等级规则): a new rule set, or a new version of an
existing code, made by provincial and national officers (risk.override). Decision 1120.

    ruleset_create(*, actor, data) -> RuleSet

`data`: ``code``, ``name``, ``name_en``, ``kind`` (a registered kind of
shouwang.epi.risk_rules), ``params`` (the kind's parameters plus ``classifications``: which
case classifications count), ``disease``, ``levels`` (of county / township / village),
``scope`` (a division code; the nation's or empty for the whole country), ``effective_from``
(YYYY-MM-DD), ``note``. A new version of an existing code takes the fields it does not give
from the version before, and keeps its disease and scope.

Rule sets are never edited or deleted: a change is a new version from its own effective date,
which lies today or later and after the last published day of the disease, so that published
history is never rewritten (selectors.levels.rule_sets_in_force applies the switch).
The kinds named in settings.SHOUWANG_RISK_RULE_KINDS are imported at start-up
(`load_rule_kinds`, called by RiskConfig.ready; a failed import is a system-check error).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import jurisdiction_prefix
from shouwang.epi import risk_rules
from shouwang.geo.models import Division, Level
from shouwang.risk.models import AreaRisk, Publication, RuleSet
from shouwang.surveillance.models import Classification, Disease

if TYPE_CHECKING:
    from shouwang.accounts.models import User

OVERRIDE = "risk.override"
AREA_LEVELS = (Level.COUNTY.value, Level.TOWNSHIP.value, Level.VILLAGE.value)
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,47}$")
NAME_MAX = 128
NAME_EN_MAX = 160
NOTE_MAX = 4000


# --- shared by rule sets and travel policies -------------------------------------------------


def may_change_rules(actor: User | None) -> bool:
    return bool(actor is not None and actor.is_authenticated and actor.is_active
                and actor.has_capability(OVERRIDE))


def governed_division(actor: User, code: str, errors: dict[str, list[str]],
                      field: str = "scope") -> Division | None:
    """The division `code` names ("" = the nation), if it lies in the actor's jurisdiction.
    An unknown code is a field error; a known one outside the jurisdiction is NotFound."""
    code = (code or "").strip()
    if code in ("", "0", "000000"):
        division = Division.objects.filter(level=Level.NATION).first()
        if division is None:
            errors.setdefault(field, []).append(_("未找到全国区划，请先导入区划数据。"))
            return None
    else:
        if not code.isdigit():
            errors.setdefault(field, []).append(_("请输入数字区划代码。"))
            return None
        division = Division.objects.filter(code=code).first()
        if division is None:
            errors.setdefault(field, []).append(_("未知的区划代码：%(code)s。") % {"code": code})
            return None
    prefix = jurisdiction_prefix(actor)
    if prefix is None or not division.prefix.startswith(prefix):
        raise NotFound(code)
    return division


def last_published_day(disease_code: str) -> date | None:
    """The last day whose levels were published — or computed: a computed day awaiting
    publication was judged by the rules in force when it was computed, so a change dated on it
    would not describe it either."""
    published: date | None = (Publication.objects.filter(disease_id=disease_code)
                              .aggregate(d=Max("day"))["d"])
    computed: date | None = (AreaRisk.objects.filter(disease_id=disease_code)
                             .aggregate(d=Max("day"))["d"])
    days = [d for d in (published, computed) if d is not None]
    return max(days) if days else None


def parse_day(value: Any, field: str, errors: dict[str, list[str]]) -> date | None:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        errors.setdefault(field, []).append(_("此项为必填项。"))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.setdefault(field, []).append(_("日期格式应为 YYYY-MM-DD。"))
        return None


def check_effective_from(day: date | None, disease_code: str,
                         errors: dict[str, list[str]]) -> None:
    """Today or later, and after the last published day of the disease: a change applies from
    its effective date and never rewrites published history."""
    if day is None:
        return
    today = timezone.localdate()
    if day < today:
        errors.setdefault("effective_from", []).append(
            _("生效日期不能早于今天（%(today)s）。") % {"today": today.isoformat()})
        return
    published = last_published_day(disease_code)
    if published is not None and day <= published:
        errors.setdefault("effective_from", []).append(
            _("%(day)s 的风险等级已计算或发布，生效日期须晚于该日（最早 %(next)s）。") % {
                "day": published.isoformat(),
                "next": date.fromordinal(published.toordinal() + 1).isoformat()})


def locked_disease(code: str, errors: dict[str, list[str]]) -> Disease | None:
    """The disease row, locked for the transaction: publishing a day and dating a rule change
    take the same lock, so a change cannot slip in before a day published meanwhile."""
    disease = Disease.objects.select_for_update().filter(code=(code or "").strip()).first()
    if disease is None:
        errors.setdefault("disease", []).append(_("未知的病种。"))
    return disease


def text_field(data: Mapping[str, Any], name: str, limit: int, errors: dict[str, list[str]],
               *, required: bool = False, default: str = "") -> str:
    raw = data.get(name, default)
    text = "" if raw is None else str(raw).strip()
    if required and not text:
        errors.setdefault(name, []).append(_("此项为必填项。"))
    elif len(text) > limit:
        errors.setdefault(name, []).append(_("不能超过 %(n)s 个字符。") % {"n": limit})
    return text


# --- parameters -------------------------------------------------------------------------------

_PARAM_MESSAGES: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^must be a whole number from 1 to (\d+)$"),
     lambda m: _("应为 1 到 %(n)s 之间的整数。") % {"n": m.group(1)}),
    (re.compile(r"^must be a whole number ≥ 0$"), lambda m: _("应为不小于 0 的整数。")),
    (re.compile(r"^must be 'cumulative' or 'window'$"),
     lambda m: _("应为 cumulative（累计病例）或 window（窗口期内病例）。")),
    (re.compile(r"^must be true or false$"), lambda m: _("应为 true 或 false。")),
    (re.compile(r"^must be null or "),
     lambda m: _("应为 null，或 {\"high\": 天数, \"medium\": 天数}。")),
    (re.compile(r"^unknown parameter$"), lambda m: _("未知参数。")),
    (re.compile(r"^unknown rule kind "), lambda m: _("未注册的规则类型。")),
]


def param_message(text: str) -> str:
    """A parameter error of shouwang.epi (English, fixed words) in the reader's language; a
    custom kind's own message is quoted."""
    for pattern, make in _PARAM_MESSAGES:
        match = pattern.match(text)
        if match:
            return str(make(match))
    return _("取值无效：%(detail)s") % {"detail": text}


def _classifications(value: Any, errors: dict[str, list[str]]) -> list[str]:
    field = "params.classifications"
    if not isinstance(value, (list, tuple)) or not value:
        errors.setdefault(field, []).append(
            _("请至少选择一种计入的病例分类（%(choices)s）。") % {
                "choices": ", ".join(Classification.values)})
        return []
    bad = [str(v) for v in value if v not in Classification.values]
    if bad:
        errors.setdefault(field, []).append(_("未知的病例分类：%(bad)s（可选：%(choices)s）。") % {
            "bad": ", ".join(bad), "choices": ", ".join(Classification.values)})
        return []
    return [c for c in Classification.values if c in value]  # stable order, no repeats


def validate_rule_params(kind: str, params: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    """The kind's parameters with its defaults filled in, plus the classifications."""
    if not isinstance(params, Mapping):
        errors.setdefault("params", []).append(_("参数应为 JSON 对象。"))
        return {}
    rest = dict(params)
    classifications = _classifications(rest.pop("classifications", None), errors)
    if kind not in risk_rules.rule_kinds():
        return {}
    try:
        merged = risk_rules.validate_params(kind, rest)
    except risk_rules.RuleParamsError as exc:
        for name, message in exc.errors.items():
            errors.setdefault(f"params.{name}", []).append(param_message(message))
        return {}
    except (TypeError, ValueError) as exc:  # a custom kind's validator failing plainly
        errors.setdefault("params", []).append(param_message(str(exc)))
        return {}
    return {**merged, "classifications": classifications}


def _levels(value: Any, errors: dict[str, list[str]]) -> list[str]:
    if not isinstance(value, (list, tuple)) or not value:
        errors.setdefault("levels", []).append(_("请至少选择一个适用的区划级别（县、乡镇、村）。"))
        return []
    bad = [str(v) for v in value if v not in AREA_LEVELS]
    if bad:
        errors.setdefault("levels", []).append(
            _("未知的区划级别：%(bad)s（可选：county, township, village）。") % {
                "bad": ", ".join(bad)})
        return []
    return [lv for lv in AREA_LEVELS if lv in value]


# --- pluggable kinds --------------------------------------------------------------------------


def load_rule_kinds(paths: Iterable[str]) -> list[str]:
    """Import each dotted module path (each calls risk_rules.register_rule_kind); the messages
    of the imports that failed, each naming the path and the setting."""
    problems: list[str] = []
    for path in paths:
        if not isinstance(path, str) or not path.strip():
            problems.append(f"SHOUWANG_RISK_RULE_KINDS: {path!r} is not a dotted module path")
            continue
        try:
            importlib.import_module(path.strip())
        except Exception as exc:
            problems.append(f"SHOUWANG_RISK_RULE_KINDS: cannot import {path!r} "
                            f"({type(exc).__name__}: {exc})")
    return problems


# --- versioned data: the version before and the scope ---------------------------------------

# A versioned row: a model with `code`, `version` and `scope_prefix` (RuleSet, TravelPolicy,
# livelihood.MonitoringRuleSet).
V = TypeVar("V", bound=Model)


def scope_of(row: Model) -> str:
    """The `scope_prefix` of a versioned row."""
    return str(getattr(row, "scope_prefix", ""))


def latest_version(model: type[V], code: str, actor: User,
                   errors: dict[str, list[str]]) -> V | None:
    """The latest version of `code` (locked: two new versions at once are serialised), or None
    for a new code. A code of another jurisdiction answers 404 (NotFound) before anything
    else is said about the input."""
    if not code or errors:
        return None
    previous = (model._default_manager.select_for_update().filter(code=code)
                .order_by("-version").first())
    if previous is not None:
        prefix = jurisdiction_prefix(actor)
        if prefix is None or not scope_of(previous).startswith(prefix):
            raise NotFound(code)
    return previous


def _given(data: Mapping[str, Any], previous: Model | None,
           ) -> Callable[[str, Any], Any]:
    """A reader of the input where a field left out of a new version keeps the previous one's."""
    def given(name: str, default: Any) -> Any:
        value = data.get(name)
        return default if value in (None, "") and previous is not None else value
    return given


def version_scope(actor: User, previous: Model | None, scope_code: Any,
                  errors: dict[str, list[str]]) -> Division | None:
    """The division a (new version of a) rule set or policy applies to: the one given, which
    the actor must govern, else the previous version's."""
    if previous is not None and scope_code is None:
        return Division.objects.filter(prefix=scope_of(previous)).order_by("code").first()
    return governed_division(actor, str(scope_code or ""), errors)


# --- the service ------------------------------------------------------------------------------


def ruleset_create(*, actor: User, data: Mapping[str, Any]) -> RuleSet:
    """A new rule set, or version previous + 1 of an existing code. PermissionDenied without
    risk.override; NotFound when the scope (or the code's scope) lies outside the actor's
    jurisdiction; InvalidInput by field, with nothing written."""
    if not may_change_rules(actor):
        raise PermissionDenied(OVERRIDE)
    errors: dict[str, list[str]] = {}
    code = str(data.get("code") or "").strip()
    if not CODE_RE.match(code):
        errors["code"] = [_("规则代码只能包含小写字母、数字和连字符，最多 48 个字符。")]
    with transaction.atomic():
        previous = latest_version(RuleSet, code, actor, errors)
        given = _given(data, previous)
        division = version_scope(actor, previous, given("scope", None), errors)
        if division is not None and division.level not in (Level.NATION, Level.PROVINCE,
                                                            Level.PREFECTURE, Level.COUNTY,
                                                            Level.TOWNSHIP):
            errors.setdefault("scope", []).append(_("适用范围应为全国或省、市、县、乡镇。"))
        disease_code = str(given("disease", previous.disease_id if previous else "") or "")
        disease = locked_disease(disease_code, errors)
        if previous is not None:
            if division is not None and division.prefix != previous.scope_prefix:
                errors.setdefault("scope", []).append(
                    _("同一规则代码的新版本不能改变适用范围；请使用新的规则代码。"))
            if disease is not None and disease.code != previous.disease_id:
                errors.setdefault("disease", []).append(
                    _("同一规则代码的新版本不能改变病种；请使用新的规则代码。"))
        name = text_field({"name": given("name", previous.name if previous else "")}, "name",
                          NAME_MAX, errors, required=True)
        name_en = text_field({"name_en": given("name_en", previous.name_en if previous
                                               else "")}, "name_en", NAME_EN_MAX, errors)
        note = text_field(data, "note", NOTE_MAX, errors)
        kind = str(given("kind", previous.kind if previous else "") or "").strip()
        if not kind:
            errors.setdefault("kind", []).append(_("此项为必填项。"))
        elif kind not in risk_rules.rule_kinds():
            errors.setdefault("kind", []).append(
                _("未注册的规则类型：%(kind)s（可用：%(kinds)s）。") % {
                    "kind": kind, "kinds": ", ".join(risk_rules.rule_kinds())})
        params = validate_rule_params(
            kind, given("params", previous.params if previous else None), errors)
        levels = _levels(given("levels", previous.levels if previous else None), errors)
        effective_from = parse_day(data.get("effective_from"), "effective_from", errors)
        if disease is not None:
            check_effective_from(effective_from, disease.code, errors)
        if errors:
            raise InvalidInput(errors)
        assert division is not None and disease is not None and effective_from is not None
        version = previous.version + 1 if previous is not None else 1
        try:
            with transaction.atomic():
                rule_set = RuleSet.objects.create(
                    code=code, version=version, name=name, name_en=name_en, kind=kind,
                    params=params, disease=disease, levels=levels,
                    scope_prefix=division.prefix, effective_from=effective_from, note=note,
                    created_by=actor)
        except IntegrityError:
            raise InvalidInput({"code": [_("该规则代码刚刚新增了版本，请刷新后重试。")]}) from None
        audit_log(actor=actor, action=AuditAction.CREATE, obj=rule_set,
                  division_code=division.code,
                  summary=f"rule set {code} v{version} from {effective_from.isoformat()}",
                  changes={"kind": kind, "params": params, "levels": levels,
                           "scope_prefix": division.prefix, "disease": disease.code,
                           "effective_from": effective_from.isoformat(),
                           "previous": previous.pk if previous else None})
    return rule_set
