"""Reads of case reports, their history and duplicate candidates, scoped to the caller.

The line list is ordered newest report first (`-reported_at, -id`) and served a page at a time
with "is there a next page" (one row more than the page) rather than a COUNT(*): on a million
reports a count over a broad filter costs more than the page itself. A total is available on
request (`case_count`). Person search goes through the keyed hashes: exact matches only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Q, QuerySet

from shouwang.core.audit import audit_log
from shouwang.core.fields import lookup_hash
from shouwang.core.models import AuditAction
from shouwang.core.scoping import get_scoped_or_404, prefix_q, scoped
from shouwang.core.validators import InvalidIdentifier, normalize_mobile
from shouwang.surveillance.models import (
    CandidateStatus,
    CaseReport,
    CaseReportHistory,
    CaseStatus,
    DuplicateCandidate,
)

if TYPE_CHECKING:
    from shouwang.accounts.models import User

PAGE_MAX = 200
LIST_DEFERRED = ("name", "id_number", "phone", "address_detail")


@dataclass(frozen=True)
class CaseFilters:
    disease: str | None = None
    classification: str | None = None
    status: str | None = CaseStatus.ACTIVE  # "all" for every status
    onset_from: date | None = None
    onset_to: date | None = None
    diagnosed_from: date | None = None
    diagnosed_to: date | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    division_code: str | None = None  # a prefix inside the caller's jurisdiction
    imported: bool | None = None
    verified: bool | None = None
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    late: bool | None = None  # True: reported after the deadline; False: on time


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def _range(qs: QuerySet[CaseReport], field: str, start: date | None, end: date | None,
           *, is_datetime: bool) -> QuerySet[CaseReport]:
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": _day_start(start) if is_datetime else start})
    if end is not None:
        qs = qs.filter(**({f"{field}__lt": _day_start(end + timedelta(days=1))} if is_datetime
                          else {f"{field}__lte": end}))
    return qs


def case_list(*, user: User, filters: CaseFilters | None = None) -> QuerySet[CaseReport]:
    """Reports in the user's jurisdiction matching `filters`, newest report first."""
    f = filters or CaseFilters()
    qs = scoped(CaseReport.objects.all(), user)
    if f.division_code:
        code = f.division_code.strip()
        # A filter outside the jurisdiction narrows to nothing (scoped() already applies).
        qs = qs.filter(prefix_q("division_code", code)) if code.isdigit() else qs.none()
    if f.status and f.status != "all":
        qs = qs.filter(status=f.status)
    if f.disease:
        qs = qs.filter(disease_id=f.disease)
    if f.classification:
        qs = qs.filter(classification=f.classification)
    qs = _range(qs, "onset_date", f.onset_from, f.onset_to, is_datetime=False)
    qs = _range(qs, "diagnosed_at", f.diagnosed_from, f.diagnosed_to, is_datetime=True)
    qs = _range(qs, "reported_at", f.reported_from, f.reported_to, is_datetime=True)
    if f.imported is not None:
        qs = qs.filter(imported=f.imported)
    if f.verified is not None:
        qs = qs.filter(verified_at__isnull=not f.verified)
    if f.late is True:
        qs = qs.filter(reported_at__gt=F("report_deadline_at"))
    elif f.late is False:
        qs = qs.filter(reported_at__lte=F("report_deadline_at"))
    if f.name:
        qs = qs.filter(name_hash=lookup_hash(f.name.strip()))
    if f.id_number:
        qs = qs.filter(id_number_hash=lookup_hash(f.id_number.strip(), "id_number"))
    if f.phone:
        try:
            phone = normalize_mobile(f.phone)
        except InvalidIdentifier:
            phone = f.phone.strip()
        qs = qs.filter(phone_hash=lookup_hash(phone, "phone"))
    return qs.select_related("disease").order_by("-reported_at", "-id")


@dataclass(frozen=True)
class Page:
    items: list[CaseReport]
    has_next: bool
    offset: int
    limit: int


