"""Telling people about alerts: one in-app `Notification` per recipient, and the same message
through every configured channel backend (console by default; email; an SMS seam).

    notify_alert(alert, kind, actor=None) -> list[Notification]

`kind` is one of KINDS. Who is told:

- ``new_alert``: the active county officers of the alert's county (their division is the alert's
  division or its county, ``division_code[:6]``); if there are none, the officers of the parent
  prefecture, then of the province, then national officers.
- ``assigned``: the assignee.
- ``escalated``: the officers `escalation_level` rungs above the alert's own level on the ladder
  county → prefecture (city officers) → province → nation: for a county's alert the city officers
  at the first escalation, the province's at the second, the national officers at the third
  (further up when a rung has nobody). A city's alert starts one rung up, a province's two.
- ``status``: the assignee and whoever assigned it (the actor of the latest assignment), but
  never the `actor` who made the change.

Idempotent: an alert's ``new_alert`` goes out once (a re-run of the night that updates the
numbers does not announce it again); any other kind once per alert version — a second call for
the same (alert, kind, version) returns [] and writes nothing. The rows are written in the
caller's transaction (the alert row is locked while deciding); the channel backends run only
after commit, and `channels` then records where the message went.

Backends are listed by dotted path in settings.SHOUWANG_NOTIFY_BACKENDS. A backend is any class
with a `name` and `send(user, subject, body) -> bool` (see `NotificationBackend`). Decision:
docs/decisions/0970-alert-workflow.md.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TextIO, runtime_checkable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shouwang.accounts.roles import Role
from shouwang.warning.models import Alert, AlertHistory, Method, Notification

if TYPE_CHECKING:
    from shouwang.accounts.models import User

logger = logging.getLogger("shouwang.notify")

NEW_ALERT = "new_alert"
ASSIGNED = "assigned"
ESCALATED = "escalated"
STATUS = "status"
KINDS = frozenset({NEW_ALERT, ASSIGNED, ESCALATED, STATUS})

DEFAULT_BACKENDS = ("shouwang.warning.services.notify.ConsoleBackend",)
# The in-app channel: every notification is one; the backends add theirs to `channels`.
APP_CHANNEL = "app"


# --- channel backends -----------------------------------------------------------------------------


@runtime_checkable
class NotificationBackend(Protocol):
    """One delivery channel. `send` returns whether the message was handed over."""

    name: str

    def send(self, user: User, subject: str, body: str) -> bool: ...


class ConsoleBackend:
    """Writes each message to stdout and to the `shouwang.notify` logger: the default, so that a
    development machine or a demo shows what would have gone out."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def send(self, user: User, subject: str, body: str) -> bool:
        out = self.stream if self.stream is not None else sys.stdout
        text = f"[notify] to={user.username} subject={subject}\n{body}\n"
        out.write(text)
        logger.info("notification to %s: %s", user.username, subject)
        return True


class EmailBackend:
    """Sends through Django's `send_mail` (settings.EMAIL_BACKEND decides how). Users without an
    email address are skipped (False)."""

    name = "email"

    def send(self, user: User, subject: str, body: str) -> bool:
        if not user.email:
            return False
        sent = send_mail(subject, body, None, [user.email], fail_silently=False)
        return bool(sent)


class LoggingSmsBackend:
    """The SMS seam: logs what an SMS gateway would be given and sends nothing. A real gateway is
    a class with the same `name = "sms"` and `send()`, listed in SHOUWANG_NOTIFY_BACKENDS in place
    of this one. Returns True when it logged a message (the hand-over this seam stands for)."""

    name = "sms"

    def send(self, user: User, subject: str, body: str) -> bool:
        logger.warning("SMS (logging backend, nothing sent) to user %s: %s", user.username, subject)
        return True


def notify_backends() -> list[NotificationBackend]:
    """The configured backends, instantiated (a fresh list per call: no module state)."""
    paths: Sequence[str] = getattr(settings, "SHOUWANG_NOTIFY_BACKENDS", DEFAULT_BACKENDS)
    backends: list[NotificationBackend] = []
    for path in paths:
        cls = import_string(path)
        backend = cls()
        if not isinstance(backend, NotificationBackend):
            raise TypeError(f"{path} is not a notification backend (needs name and send())")
        backends.append(backend)
    return backends


