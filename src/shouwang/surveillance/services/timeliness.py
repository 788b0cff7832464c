"""Deadlines of a case report: when it had to be reported, and when the county must verify it.

Pure computations on values: the case services call `case_deadlines` when a report is submitted
or its diagnosis time is corrected, so that every stored report carries both deadlines and the
timeliness selectors only compare columns. The rules: docs/decisions/0651-timeliness.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

# 《传染病信息报告管理规范（2015年版）》: the county CDC confirms a report card of class A (or a
# disease managed as class A) within 2 hours of receiving it, any other card within 24 hours.
VERIFICATION_HOURS = 24
URGENT_VERIFICATION_HOURS = 2


class DiseaseRules(Protocol):
    """What the deadlines need of a disease (a Disease row, or any object with these)."""

    disease_class: str
    managed_as_class_a: bool
    report_deadline_hours: int


@dataclass(frozen=True)
class Deadlines:
    report_deadline_at: datetime
    verification_due_at: datetime


def report_deadline(diagnosed_at: datetime, report_deadline_hours: int) -> datetime:
    """The latest on-time report: diagnosis + the disease's hours (2 for class A, 24 otherwise)."""
    if report_deadline_hours < 0:
        raise ValueError("report_deadline_hours must not be negative")
    return diagnosed_at + timedelta(hours=report_deadline_hours)


def verification_hours(disease: DiseaseRules) -> int:
    urgent = disease.disease_class == "A" or disease.managed_as_class_a
    return URGENT_VERIFICATION_HOURS if urgent else VERIFICATION_HOURS


def verification_due(reported_at: datetime, hours: int = VERIFICATION_HOURS) -> datetime:
    """The latest on-time verification: the report's arrival + the hours allowed."""
    return reported_at + timedelta(hours=hours)


def case_deadlines(
    *, disease: DiseaseRules, diagnosed_at: datetime, reported_at: datetime
) -> Deadlines:
    """Both deadlines of one report, from its diagnosis and report times and its disease."""
    return Deadlines(
        report_deadline_at=report_deadline(diagnosed_at, disease.report_deadline_hours),
        verification_due_at=verification_due(reported_at, verification_hours(disease)),
    )