def case_page(*, user: User, filters: CaseFilters | None = None, offset: int = 0,
              limit: int = 50, broad: int = 2000) -> Page:
    """One page of the line list and whether another follows: LIMIT n+1, no COUNT(*).

    Above county level a division-code *range* cannot serve the newest-first order, and the
    planners (SQLite's always) read every report of the scope through the division index and
    sort them: seconds for a city in an outbreak. When the scope is broad (at least
    `BROAD` reports, counted on the division index, stopping there), the newest rows of the
    scope are first found along the index (reported_at, id, division_code, status), read
    backwards with the scope and status tested on its entries, and the page is then asked of
    `case_list` by their ids. When every one of them also passes the other filters, they are
    exactly its first rows; otherwise (or for a narrow scope) the plain query answers.
    Decision 0710.
    """
    from django.db.models.functions import Substr

    from shouwang.core.scoping import jurisdiction_prefix

    limit = max(1, min(limit, PAGE_MAX))
    offset = max(0, offset)
    f = filters or CaseFilters()
    wanted = offset + limit + 1
    listed = case_list(user=user, filters=filters).defer(*LIST_DEFERRED)
    own = jurisdiction_prefix(user)
    code = (f.division_code or "").strip()
    prefix = own if not code or (own is not None and own.startswith(code)) else (
        code if own is not None and code.isdigit() and code.startswith(own) else None)
    if prefix and wanted <= 5000 and CaseReport.objects.filter(
            prefix_q("division_code", prefix)).values("division_code")[broad - 1:broad].exists():
        # Substr(...) keeps the planner off the division and status indexes: only the
        # ordered index is left, and it holds every column this query reads.
        newest = (CaseReport.objects
                  .annotate(_scope=Substr("division_code", 1, len(prefix)))
                  .filter(_scope=prefix).order_by("-reported_at", "-id"))
        if f.status and f.status != "all":
            newest = newest.annotate(_status=Substr("status", 1)).filter(_status=f.status)
        ids = list(newest.values_list("id", flat=True)[:wanted])
        if listed.filter(pk__in=ids).order_by().count() == len(ids):
            rows = list(listed.filter(pk__in=ids[offset:]))
            return Page(items=rows[:limit], has_next=len(rows) > limit, offset=offset,
                        limit=limit)
    # The line list shows no personal fields: leave them undecrypted.
    rows = list(listed[offset:offset + limit + 1])
    return Page(items=rows[:limit], has_next=len(rows) > limit, offset=offset, limit=limit)


def case_count(*, user: User, filters: CaseFilters | None = None) -> int:
    return case_list(user=user, filters=filters).order_by().count()


def case_count_upto(*, user: User, filters: CaseFilters | None = None, cap: int) -> int:
    """How many reports match, counting no further than `cap` (a page's "10,000+" costs a
    bounded index scan, where an exact count over a hot county costs a full one): the result
    is `cap + 1` when there are more than `cap`."""
    return case_list(user=user, filters=filters).order_by().values("pk")[:cap + 1].count()


def case_get(*, user: User, case_id: int) -> CaseReport:
    """One report in the user's jurisdiction (any status) or Http404. Not audited: for checks
    before a change. Showing the person's details goes through `case_detail`."""
    return get_scoped_or_404(CaseReport.objects.select_related("disease"), user, pk=case_id)


def case_detail(*, user: User, case_id: int) -> CaseReport:
    """A report with its personal fields, for display: the read itself is audited."""
    case = case_get(user=user, case_id=case_id)
    audit_log(actor=user, action=AuditAction.READ, obj=case, summary="case report viewed")
    return case


def case_history(*, user: User, case_id: int) -> QuerySet[CaseReportHistory]:
    case = case_get(user=user, case_id=case_id)
    return CaseReportHistory.objects.filter(case=case).select_related("actor").order_by("version")


def duplicate_candidates(*, user: User, status: str | None = CandidateStatus.OPEN
                         ) -> QuerySet[DuplicateCandidate]:
    """Candidate pairs both of whose reports lie in the user's jurisdiction, best match first."""
    qs = scoped(DuplicateCandidate.objects.all(), user)
    qs = scoped(qs, user, "case__division_code")
    qs = scoped(qs, user, "other__division_code")
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("case", "other").order_by("-score", "-id")


def case_duplicate_candidates(*, user: User, case_id: int) -> QuerySet[DuplicateCandidate]:
    """Every candidate pair (any status) that involves one report, both sides in the
    jurisdiction, newest first: for the report's own page."""
    case = case_get(user=user, case_id=case_id)
    qs = scoped(scoped(DuplicateCandidate.objects.filter(Q(case=case) | Q(other=case)), user,
                       "case__division_code"), user, "other__division_code")
    return qs.select_related("case", "other").order_by("-created_at", "-id")


def duplicate_candidate_get(*, user: User, candidate_id: int) -> DuplicateCandidate:
    qs = scoped(scoped(DuplicateCandidate.objects.select_related("case__disease",
                                                                  "other__disease"),
                       user, "case__division_code"), user, "other__division_code")
    return get_scoped_or_404(qs, user, pk=candidate_id)


def cases_by_ids(*, user: User, ids: list[int]) -> QuerySet[CaseReport]:
    return scoped(CaseReport.objects.filter(Q(pk__in=ids)), user)