def _deliver(notification_ids: list[int]) -> None:
    """After commit: send every notification through every backend; record the channels.

    Runs after the change committed, so nothing here may fail the request: a backend that
    cannot be loaded or raises is logged, and the in-app notification stands."""
    try:
        backends = notify_backends()
    except Exception:
        logger.exception("SHOUWANG_NOTIFY_BACKENDS cannot be loaded; in-app notifications only")
        return
    rows = Notification.objects.select_related("user").filter(pk__in=notification_ids)
    for note in rows:
        channels = [APP_CHANNEL]
        for backend in backends:
            try:
                ok = backend.send(note.user, note.subject, note.body)
            except Exception:  # a channel failing must not lose the others or the in-app row
                logger.exception("notification %s: backend %s failed", note.pk, backend.name)
                ok = False
            if ok:
                channels.append(backend.name)
        Notification.objects.filter(pk=note.pk).update(channels=channels)


# --- recipients -----------------------------------------------------------------------------------


def _officers(role: str, codes: Iterable[str]) -> list[User]:
    from shouwang.accounts.models import User

    return list(User.objects.filter(is_active=True, role=role, division_id__in=list(codes))
                .order_by("id"))


# The rungs of the ladder, by index: who verifies, and where an escalation goes.
COUNTY_RUNG, CITY_RUNG, PROVINCE_RUNG, NATION_RUNG = 0, 1, 2, 3
# Where an escalated alert now sits, in words (the inbox, the alert's page, the message).
RUNG_WORDS = {
    CITY_RUNG: gettext_lazy("已上报至市级"),
    PROVINCE_RUNG: gettext_lazy("已上报至省级"),
    NATION_RUNG: gettext_lazy("已上报至国家级"),
}


def _ladder(code: str) -> list[tuple[str, list[str]]]:
    """(role, division codes) from the county up to the nation for a division code."""
    county = code[:6]
    return [
        (Role.COUNTY_OFFICER, sorted({code, county})),
        (Role.CITY_OFFICER, [code[:4] + "00"]),
        (Role.PROVINCIAL_OFFICER, [code[:2] + "0000"]),
        (Role.NATIONAL_OFFICER, ["000000"]),
    ]


def home_rung(code: str) -> int:
    """The rung whose officers verify an alert of division `code` (GB/T 2260: a prefecture's code
    ends in 00, a province's in 0000; a township's or village's alert is its county's)."""
    if len(code) > 6:
        return COUNTY_RUNG
    if code == "000000":
        return NATION_RUNG
    if code[2:] == "0000":
        return PROVINCE_RUNG
    if code[4:] == "00":
        return CITY_RUNG
    return COUNTY_RUNG


def escalated_rung(alert: Alert) -> int:
    """The rung an alert has been escalated to: its own plus its escalations (at most the
    nation's)."""
    return min(home_rung(alert.division_code) + alert.escalation_level, NATION_RUNG)


def escalation_words(alert: Alert) -> str:
    """Where the alert now sits in words, "已上报至国家级" (escalated to national level) and the
    like; "" for an alert not escalated."""
    if alert.escalation_level <= 0:
        return ""
    return str(RUNG_WORDS.get(escalated_rung(alert), ""))


def _first_officers(code: str, start: int) -> list[User]:
    for role, codes in _ladder(code)[start:]:
        found = _officers(role, codes)
        if found:
            return found
    return []


