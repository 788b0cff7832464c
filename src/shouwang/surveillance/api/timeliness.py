"""/api/v1/surveillance/timeliness: late reports, overdue verifications, timeliness rates."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime, timedelta
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.surveillance.selectors import timeliness as selectors

router = Router(tags=["surveillance: timeliness"])

READ = "surveillance.read"


class PeriodIn(Schema):
    since: date
    until: date


class RatesIn(PeriodIn):
    level: str = "county"


class LateReportOut(Schema):
    """No personal fields: these lists point at reports, they do not open them."""

    id: int
    disease: str = Field(..., alias="disease_id")
    classification: str
    division_code: str
    reporting_facility: str
    diagnosed_at: datetime
    reported_at: datetime
    report_deadline_at: datetime
    delay_hours: float

    @staticmethod
    def resolve_delay_hours(obj: Any) -> float:
        delay: timedelta = obj.reported_at - obj.report_deadline_at
        return round(delay.total_seconds() / 3600, 2)


class OverdueVerificationOut(Schema):
    id: int
    disease: str = Field(..., alias="disease_id")
    classification: str
    division_code: str
    reported_at: datetime
    verification_due_at: datetime
    verified_at: datetime | None


class RateOut(Schema):
    division_code: str
    division_name: str
    reports: int
    on_time: int
    late: int
    rate: float | None
    verification_due: int
    verified_on_time: int
    verification_rate: float | None


@router.get("/late", response=list[LateReportOut],
            summary="Reports that arrived after their deadline, most overdue first")
@paginate(LimitOffsetPagination)
def timeliness_late(request: AuthedRequest, period: Query[PeriodIn]) -> Any:
    check_capability(request, READ)
    return selectors.late_reports(user=request.user, since=period.since, until=period.until)


@router.get("/overdue-verifications", response=list[OverdueVerificationOut],
            summary="Reports not verified in time (still unverified, or verified late)")
@paginate(LimitOffsetPagination)
def timeliness_overdue_verifications(request: AuthedRequest) -> Any:
    check_capability(request, READ)
    return selectors.overdue_verifications(user=request.user)


@router.get("/rates", response=list[RateOut],
            summary="Reporting and verification timeliness per county (or level) and period")
def timeliness_rates(request: AuthedRequest, params: Query[RatesIn]) -> Any:
    check_capability(request, READ)
    return selectors.timeliness_rates(user=request.user, since=params.since, until=params.until,
                                      level=params.level)
