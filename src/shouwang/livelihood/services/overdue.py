"""Telling the cadres about signals past their time limit (超时提醒; issue 7, item 4; decision
1270).

    overdue_notify(*, at=None) -> dict[str, int]

A pending signal whose `decision_due` lies before `at` (default now) and that was never told
about is told, once, to the active livelihood cadres (the roles holding livelihood.write) of
the household's village, township and county — the divisions whose jurisdiction holds the
household and who decide its signals; a city's or province's cadre is not paged for a village's
lead. Each cadre gets one message per run listing their newly overdue signals (household
number, area, source, received, due), in the cadre's language; nothing personal (no names, no
summaries) goes out, since the message also leaves through email or SMS.

The messages are the early-warning app's (warning.Notification rows, in-app now; the channel
backends of SHOUWANG_NOTIFY_BACKENDS after commit), as risk publications do. `Signal.
overdue_notified_at` is stamped in the same transaction as the rows are written, on the locked
signals: a second run, or two at once, never tells a signal twice. A signal whose household
has no cadre at those levels is stamped too (counted as `unreached`): the overdue list on the
signals page still shows it, and nobody added later is paged about old leads.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shouwang.accounts.roles import CAPABILITIES
from shouwang.geo.models import Division
from shouwang.livelihood.models import DataSource, Signal, SignalStatus
from shouwang.warning.models import Notification
from shouwang.warning.services.notify import APP_CHANNEL, _deliver

KIND = "lh_overdue"      # warning.Notification.kind (at most 16 characters)
WRITE = "livelihood.write"
# The levels told: village (12 digits), township (9), county (6).
OFFICE_LENGTHS = (12, 9, 6)
LIST_MAX = 50            # signals listed in one message; the rest are counted


def offices_of(division_code: str) -> list[str]:
    """The village, township and county codes of a household's division (those it has)."""
    return [division_code[:n] for n in OFFICE_LENGTHS if len(division_code) >= n]


def overdue_notify(*, at: datetime | None = None) -> dict[str, int]:
    """Tell the cadres about every pending signal due before `at` that was never told."""
    from shouwang.accounts.models import User

    at = at or timezone.now()
    with transaction.atomic():
        signals = list(Signal.objects.select_for_update(of=("self",))
                       .filter(status=SignalStatus.PENDING, decision_due__lt=at,
                               overdue_notified_at__isnull=True)
                       .select_related("household").order_by("decision_due", "id"))
        if not signals:
            return {"signals": 0, "notifications": 0, "unreached": 0}
        by_office: dict[str, list[Signal]] = defaultdict(list)
        for signal in signals:
            for office in offices_of(signal.division_code):
                by_office[office].append(signal)
        roles = [r for r, caps in CAPABILITIES.items() if WRITE in caps]
        people = list(User.objects.filter(is_active=True, role__in=roles,
                                          division_id__in=list(by_office)).order_by("id"))
        names = _names({s.division_code for s in signals})
        made: list[Notification] = []
        reached: set[int] = set()
        for user in people:
            theirs = by_office.get(user.division_id or "", [])
            if not theirs:
                continue
            reached.update(s.pk for s in theirs)
            with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
                subject, body = message(theirs, names, at)
            made.append(Notification.objects.create(
                user=user, alert=None, kind=KIND, alert_version=None, subject=subject,
                body=body, channels=[APP_CHANNEL]))
        Signal.objects.filter(pk__in=[s.pk for s in signals]).update(overdue_notified_at=at)
        if made:
            ids = [n.pk for n in made]
            transaction.on_commit(lambda: _deliver(ids))
    return {"signals": len(signals), "notifications": len(made),
            "unreached": len(signals) - len(reached)}


def _names(codes: set[str]) -> dict[str, tuple[str, str]]:
    """{division code: (name, English name)} of the signals' villages."""
    return {code: (name, name_en) for code, name, name_en in
            Division.objects.filter(code__in=codes).values_list("code", "name", "name_en")}


def message(signals: list[Signal], names: dict[str, tuple[str, str]],
            at: datetime) -> tuple[str, str]:
    """(subject, body) in the active language."""
    english = translation.get_language() == "en"
    subject = _("%(n)s 条监测线索已超过研判时限") % {"n": len(signals)}
    sources = dict(DataSource.choices)
    lines = []
    for signal in signals[:LIST_MAX]:
        name, name_en = names.get(signal.division_code, (signal.division_code, ""))
        days = (at - signal.decision_due).days
        late = (_("已超时 %(days)s 天") % {"days": days}) if days else _("已超时不足 1 天")
        lines.append(_("户 %(household)s（%(place)s）：%(source)s，%(received)s 收到，研判时限 "
                       "%(due)s，%(late)s — %(link)s") % {
            "household": signal.household.household_number,
            "place": (name_en or name) if english else name,
            "source": sources.get(signal.source, signal.source),
            "received": timezone.localtime(signal.received_at).strftime("%Y-%m-%d"),
            "due": timezone.localtime(signal.decision_due).strftime("%Y-%m-%d %H:%M"),
            "late": late, "link": reverse("livelihood:signal", args=[signal.pk])})
    if len(signals) > LIST_MAX:
        lines.append(_("另有 %(n)s 条，见超时线索列表：%(link)s") % {
            "n": len(signals) - LIST_MAX, "link": reverse("livelihood:signals") + "?tab=overdue"})
    lines.append(_("请尽快研判：纳入监测或说明不纳入的理由。"))
    return subject[:255], "\n".join(lines)
