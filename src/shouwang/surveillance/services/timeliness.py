"""Deadlines of a case report: when it had to be reported, and when the county must verify it.

Pure computations on values: the case services call `case_deadlines` when a report is submitted
or its diagnosis time is corrected, so that every stored report carries both deadlines and the
timeliness selectors only compare columns. The rules: docs/decisions/0651-timeliness.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# 《传染病信息报告管理规范》: the county CDC checks a report card within 24 hours of receiving it.
VERIFICATION_HOURS = 24


@dataclass(frozen=True)
class Deadlines:
    report_deadline_at: datetime
    verification_due_at: datetime


def report_deadline(diagnosed_at: datetime, report_deadline_hours: int) -> datetime:
    """The latest on-time report: diagnosis + the disease's hours (2 for class A, 24 otherwise)."""
    if report_deadline_hours < 0:
        raise ValueError("report_deadline_hours must not be negative")
    return diagnosed_at + timedelta(hours=report_deadline_hours)


def verification_due(reported_at: datetime, hours: int = VERIFICATION_HOURS) -> datetime:
    """The latest on-time verification: the report's arrival + 24 hours."""
    return reported_at + timedelta(hours=hours)


def case_deadlines(
    *, diagnosed_at: datetime, reported_at: datetime, report_deadline_hours: int
) -> Deadlines:
    """Both deadlines of one report, from its diagnosis and report times and its disease."""
    return Deadlines(
        report_deadline_at=report_deadline(diagnosed_at, report_deadline_hours),
        verification_due_at=verification_due(reported_at),
    )
