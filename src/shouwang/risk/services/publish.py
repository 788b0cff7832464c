"""Publishing a computed day's levels (发布), and telling the officers of the areas that changed.

    levels_publish(*, disease, day, actor=None, notify=True) -> Publication
    publication_create(*, disease, day, actor, n_high, n_medium, n_up, n_down) -> Publication

A publication takes every computed row of the day; from then on the rows never change (the
computation skips published days). It takes effect at the start of its day (Asia/Shanghai) or
at the moment of publication when that is later. Publishing a day twice returns the first
publication and changes nothing: the database's unique (disease, day) decides a race.

Notification, once per publication (`Publication.notified_at`): each area whose level in force
went up or down against the day before is told to the active officers holding risk.read of its
county, city and province — one message per officer listing their changed areas — through the
early-warning app's machinery (warning.Notification rows now; the channel backends after
commit). `settings.SHOUWANG_RISK_AUTO_PUBLISH` (default True) makes the daily job publish what
it computes (tasks.py, jobs.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.accounts.roles import CAPABILITIES
from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction
from shouwang.geo.models import Division
from shouwang.risk.models import RANK, AreaRisk, Publication, RiskLevel
from shouwang.risk.services.compute import check_disease, day_start, lock_disease
from shouwang.warning.models import Notification
from shouwang.warning.services.notify import APP_CHANNEL, _deliver

if TYPE_CHECKING:
    from shouwang.accounts.models import User

KIND = "risk_levels"   # warning.Notification.kind (at most 16 characters)
READ = "risk.read"


def auto_publish() -> bool:
    return bool(getattr(settings, "SHOUWANG_RISK_AUTO_PUBLISH", True))


def levels_publish(*, disease: str, day: date, actor: User | None = None,
                   notify: bool = True) -> Publication:
    check_disease(disease)
    with transaction.atomic():
        lock_disease(disease)
        existing = Publication.objects.filter(disease_id=disease, day=day).first()
        if existing is not None:
            if notify and existing.notified_at is None:
                publication_notify(existing)
            return existing
        rows = AreaRisk.objects.filter(disease_id=disease, day=day, publication__isnull=True)
        if not rows.exists():
            raise not_computed()
        counts = dict(rows.values("level").annotate(n=Count("id")).values_list("level", "n"))
        up, down = _changes(rows)
        try:
            with transaction.atomic():
                publication = publication_create(
                    disease=disease, day=day, actor=actor, n_high=counts.get(RiskLevel.HIGH, 0),
                    n_medium=counts.get(RiskLevel.MEDIUM, 0), n_up=up, n_down=down)
        except IntegrityError:
            # Another publisher of the same day won; its publication is the publication.
            return Publication.objects.get(disease_id=disease, day=day)
        rows.update(publication=publication)
        if notify:
            publication_notify(publication)
    return publication


def not_computed() -> InvalidInput:
    return InvalidInput({"day": [_("该日的风险等级尚未计算。")]})


def publication_create(*, disease: str, day: date, actor: User | None, n_high: int,
                       n_medium: int, n_up: int, n_down: int) -> Publication:
    """The publication of a day with its counts, audited; the caller links (or writes) the
    day's rows in the same transaction, under lock_disease. levels_publish counts the stored
    rows; a range computed with publish (compute.py) counts its rows before writing them
    published, so they are written once."""
    now = timezone.now()
    publication = Publication.objects.create(
        disease_id=disease, day=day, published_at=now, effective_at=max(day_start(day), now),
        published_by=actor, n_high=n_high, n_medium=n_medium, n_up=n_up, n_down=n_down)
    audit_log(actor=actor, action=AuditAction.CREATE, obj=publication,
              summary=f"risk levels of {disease} {day} published",
              changes={"n_high": n_high, "n_medium": n_medium, "n_up": n_up, "n_down": n_down,
                       "effective_at": publication.effective_at.isoformat()})
    return publication


def _changes_of(rows: QuerySet[AreaRisk]) -> list[tuple[str, str, str]]:
    """(code, level the day before, level) of the rows whose level in force changed."""
    return list(rows.exclude(previous_level="").exclude(previous_level=F("level"))
                .order_by("division_code")
                .values_list("division_code", "previous_level", "level"))


def _changes(rows: QuerySet[AreaRisk]) -> tuple[int, int]:
    changes = _changes_of(rows)
    up = sum(RANK[RiskLevel(a)] > RANK[RiskLevel(b)] for _c, b, a in changes)
    return up, len(changes) - up


def publication_notify(publication: Publication) -> list[Notification]:
    """Tell the officers of the areas that went up or down (once per publication)."""
    from shouwang.accounts.models import User

    locked = Publication.objects.select_for_update().get(pk=publication.pk)
    if locked.notified_at is not None:
        return []
    changed = _changes_of(AreaRisk.objects.filter(publication=locked))
    by_office: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for change in changed:
        code = change[0]
        for office in {code[:6], code[:4] + "00", code[:2] + "0000"}:
            by_office[office].append(change)
    roles = [r for r, caps in CAPABILITIES.items() if READ in caps]
    people = (User.objects.filter(is_active=True, role__in=roles,
                                  division_id__in=list(by_office)).order_by("id")
              if by_office else User.objects.none())
    names = dict(Division.objects.filter(code__in=[c[0] for c in changed])
                 .values_list("code", "name"))
    names_en = dict(Division.objects.filter(code__in=[c[0] for c in changed])
                    .exclude(name_en="").values_list("code", "name_en"))
    made: list[Notification] = []
    for user in people:
        theirs = by_office.get(user.division_id or "", [])
        if not theirs:
            continue
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            subject, body = message(locked, theirs, names, names_en)
        made.append(Notification.objects.create(
            user=user, alert=None, kind=KIND, alert_version=None, subject=subject, body=body,
            channels=[APP_CHANNEL]))
    locked.notified_at = timezone.now()
    locked.save(update_fields=["notified_at"])
    publication.notified_at = locked.notified_at
    if made:
        ids = [n.pk for n in made]
        transaction.on_commit(lambda: _deliver(ids))
    return made


def message(publication: Publication, changes: list[tuple[str, str, str]],
            names: dict[str, str], names_en: dict[str, str]) -> tuple[str, str]:
    """(subject, body) in the active language."""
    english = translation.get_language() == "en"
    up = sum(RANK[RiskLevel(a)] > RANK[RiskLevel(b)] for _c, b, a in changes)
    subject = _("%(day)s 风险等级变化：%(up)s 个地区升级，%(down)s 个地区降级") % {
        "day": publication.day.isoformat(), "up": up, "down": len(changes) - up}
    lines = []
    for code, before, after in changes:
        name = (names_en.get(code) or names.get(code, code)) if english else names.get(code, code)
        lines.append(_("%(place)s（%(code)s）：%(before)s → %(after)s") % {
            "place": name, "code": code, "before": RiskLevel(before).label,
            "after": RiskLevel(after).label})
    lines.append(_("生效时间：%(at)s") % {
        "at": timezone.localtime(publication.effective_at).strftime("%Y-%m-%d %H:%M")})
    return subject[:255], "\n".join(lines)