def recipients(alert: Alert, kind: str, actor: User | None = None) -> list[User]:
    """Who is told about `kind` for `alert` (see the module docstring)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; expected one of {sorted(KINDS)}")
    people: list[User]
    if kind == NEW_ALERT:
        people = _first_officers(alert.division_code, 0)
    elif kind == ASSIGNED:
        people = [alert.assigned_to] if alert.assigned_to is not None else []
    elif kind == ESCALATED:
        # At least one rung up: an "escalated" message never goes back to the alert's own rung.
        rung = home_rung(alert.division_code) + max(alert.escalation_level, 1)
        people = _first_officers(alert.division_code, min(rung, NATION_RUNG))
    else:
        people = [alert.assigned_to] if alert.assigned_to is not None else []
        last_assign = (AlertHistory.objects.filter(alert=alert, kind="assign")
                       .exclude(actor=None).select_related("actor").order_by("-version").first())
        if last_assign is not None and last_assign.actor is not None:
            people.append(last_assign.actor)
    seen: set[int] = set()
    out: list[User] = []
    for person in people:
        if person.pk in seen or not person.is_active:
            continue
        if actor is not None and person.pk == actor.pk:
            continue
        seen.add(person.pk)
        out.append(person)
    return out


# --- message --------------------------------------------------------------------------------------


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def alert_reason_text(alert: Alert) -> str:
    """The alert's plain-language reason (shouwang.warning.reasons when present), in the active
    language; otherwise the method and its numbers."""
    try:
        reasons = importlib.import_module("shouwang.warning.reasons")
    except ImportError:
        reasons = None
    explain = getattr(reasons, "alert_reason", None) if reasons is not None else None
    if explain is not None:
        return str(explain(alert))
    return _("%(method)s：观察值 %(observed)s，期望值 %(expected)s，阈值 %(threshold)s") % {
        "method": Method(alert.method).label if alert.method in Method.values else alert.method,
        "observed": _number(alert.observed), "expected": _number(alert.expected),
        "threshold": _number(alert.threshold)}


def _division_name(code: str) -> str:
    from shouwang.geo.models import Division

    division = Division.objects.filter(code=code).only("name", "name_en").first()
    if division is None:
        return code
    if translation.get_language() == "en":
        return f"{division.name_en or division.name} ({code})"
    return f"{division.name}（{code}）"


def message(alert: Alert, kind: str) -> tuple[str, str]:
    """(subject, body) in the active language."""
    facts = {"disease": alert.disease.name if translation.get_language() != "en"
             else (alert.disease.name_en or alert.disease.name),
             "place": _division_name(alert.division_code), "day": alert.day.isoformat(),
             "id": alert.pk}
    if kind == NEW_ALERT:
        subject = _("新预警 #%(id)s：%(place)s %(disease)s（%(day)s）") % facts
    elif kind == ASSIGNED:
        subject = _("预警 #%(id)s 已分派给您核实：%(place)s %(disease)s") % facts
    elif kind == ESCALATED:
        subject = _("预警 #%(id)s 超时未核实，已升级：%(place)s %(disease)s") % facts
    else:
        subject = _("预警 #%(id)s 状态变为“%(status)s”：%(place)s %(disease)s") % {
            **facts, "status": alert.get_status_display()}
    lines = [alert_reason_text(alert)]
    if kind == ESCALATED:
        lines.append(escalation_words(alert))
        lines.append(_("第 %(n)s 次升级；核实时限：%(due)s") % {
            "n": alert.escalation_level,
            "due": timezone.localtime(alert.verify_due_at).strftime("%Y-%m-%d %H:%M")})
    lines.append(_("请在“预警处置”中查看：/warning/alerts/%(id)s/") % facts)
    return subject[:255], "\n".join(lines)


# --- the entry point ------------------------------------------------------------------------------


def _told_version(alert: Alert, kind: str) -> int:
    """Which version of the alert a message of `kind` is about: a new alert is told once, whatever
    re-runs of the night later change; everything else once per version."""
    return 0 if kind == NEW_ALERT else alert.version


def _already_notified(alert: Alert, kind: str) -> bool:
    return Notification.objects.filter(alert=alert, kind=kind,
                                       alert_version=_told_version(alert, kind)).exists()


def notify_alert(alert: Alert, kind: str, *, actor: User | None = None) -> list[Notification]:
    """Notify the people `kind` concerns about `alert`; the Notification rows written ([] when
    this (alert, kind, version) was already notified or nobody is concerned)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; expected one of {sorted(KINDS)}")
    with transaction.atomic():
        # Locking the alert serialises two notifiers of the same alert (a no-op on SQLite,
        # where writers are serialised anyway).
        locked = (Alert.objects.select_for_update(of=("self",))
                  .select_related("disease", "assigned_to").filter(pk=alert.pk).first())
        if locked is None or _already_notified(locked, kind):
            return []
        made: list[Notification] = []
        for user in recipients(locked, kind, actor=actor):
            with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
                subject, body = message(locked, kind)
            made.append(Notification.objects.create(
                user=user, alert=locked, kind=kind, alert_version=_told_version(locked, kind),
                subject=subject, body=body, channels=[APP_CHANNEL]))
        if made:
            ids = [n.pk for n in made]
            transaction.on_commit(lambda: _deliver(ids))
    return made


# --- the reader's own notifications ---------------------------------------------------------


def notifications_mark_read(*, actor: User, ids: Sequence[int] | None = None) -> int:
    """Mark the actor's notifications read: those of `ids` (others' ids are ignored), or all
    when `ids` is None. Returns how many changed."""
    qs = Notification.objects.filter(user=actor, read_at=None)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())
