"""Timeliness of reporting and verification, per county (or per child division) and period.

Counts read the current state of each report: revoked and merged reports are left out. A rate
with nothing to count is None (no reports is not 0 % late, nor 100 % on time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from shouwang.core.errors import InvalidInput
from shouwang.core.scoping import jurisdiction_prefix, scoped
from shouwang.geo.models import PREFIX_LENGTH, Division, Level
from shouwang.surveillance.models import CaseReport, CaseStatus

if TYPE_CHECKING:
    from shouwang.accounts.models import User

LEVELS: dict[str, str] = {
    "province": Level.PROVINCE,
    "prefecture": Level.PREFECTURE,
    "county": Level.COUNTY,
    "township": Level.TOWNSHIP,
}


# The level just below the user's own division: a county officer sees its townships.
CHILDREN = "children"
_CHILD_OF_WIDTH = {0: "province", 2: "prefecture", 4: "county", 6: "township"}


def _child_level(prefix: str) -> str:
    child = _CHILD_OF_WIDTH.get(len(prefix))
    if child is None:
        raise InvalidInput({"level": [_("您的辖区没有可统计的下级区划。")]})
    return child


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _check_period(since: date, until: date) -> None:
    if until < since:
        raise InvalidInput({"until": [_("结束日期不能早于开始日期。")]})


def _active_reports(user: User, since: date, until: date) -> QuerySet[CaseReport]:
    """Current reports in the jurisdiction reported between the two days (China time), inclusive."""
    _check_period(since, until)
    return scoped(CaseReport.objects.filter(status=CaseStatus.ACTIVE), user).filter(
        reported_at__gte=_day_start(since), reported_at__lt=_day_start(until + timedelta(days=1)),
    )


def late_reports(*, user: User, since: date, until: date) -> QuerySet[CaseReport]:
    """Reports that arrived after their deadline, most overdue first, with `delay`."""
    return (
        _active_reports(user, since, until)
        .filter(reported_at__gt=F("report_deadline_at"))
        .annotate(delay=ExpressionWrapper(F("reported_at") - F("report_deadline_at"),
                                          output_field=DurationField()))
        .select_related("disease")
        .order_by("-delay", "id")
    )


def overdue_verifications(*, user: User, now: datetime | None = None) -> QuerySet[CaseReport]:
    """Current reports whose verification is past due: not verified by now, or verified late."""
    now = now or timezone.now()
    return (
        scoped(CaseReport.objects.filter(status=CaseStatus.ACTIVE), user)
        .filter(Q(verified_at__isnull=True, verification_due_at__lt=now)
                | Q(verified_at__gt=F("verification_due_at")))
        .select_related("disease")
        .order_by("verification_due_at", "id")
    )


@dataclass(frozen=True)
class TimelinessRow:
    division_code: str
    division_name: str
    reports: int
    on_time: int
    late: int
    rate: float | None  # on_time / reports; None without reports
    verification_due: int  # reports whose verification was due by `now`, or already verified
    verified_on_time: int
    verification_rate: float | None  # verified_on_time / verification_due; None without any


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def timeliness_rates(
    *,
    user: User,
    since: date,
    until: date,
    level: str = "county",
    now: datetime | None = None,
) -> list[TimelinessRow]:
    """Reporting and verification timeliness per division of `level` inside the jurisdiction
    (`level="children"`: the divisions one level below the user's own).

    One aggregate query grouped by the code prefix of the level (Substr(division_code, 1, n));
    the divisions of that level with no reports are listed too, with None rates. Reports still
    awaiting verification and not yet due count in neither part of the verification rate.
    """
    prefix = jurisdiction_prefix(user)
    if level == CHILDREN:
        level = _child_level(prefix or "")
    if level not in LEVELS:
        options = ", ".join([*LEVELS, CHILDREN])
        raise InvalidInput({"level": [_("取值无效，可选：%(opts)s。") % {"opts": options}]})
    now = now or timezone.now()
    width = PREFIX_LENGTH[LEVELS[level]]
    if prefix is not None and width < len(prefix):
        raise InvalidInput({"level": [_("统计层级不能高于您的辖区层级。")]})
    verification_due = Q(verified_at__isnull=False) | Q(verification_due_at__lte=now)
    rows = (
        _active_reports(user, since, until)
        .annotate(group=Substr("division_code", 1, width))
        .values("group")
        .annotate(
            reports=Count("id"),
            on_time=Count("id", filter=Q(reported_at__lte=F("report_deadline_at"))),
            verification_due=Count("id", filter=verification_due),
            verified_on_time=Count("id", filter=Q(verified_at__lte=F("verification_due_at"))),
        )
        .order_by("group")
    )
    counts = {r["group"]: r for r in rows}
    # Province and prefecture codes are padded with zeros to 6 digits: their group is the prefix.
    divisions = {
        code[:width]: name
        for code, name in scoped(Division.objects.filter(level=LEVELS[level]), user, "code")
        .values_list("code", "name")
    }
    out: list[TimelinessRow] = []
    for code in sorted(set(counts) | set(divisions)):
        r = counts.get(code)
        reports = r["reports"] if r else 0
        on_time = r["on_time"] if r else 0
        due = r["verification_due"] if r else 0
        verified = r["verified_on_time"] if r else 0
        out.append(TimelinessRow(
            division_code=code,
            division_name=divisions.get(code, ""),
            reports=reports, on_time=on_time, late=reports - on_time,
            rate=_rate(on_time, reports),
            verification_due=due, verified_on_time=verified,
            verification_rate=_rate(verified, due),
        ))
    return out

