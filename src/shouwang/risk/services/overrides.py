"""Manual overrides of an area's risk level (人工调整): made and revoked by provincial and national
officers (risk.override) inside their jurisdiction, always with a reason, audited, and told to the
officers of the area.

    override_create(*, actor, disease, division_code, level, reason,
                    effective_at=None, ends_at=None) -> RiskOverride
    override_revoke(*, actor, override, reason) -> RiskOverride

Nothing published is rewritten: an override is layered on top of the published day from its
`effective_at` (selectors.levels.levels_in_force applies it), and the next computed day stores it
(`AreaRisk.override`). An area outside the actor's jurisdiction, or one that does not exist,
answers NotFound (404), never "forbidden", so its existence does not leak. Decision 1110.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.accounts.roles import CAPABILITIES, Role
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput, NotFound
from shouwang.core.models import AuditAction
from shouwang.core.scoping import in_jurisdiction
from shouwang.geo.models import Division, Level
from shouwang.risk.models import RiskLevel, RiskOverride
from shouwang.surveillance.models import Disease
from shouwang.warning.models import Notification
from shouwang.warning.services.notify import APP_CHANNEL, _deliver

if TYPE_CHECKING:
    from shouwang.accounts.models import User

OVERRIDE = "risk.override"
# Clocks of browsers and API clients drift: "now" sent by a client may reach us a little late.
CLOCK_TOLERANCE = timedelta(minutes=5)
REASON_MAX = 2000
# Notification kinds (warning.Notification.kind, at most 16 characters).
KIND_CREATED = "risk_override"
KIND_REVOKED = "risk_revoke"
# Division levels that carry a risk level (a county row every day; townships and villages while
# they have cases): only these can be overridden.
AREA_LEVELS = frozenset({Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE})


def _may_override(actor: User) -> bool:
    return bool(actor.is_authenticated and actor.is_active and actor.has_capability(OVERRIDE))


def _area(actor: User, division_code: str) -> Division:
    """The division, if it exists and lies in the actor's jurisdiction; else NotFound."""
    code = (division_code or "").strip()
    if not code.isdigit() or not in_jurisdiction(actor, code):
        raise NotFound(code)
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise NotFound(code)
    return division


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput({"reason": [_("请填写理由：人工调整风险等级必须说明理由。")]})
    if len(text) > REASON_MAX:
        raise InvalidInput({"reason": [_("理由不能超过 %(n)s 个字符。") % {"n": REASON_MAX}]})
    return text


def _officers_of_area(code: str, actor: User) -> list[User]:
    """The active officers holding risk.read whose division is the area's county, prefecture
    or province (a township's or village's officers are its county's); not the actor."""
    from shouwang.accounts.models import User

    county = code[:6]
    codes = {county, county[:4] + "00", county[:2] + "0000"}
    roles = [r for r in (Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCIAL_OFFICER)
             if "risk.read" in CAPABILITIES.get(r, frozenset())]
    return list(User.objects.filter(is_active=True, role__in=roles, division_id__in=codes)
                .exclude(pk=actor.pk).order_by("id"))


def _place(division: Division) -> str:
    if translation.get_language() == "en":
        return f"{division.name_en or division.name} ({division.code})"
    return f"{division.name}（{division.code}）"


def _message(override: RiskOverride, division: Division, kind: str) -> tuple[str, str]:
    """(subject, body) in the active language."""
    facts = {"place": _place(division), "level": RiskLevel(override.level).label,
             "from": timezone.localtime(override.effective_at).strftime("%Y-%m-%d %H:%M"),
             "reason": override.reason, "revoke_reason": override.revoke_reason,
             "code": division.code}
    if kind == KIND_CREATED:
        subject = _("风险等级人工调整：%(place)s 调整为%(level)s") % facts
        lines = [_("自 %(from)s 起生效。") % facts, _("理由：%(reason)s") % facts]
        if override.ends_at is not None:
            lines.append(_("结束时间：%(end)s") % {
                "end": timezone.localtime(override.ends_at).strftime("%Y-%m-%d %H:%M")})
    else:
        subject = _("风险等级人工调整已撤销：%(place)s（%(level)s）") % facts
        lines = [_("撤销理由：%(revoke_reason)s") % facts]
    lines.append(_("请在“风险等级”中查看：/risk/areas/%(code)s/") % facts)
    return subject[:255], "\n".join(lines)


