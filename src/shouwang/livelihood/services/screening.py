"""This platform's own surveillance as a department (decision 1220): leads found every day.

    screening_run(*, day) -> dict of figures

- A household member reported as a case whose clinical severity is severe or critical (重型 /
  危重型), matched by the keyed hash of the ID number (member.id_number_hash = the case's): a
  medical Shock and a Signal (source surveillance), keyed by the case ("surv-case:<case id>"),
  so one case gives one signal whatever the number of runs. The case report has no
  hospitalisation field: severe and critical cases are the ones hospitalised by the treatment
  rules, so severity stands for it.
- A migrant member (work = migrant) whose destination (a division code) is at high risk
  (shouwang.risk.selectors.levels.level_of_place): a migrant_interrupted Shock and a Signal,
  keyed by the member and the first day of the destination's high-risk run
  ("surv-migrant:<member id>:<since>"): one signal per member per run of high risk, not one
  a day.

Run by `shouwang run-jobs livelihood-screening` (jobs.py) and the Celery beat task
livelihood.screening_daily (tasks.py). Idempotent: every Shock and Signal carries a source key.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from shouwang.livelihood.models import DataSource, Member, ShockKind, Work
from shouwang.livelihood.services.signals import shock_receive, signal_receive

# Cases reported in the last LOOKBACK_DAYS before the end of the day are screened (a missed run
# is caught up by the next ones).
LOOKBACK_DAYS = 30
SEVERE = ("severe", "critical")


def _day_end(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _received_at(day: date) -> datetime:
    """When the day's screening counts as received: now for today, the last second of an
    earlier day screened later (a backfill, the demo's replay), so its time limit runs from
    then."""
    return min(timezone.now(), _day_end(day) - timedelta(seconds=1))


def _screen_cases(day: date) -> tuple[int, int]:
    from shouwang.surveillance.models import CaseReport, CaseStatus

    end = _day_end(day)
    cases = (CaseReport.objects
             .filter(status=CaseStatus.ACTIVE, severity__in=SEVERE,
                     reported_at__gte=end - timedelta(days=LOOKBACK_DAYS), reported_at__lt=end)
             .exclude(id_number_hash="").exclude(id_number_hash__isnull=True)
             .select_related("disease").only("id", "id_number_hash", "severity", "disease__name",
                                             "diagnosed_at", "onset_date"))
    by_hash: dict[str, list[Any]] = {}
    for case in cases:
        by_hash.setdefault(case.id_number_hash, []).append(case)
    if not by_hash:
        return 0, 0
    members = (Member.objects.filter(active=True, id_number_hash__in=list(by_hash))
               .select_related("household"))
    found = made = 0
    for member in members:
        for case in by_hash[member.id_number_hash]:
            found += 1
            key = f"surv-case:{case.pk}"
            with transaction.atomic():
                occurred = case.onset_date or timezone.localdate(case.diagnosed_at)
                shock = shock_receive(
                    household=member.household, member=member, kind=ShockKind.MEDICAL,
                    occurred_on=occurred, amount=Decimal(0),
                    description=f"{case.disease.name} {case.get_severity_display()}",
                    source=DataSource.SURVEILLANCE, source_key=key, case=case)
                before = shock.signals.exists()
                signal_receive(
                    source=DataSource.SURVEILLANCE, household=member.household,
                    summary=f"家庭成员为{case.disease.name}{case.get_severity_display()}病例",
                    details={"case_id": case.pk, "member_id": member.pk,
                             "severity": case.severity, "disease": case.disease_id},
                    source_key=key, shock=shock, received_at=_received_at(day))
                made += 0 if before else 1
    return found, made


def _screen_migrants(day: date) -> tuple[int, int]:
    from shouwang.risk.models import RiskLevel
    from shouwang.risk.selectors.levels import level_of_place

    at = _day_end(day) - timedelta(seconds=1)
    migrants = (Member.objects.filter(active=True, work=Work.MIGRANT)
                .exclude(migrant_destination_code="").select_related("household"))
    levels: dict[str, tuple[str, date | None]] = {}
    found = made = 0
    for member in migrants:
        code = member.migrant_destination_code
        if code not in levels:
            level, decided = level_of_place(code, at=at)
            levels[code] = (level, decided.since if decided is not None else None)
        level, since = levels[code]
        if level != RiskLevel.HIGH:
            continue
        found += 1
        key = f"surv-migrant:{member.pk}:{(since or day).isoformat()}"
        with transaction.atomic():
            shock = shock_receive(
                household=member.household, member=member,
                kind=ShockKind.MIGRANT_WORK_INTERRUPTED, occurred_on=since or day,
                amount=Decimal(0), description=f"务工地 {code} 为高风险地区",
                source=DataSource.SURVEILLANCE, source_key=key)
            before = shock.signals.exists()
            signal_receive(
                source=DataSource.SURVEILLANCE, household=member.household,
                summary=f"外出务工成员所在地（{code}）为高风险地区",
                details={"member_id": member.pk, "destination_code": code,
                         "high_since": since.isoformat() if since else None},
                source_key=key, shock=shock, received_at=_received_at(day))
            made += 0 if before else 1
    return found, made


def screening_run(*, day: date) -> dict[str, Any]:
    """Screen `day`: severe cases among members, migrants at high-risk destinations."""
    cases_found, cases_new = _screen_cases(day)
    migrants_found, migrants_new = _screen_migrants(day)
    return {"day": day.isoformat(), "severe_cases": cases_found, "case_signals_new": cases_new,
            "migrants_high_risk": migrants_found, "migrant_signals_new": migrants_new}
