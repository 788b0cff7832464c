"""Realistic case-report input for the case tests: valid resident IDs, Chinese names and places."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from shouwang.accounts.models import User
from shouwang.accounts.roles import Role
from shouwang.core.validators import resident_id_check_char
from tests.factories import make_user


def resident_id(region: str = "420106", birth: str = "19850312", seq: str = "135") -> str:
    """A valid 18-digit number; an odd 17th digit is a man, an even one a woman."""
    body = f"{region}{birth}{seq}"
    return body + resident_id_check_char(body)


ZHANG_WEI = resident_id("420106", "19850312", "135")  # 张伟, a man born 12 March 1985


def case_data(**over: Any) -> dict[str, Any]:
    """A confirmed COVID-19 report from 武昌区, diagnosed yesterday, reported two hours later."""
    diagnosed = timezone.now() - timedelta(days=1)
    data: dict[str, Any] = {
        "disease": "covid19", "classification": "confirmed",
        "name": "张伟", "id_type": "resident_id", "id_number": ZHANG_WEI,
        "phone": "138 0013 8000", "division_code": "420106",
        "address_detail": "武昌区中南路 99 号 3 栋 201 室", "occupation": "teacher",
        "onset_date": (diagnosed - timedelta(days=2)).date(),
        "diagnosed_at": diagnosed, "reported_at": diagnosed + timedelta(hours=2),
        "reporting_facility": "武汉市第一医院", "reporting_division_code": "420106",
        "severity": "mild",
    }
    data.update(over)
    return data


def officer(division: str = "420106", role: str = Role.COUNTY_OFFICER,
            username: str | None = None) -> User:
    name = username or f"case-{role}-{division}"
    return User.objects.filter(username=name).first() or make_user(role, division, username=name)


def at(days_ago: float) -> datetime:
    return timezone.now() - timedelta(days=days_ago)