def _notify(override: RiskOverride, division: Division, kind: str, actor: User) -> list[int]:
    """One in-app notification per officer of the area, in the caller's transaction; the
    channel backends (warning.services.notify) run after commit."""
    made: list[int] = []
    for user in _officers_of_area(division.code, actor):
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            subject, body = _message(override, division, kind)
        made.append(Notification.objects.create(
            user=user, alert=None, kind=kind, subject=subject, body=body,
            channels=[APP_CHANNEL]).pk)
    if made:
        transaction.on_commit(lambda: _deliver(made))
    return made


def override_create(*, actor: User, disease: Disease | str, division_code: str, level: str,
                    reason: str, effective_at: datetime | None = None,
                    ends_at: datetime | None = None) -> RiskOverride:
    """Set `division_code`'s level to `level` from `effective_at` (default now) until `ends_at`
    or a revocation. NotFound outside the actor's jurisdiction or for an unknown area;
    PermissionDenied for a user without risk.override; InvalidInput by field."""
    if not _may_override(actor):
        raise PermissionDenied(OVERRIDE)
    division = _area(actor, division_code)
    errors: dict[str, list[str]] = {}
    disease_code = disease.code if isinstance(disease, Disease) else (disease or "")
    if not Disease.objects.filter(code=disease_code).exists():
        errors["disease"] = [_("未知的病种。")]
    if division.level not in AREA_LEVELS:
        errors["division_code"] = [_("只能调整县级及以下地区（县、乡镇街道、村社区）的风险等级。")]
    if level not in RiskLevel.values:
        errors["level"] = [_("风险等级应为低、中、高风险之一。")]
    try:
        text = _clean_reason(reason)
    except InvalidInput as exc:
        errors.update({k: [str(m) for m in v] for k, v in exc.fields.items()})
        text = ""
    now = timezone.now()
    start = effective_at or now
    if timezone.is_naive(start):
        errors["effective_at"] = [_("生效时间须带时区。")]
    elif start < now - CLOCK_TOLERANCE:
        errors["effective_at"] = [_("生效时间不能早于现在：已发布的风险等级不可追溯修改。")]
    if ends_at is not None:
        if timezone.is_naive(ends_at):
            errors["ends_at"] = [_("结束时间须带时区。")]
        elif "effective_at" not in errors and ends_at <= start:
            errors["ends_at"] = [_("结束时间须晚于生效时间。")]
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        override = RiskOverride.objects.create(
            disease_id=disease_code, division_code=division.code, level=level, reason=text,
            effective_at=max(start, now), ends_at=ends_at, created_by=actor)
        audit_log(actor=actor, action=AuditAction.CREATE, obj=override,
                  division_code=division.code,
                  summary=f"risk override {division.code} → {level}",
                  changes={"level": level, "reason": text,
                           "effective_at": override.effective_at.isoformat(),
                           "ends_at": ends_at.isoformat() if ends_at else None,
                           "disease": disease_code})
        _notify(override, division, KIND_CREATED, actor)
    return override


def override_revoke(*, actor: User, override: RiskOverride, reason: str) -> RiskOverride:
    """End `override` now, with the reason. NotFound outside the actor's jurisdiction,
    PermissionDenied without risk.override; InvalidInput without a reason or when it is
    already over."""
    if not _may_override(actor):
        raise PermissionDenied(OVERRIDE)
    if not in_jurisdiction(actor, override.division_code):
        raise NotFound(override.pk)
    text = _clean_reason(reason)
    with transaction.atomic():
        locked = RiskOverride.objects.select_for_update().filter(pk=override.pk).first()
        if locked is None:
            raise NotFound(override.pk)
        now = timezone.now()
        if locked.revoked_at is not None:
            raise InvalidInput({"override": [_("该调整已撤销。")]})
        if locked.ends_at is not None and locked.ends_at <= now:
            raise InvalidInput({"override": [_("该调整已结束，无需撤销。")]})
        locked.revoked_at = now
        locked.revoked_by = actor
        locked.revoke_reason = text
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_log(actor=actor, action=AuditAction.UPDATE, obj=locked,
                  division_code=locked.division_code,
                  summary=f"risk override {locked.pk} revoked",
                  changes={"revoked_at": [None, now.isoformat()], "revoke_reason": text})
        division = Division.objects.filter(code=locked.division_code).first()
        if division is not None:
            _notify(locked, division, KIND_REVOKED, actor)
    return locked
