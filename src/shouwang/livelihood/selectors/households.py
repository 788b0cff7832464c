"""Reads of the household registry, always scoped to the reader's jurisdiction (a household
elsewhere answers 404): the village list, one household with its members (personal data masked
unless the reader holds livelihood.write; the read of personal data audited), its income by year
and component, and its shocks. Decision record: docs/decisions/1210-household-registry.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from shouwang.core.audit import audit_log
from shouwang.core.models import AuditAction
from shouwang.core.scoping import get_scoped_or_404, in_jurisdiction, prefix_q, scoped
from shouwang.geo.models import Division
from shouwang.livelihood.models import (
    GUARANTEES,
    Household,
    IncomeComponent,
    IncomeRecord,
    Member,
    MonitoringFlag,
    MonitoringStatus,
    Shock,
)
from shouwang.surveillance.services.exports import mask_id_number, mask_name, mask_phone

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

WRITE = "livelihood.write"
PER_PAGE = 50
PER_PAGE_MAX = 200
GUARANTEE_FIELDS = tuple(name for name, _label in GUARANTEES)
COMPONENTS = tuple(IncomeComponent.values)


@dataclass(frozen=True)
class VillageFilters:
    status: str = ""           # a MonitoringStatus value
    poverty_status: str = ""   # a PovertyStatus value
    guarantees_lost: bool = False
    q: str = ""                # household number starts with


@dataclass(frozen=True)
class VillageRow:
    id: int
    household_number: str
    division_code: str
    poverty_status: str
    lifted_out_year: int | None
    monitoring_status: str
    members: int
    income_year: int
    net_income: Decimal | None
    per_capita_income: Decimal | None
    guarantees_lost: list[str]
    latest_shock_kind: str
    latest_shock_on: date | None
    version: int


@dataclass(frozen=True)
class VillagePage:
    division: Division
    rows: list[VillageRow]
    total: int
    page: int
    pages: int
    per_page: int
    income_year: int
    status_counts: dict[str, int] = field(default_factory=dict)


def division_get(*, user: User | AnonymousUser, code: str) -> Division:
    """A division inside the reader's jurisdiction, else Http404."""
    if not code or not in_jurisdiction(user, code):
        raise Http404
    found = Division.objects.filter(code=code).first()
    if found is None:
        raise Http404
    return found


def _lost_q() -> Q:
    q = Q()
    for name in GUARANTEE_FIELDS:
        q |= Q(**{name: False})
    return q


def households_of(*, user: User | AnonymousUser, division: Division) -> QuerySet[Household]:
    """The households of a division (and the divisions under it) the reader may see: by the
    division's own prefix (the nation's is empty, a county's its six digits)."""
    return scoped(Household.objects.filter(prefix_q("division_code", division.prefix)), user)


