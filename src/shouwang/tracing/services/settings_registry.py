"""Registering settings (场所): the small places that link people — a household, a workplace, a
school class, a vehicle, a gathering, a ward. Decision 1010.

    setting, created = setting_register(actor=officer, kind="workplace", label="某物流公司分拣车间",
                                        division_code="420106001", source_key="wp:42")
    home, _ = household_for_case(actor=officer, case=case)

Idempotent: the same `source_key` sent twice returns the setting stored the first time (a unique
constraint decides, so two workers racing store one row). A household is labelled by its index
case ("病例 123 的家庭"), never by its address: the label is shown to every officer who sees a
member, the address is personal data (encrypted, shown to no one outside the jurisdiction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.geo.models import Division, Level
from shouwang.tracing.models import Setting, SettingKind

if TYPE_CHECKING:
    from shouwang.accounts.models import User
    from shouwang.surveillance.models import CaseReport

WRITE = "tracing.write"
LABEL_MAX = 128
KEY_MAX = 96
# A setting is small: a county or something inside one (a township, a village).
PLACE_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE})


def require_write(actor: User | None) -> None:
    if actor is not None and not actor.has_capability(WRITE):
        raise PermissionDenied(WRITE)


def household_key(case: CaseReport) -> str:
    """The source key of a case's household: one household per index case."""
    return f"household:case:{case.pk}"


def household_label(case: CaseReport) -> str:
    # Stored text, so not translated at display time: officers read it as a name.
    return f"病例 {case.pk} 的家庭"


def place_division(code: str, field: str) -> Division:
    """A known division at county level or below, else a field error."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput({field: [_("此项为必填项。")]})
    division = Division.objects.filter(code=code).first() if code.isdigit() else None
    if division is None:
        raise InvalidInput({field: [_("未知的区划代码：%(code)s。") % {"code": code}]})
    if division.level not in PLACE_LEVELS:
        raise InvalidInput({field: [_("地点应为县级或以下区划。")]})
    return division


def setting_register(*, actor: User | None, kind: str, label: str, division_code: str,
                     address_detail: str = "", source_key: str | None = None,
                     index_case: CaseReport | None = None) -> tuple[Setting, bool]:
    """The setting of `source_key` if one is stored, else a new one; `(setting, created)`.

    A household needs its index case (its label and key come from it, and `label` is ignored).
    Other settings need a label. The division must be a county or below."""
    require_write(actor)
    errors: dict[str, list[str]] = {}
    if kind not in SettingKind.values:
        errors["kind"] = [_("取值无效，可选：%(opts)s。") % {"opts": ", ".join(SettingKind.values)}]
    key = (source_key or "").strip() or None
    if kind == SettingKind.HOUSEHOLD:
        if index_case is None:
            errors["index_case"] = [_("家庭须指定指示病例（家庭以指示病例命名，不以住址命名）。")]
        else:
            label = household_label(index_case)
            key = key or household_key(index_case)
    text = (label or "").strip()
    if not text and "index_case" not in errors:
        errors["label"] = [_("请填写场所名称。")]
    elif len(text) > LABEL_MAX:
        errors["label"] = [_("不能超过 %(n)s 个字符。") % {"n": LABEL_MAX}]
    if key is not None and len(key) > KEY_MAX:
        errors["source_key"] = [_("不能超过 %(n)s 个字符。") % {"n": KEY_MAX}]
    if errors:
        raise InvalidInput(errors)
    if key is not None:
        existing = Setting.objects.filter(source_key=key).first()
        if existing is not None:
            return existing, False
    division = place_division(division_code, "division_code")
    creator = actor if actor is not None else (index_case.created_by if index_case else None)
    if creator is None:
        raise InvalidInput({"actor": [_("须指定登记人。")]})
    try:
        with transaction.atomic():
            setting = Setting.objects.create(
                kind=kind, label=text, division_code=division.code,
                address_detail=(address_detail or "").strip(), source_key=key,
                created_by=creator)
            audit_log(actor=actor, action=AuditAction.CREATE, obj=setting,
                      summary=f"setting register {kind}",
                      changes={"kind": kind, "label": text, "division_code": division.code,
                               "source_key": key, "address_detail": address_detail or ""})
    except IntegrityError:
        # Another request stored the same key between our look and our insert.
        found = Setting.objects.filter(source_key=key).first() if key else None
        if found is None:
            raise
        return found, False
    return setting, True


def household_for_case(*, actor: User | None, case: CaseReport) -> tuple[Setting, bool]:
    """The household of `case` as a setting (registered once per index case), in the case's
    division."""
    return setting_register(actor=actor, kind=SettingKind.HOUSEHOLD, label="",
                            division_code=case.division_code, index_case=case)
