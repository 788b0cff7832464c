"""Case reports for the tracing tests, made through the real surveillance service.

    case = make_case("420106", onset=date(2026, 3, 2), name="张伟")

Each call gets a distinct resident ID (a counter in the sequence digits), so reports never
merge as duplicates unless a test asks for the same `seq`.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.core.validators import resident_id_check_char
from shouwang.surveillance.models import CaseReport
from tests.factories import make_user

_SEQ = itertools.count(101)


def county_officer(division_code: str) -> User:
    username = f"tracing-county-{division_code[:6]}"
    return User.objects.filter(username=username).first() or make_user(
        Role.COUNTY_OFFICER, division_code[:6], username=username)


def make_case(division_code: str = "420106", *, onset: date | None = None,
              name: str = "张伟", classification: str = "confirmed", disease: str = "covid19",
              age_years: int | None = 35, seq: int | None = None, **over: Any) -> CaseReport:
    """A case report of `division_code`, ill on `onset` (default: three days ago), diagnosed
    two days after onset and reported an hour later."""
    from shouwang.surveillance.services.cases import case_report_submit

    onset = onset or (timezone.localdate() - timedelta(days=3))
    diagnosed = timezone.make_aware(datetime.combine(onset + timedelta(days=2), time(10)))
    now = timezone.now()
    if diagnosed > now:
        diagnosed = now - timedelta(hours=2)
    birth = f"{onset.year - (age_years or 35)}0312"
    body = f"{division_code[:6]}{birth}{(seq if seq is not None else next(_SEQ)) % 1000:03d}"
    data: dict[str, Any] = {
        "disease": disease, "classification": classification, "name": name,
        "id_type": "resident_id", "id_number": body + resident_id_check_char(body),
        "division_code": division_code, "onset_date": onset, "age_years": age_years,
        "diagnosed_at": diagnosed, "reported_at": diagnosed + timedelta(hours=1),
        "reporting_facility": "武汉市第一医院", "reporting_division_code": division_code[:6],
    }
    data.update(over)
    case, _ = case_report_submit(actor=county_officer(division_code), data=data)
    return case