def yearly_income(records: Any) -> dict[int, dict[int, dict[str, Decimal]]]:
    """{household: {year: {component: amount}}}: a yearly record where there is one, else the
    sum of that year's monthly records."""
    yearly: dict[int, dict[int, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    monthly: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for hid, year, month, component, amount in records:
        if month is None:
            yearly[hid][year][component] = amount
        else:
            monthly[(hid, year, component)] += amount
    for (hid, year, component), amount in monthly.items():
        yearly[hid][year].setdefault(component, amount)
    return yearly


def village_list(*, user: User | AnonymousUser, code: str, filters: VillageFilters | None = None,
                 page: int = 1, per_page: int = PER_PAGE, year: int | None = None
                 ) -> VillagePage:
    """One page of a division's households with members, the per-capita net income of `year`
    (default last year), monitoring status, guarantees lost and the latest shock; and the
    counts by monitoring status for the chart. A division outside the jurisdiction: Http404."""
    division = division_get(user=user, code=code)
    filters = filters or VillageFilters()
    per_page = max(1, min(per_page, PER_PAGE_MAX))
    income_year = year or timezone.localdate().year - 1
    base = households_of(user=user, division=division)
    status_counts = {s: 0 for s in MonitoringStatus.values}
    for row in base.order_by().values("monitoring_status").annotate(n=Count("id")):
        status_counts[row["monitoring_status"]] = row["n"]
    qs = base
    if filters.status:
        qs = qs.filter(monitoring_status=filters.status)
    if filters.poverty_status:
        qs = qs.filter(poverty_status=filters.poverty_status)
    if filters.guarantees_lost:
        qs = qs.filter(_lost_q())
    if filters.q:
        qs = qs.filter(household_number__startswith=filters.q)
    total = qs.count()
    pages = max(1, -(-total // per_page))
    page = max(1, min(page, pages))
    households = list(qs.order_by("division_code", "household_number").only(
        "id", "household_number", "division_code", "poverty_status", "lifted_out_year",
        "monitoring_status", "version", *GUARANTEE_FIELDS)[(page - 1) * per_page:page * per_page])
    ids = [h.pk for h in households]
    members = dict(Member.objects.filter(household_id__in=ids, active=True).order_by()
                   .values("household_id").annotate(n=Count("id"))
                   .values_list("household_id", "n"))
    income = yearly_income(IncomeRecord.objects.filter(household_id__in=ids, year=income_year)
                           .values_list("household_id", "year", "month", "component", "amount"))
    latest: dict[int, tuple[str, date]] = {}
    for hid, kind, day in Shock.objects.filter(household_id__in=ids).order_by(
            "household_id", "-occurred_on", "-id").values_list("household_id", "kind",
                                                               "occurred_on"):
        latest.setdefault(hid, (kind, day))
    rows = []
    for h in households:
        n = members.get(h.pk, 0)
        parts = income.get(h.pk, {}).get(income_year)
        net = sum(parts.values(), Decimal(0)) if parts else None
        shock = latest.get(h.pk)
        rows.append(VillageRow(
            id=h.pk, household_number=h.household_number, division_code=h.division_code,
            poverty_status=h.poverty_status, lifted_out_year=h.lifted_out_year,
            monitoring_status=h.monitoring_status, members=n, income_year=income_year,
            net_income=net,
            per_capita_income=(net / n).quantize(Decimal("0.01")) if net is not None and n
            else None,
            guarantees_lost=[g for g in GUARANTEE_FIELDS if not getattr(h, g)],
            latest_shock_kind=shock[0] if shock else "",
            latest_shock_on=shock[1] if shock else None, version=h.version))
    return VillagePage(division=division, rows=rows, total=total, page=page, pages=pages,
                       per_page=per_page, income_year=income_year, status_counts=status_counts)


# --- one household -------------------------------------------------------------------------------


def household_get(*, user: User | AnonymousUser, household_id: int) -> Household:
    return get_scoped_or_404(Household.objects.all(), user, pk=household_id)


def member_get(*, user: User | AnonymousUser, member_id: int) -> Member:
    return get_scoped_or_404(Member.objects.select_related("household"), user,
                             "household__division_code", pk=member_id)


def may_see_personal(user: User | AnonymousUser) -> bool:
    return bool(getattr(user, "has_capability", lambda _c: False)(WRITE))


def member_view(member: Member, *, personal: bool) -> dict[str, Any]:
    """A member as pages and the API show it: personal fields masked unless `personal`."""
    return {
        "id": member.pk, "name": member.name if personal else mask_name(member.name),
        "id_type": member.id_type,
        "id_number": member.id_number if personal else mask_id_number(member.id_number),
        "phone": member.phone if personal else mask_phone(member.phone),
        "sex": member.sex, "birth_date": member.birth_date if personal else None,
        "birth_year": member.birth_date.year if member.birth_date else None,
        "relationship": member.relationship, "health": member.health,
        "disability": member.disability, "schooling": member.schooling, "work": member.work,
        "migrant_destination_code": member.migrant_destination_code,
        "migrant_destination": member.migrant_destination,
        "active": member.active, "left_on": member.left_on,
        "masked": not personal,
    }


def member_view_audited(user: User, member: Member) -> dict[str, Any]:
    """One member as shown; with personal data (livelihood.write) the read is audited."""
    personal = may_see_personal(user)
    if personal:
        audit_log(actor=user, action=AuditAction.READ, obj=member,
                  division_code=member.household.division_code,
                  summary=f"member of household {member.household.household_number} viewed")
    return member_view(member, personal=personal)


@dataclass(frozen=True)
class HouseholdDetail:
    household: Household
    division: Division | None
    members: list[dict[str, Any]]
    personal: bool
    address_detail: str


def household_detail(*, user: User, household_id: int) -> HouseholdDetail:
    """One household and its members. A reader with livelihood.write sees personal data, and
    that read is audited; others see it masked."""
    household = household_get(user=user, household_id=household_id)
    personal = may_see_personal(user)
    members = [member_view(m, personal=personal)
               for m in household.members.order_by("-active", "id")]
    if personal:
        audit_log(actor=user, action=AuditAction.READ, obj=household,
                  summary=f"household {household.household_number} viewed")
    return HouseholdDetail(
        household=household, division=Division.objects.filter(code=household.division_code)
        .first(), members=members, personal=personal,
        address_detail=household.address_detail if personal
        else ("***" if household.address_detail else ""))


def incomes_by_year(*, user: User | AnonymousUser, household_id: int
                    ) -> dict[int, dict[str, Decimal]]:
    """{year: {component: net income}} of the household, oldest year first."""
    household = household_get(user=user, household_id=household_id)
    records = IncomeRecord.objects.filter(household=household).values_list(
        "household_id", "year", "month", "component", "amount")
    years = yearly_income(records).get(household.pk, {})
    return {y: dict(years[y]) for y in sorted(years)}


def income_records(*, user: User | AnonymousUser, household_id: int) -> QuerySet[IncomeRecord]:
    household = household_get(user=user, household_id=household_id)
    return IncomeRecord.objects.filter(household=household).order_by("-year", "month",
                                                                      "component")


def shock_list(*, user: User | AnonymousUser, household_id: int) -> QuerySet[Shock]:
    household = household_get(user=user, household_id=household_id)
    return Shock.objects.filter(household=household).order_by("-occurred_on", "-id")


def household_flags(*, user: User | AnonymousUser, household_id: int
                    ) -> QuerySet[MonitoringFlag]:
    """The household's monitoring flags, newest first (open and eliminated: a relapse shows
    as a second flag)."""
    household = household_get(user=user, household_id=household_id)
    return (MonitoringFlag.objects.filter(household=household)
            .select_related("rule_set").order_by("-identified_at", "-id"))


def labels(choices: Any) -> Mapping[str, str]:
    return {value: str(label) for value, label in choices.choices}

