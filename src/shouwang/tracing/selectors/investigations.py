"""Reading investigations, their exposures, settings and history; always inside the reader's
jurisdiction (shouwang.core.scoping): an investigation elsewhere answers 404. Decision 1010."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.core.scoping import get_scoped_or_404, jurisdiction_prefix, prefix_q, scoped
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import Exposure, Investigation, Setting, SourceStatus

if TYPE_CHECKING:
    from shouwang.accounts.models import User

CITY_DIGITS = 4
# Past this many rows the broad-scope path of investigation_page is not worth it.
BROAD_MAX = 5000
# The list's state filter.
STATES = ("pending", "completed")


@dataclass(frozen=True)
class InvestigationFilters:
    source_status: str = ""
    state: str = ""          # "pending" (not completed) or "completed"
    found_under_follow_up: bool | None = None
    disease: str = ""
    division: str = ""       # a division code: investigations of it and below

    def clean(self) -> InvestigationFilters:
        errors: dict[str, str] = {}
        if self.source_status and self.source_status not in SourceStatus.values:
            errors["source_status"] = _("取值无效。")
        if self.state and self.state not in STATES:
            errors["state"] = _("取值无效。")
        if self.division and not (self.division.isascii() and self.division.isdigit()):
            errors["division"] = _("区划代码只能是数字。")
        if errors:
            raise InvalidInput(errors)
        return self


def _filtered(user: User, f: InvestigationFilters, *, with_source: bool = True
              ) -> QuerySet[Investigation]:
    f = f.clean()
    qs = scoped(Investigation.objects.all(), user)
    if with_source and f.source_status:
        qs = qs.filter(source_status=f.source_status)
    if f.state == "pending":
        qs = qs.filter(completed_at__isnull=True)
    elif f.state == "completed":
        qs = qs.filter(completed_at__isnull=False)
    if f.found_under_follow_up is not None:
        qs = qs.filter(found_under_follow_up=f.found_under_follow_up)
    if f.disease:
        qs = qs.filter(case__disease_id=f.disease)
    if f.division:
        qs = qs.filter(prefix_q("division_code", f.division))
    return qs


def investigation_list(*, user: User, filters: InvestigationFilters | None = None
                       ) -> QuerySet[Investigation]:
    """The reader's investigations, newest first, with their case (its personal fields
    deferred: a list shows the case number, not the person)."""
    return (_filtered(user, filters or InvestigationFilters())
            .select_related("case", "case__disease", "investigator")
            .defer("summary", "case__name", "case__id_number", "case__phone",
                   "case__address_detail")
            # Newest first by id (ids grow with creation): the primary key is walked backwards
            # and the division range tested on the way; ordering by created_at sorted every row
            # of the jurisdiction first (0.54 s for 126,000 investigations of a city on SQLite).
            .order_by("-id"))


def investigation_page(*, user: User, filters: InvestigationFilters | None = None,
                       offset: int = 0, limit: int = 50, broad: int = 2000
                       ) -> list[Investigation]:
    """Rows `offset`…`offset + limit` of `investigation_list`, fast for a broad scope.

    A division-code *range* (a city, a province) cannot serve the newest-first order, so the
    planner reads every investigation of the scope through the division index and sorts them
    (0.5 s for a city of 126,000 on SQLite). As for the case list (decision 0710): when the
    scope holds at least `broad` investigations, the newest ids of the scope are read along the
    primary key backwards (the scope written as `Substr(...)` so the division index cannot be
    chosen), and the page is asked of the full query by those ids; when every one passes the
    other filters they are exactly its first rows, otherwise the plain query answers."""
    f = (filters or InvestigationFilters()).clean()
    listed = investigation_list(user=user, filters=f)
    own = jurisdiction_prefix(user)
    prefix = own
    if own and f.division and f.division.startswith(own):
        prefix = f.division
    wanted = offset + limit
    if prefix and wanted <= BROAD_MAX and Investigation.objects.filter(
            prefix_q("division_code", prefix)).values("division_code")[
            broad - 1:broad].exists():
        ids = list(Investigation.objects
                   .annotate(_scope=Substr("division_code", 1, len(prefix)))
                   .filter(_scope=prefix).order_by("-id").values_list("id", flat=True)[:wanted])
        rows = list(listed.filter(pk__in=ids))
        if len(rows) == len(ids):
            return rows[offset:offset + limit]
    return list(listed[offset:offset + limit])


def exposure_counts(investigations: list[Investigation]) -> dict[int, int]:
    """Exposures per investigation of one page (one query; counting them in the list's query
    would group every row of the jurisdiction before paging)."""
    ids = [i.pk for i in investigations]
    counts = dict.fromkeys(ids, 0)
    rows = (Exposure.objects.filter(investigation_id__in=ids).values("investigation_id")
            .annotate(n=Count("id")).values_list("investigation_id", "n"))
    counts.update({int(k): int(n) for k, n in rows})
    return counts


def investigation_counts(*, user: User, filters: InvestigationFilters | None = None
                         ) -> dict[str, int]:
    """How many of each source status (the other filters applied)."""
    qs = _filtered(user, filters or InvestigationFilters(), with_source=False)
    counts = dict.fromkeys(SourceStatus.values, 0)
    for row in qs.order_by().values("source_status").annotate(n=Count("id")):
        counts[row["source_status"]] = row["n"]
    return counts


def investigation_get(*, user: User, investigation_id: int) -> Investigation:
    """One investigation (no personal field shown), or Http404."""
    return get_scoped_or_404(
        Investigation.objects.select_related("case", "case__disease", "investigator"),
        user, pk=investigation_id)


def investigation_detail(*, user: User, investigation_id: int) -> Investigation:
    """One investigation for display (the case's name, the summary): the read is audited."""
    investigation = investigation_get(user=user, investigation_id=investigation_id)
    audit_log(actor=user, action=AuditAction.READ, obj=investigation,
              summary="investigation viewed")
    return investigation


def investigation_of_case(*, user: User, case_id: int) -> Investigation | None:
    """The investigation of a case the reader may see (None when it has none yet); Http404 for a
    case outside the jurisdiction."""
    case = get_scoped_or_404(CaseReport.objects.only("id", "division_code"), user, pk=case_id)
    return Investigation.objects.filter(case=case).first()


def case_for_investigation(*, user: User, case_id: int) -> CaseReport:
    """A case the reader may see, for the page that offers to open its investigation."""
    return get_scoped_or_404(CaseReport.objects.select_related("disease")
                             .defer("id_number", "phone", "address_detail"), user, pk=case_id)


def exposures_of(investigation: Investigation) -> QuerySet[Exposure]:
    """The exposures of an investigation the caller has read through the selectors above."""
    return (Exposure.objects.filter(investigation=investigation)
            .select_related("setting").order_by("started_on", "id"))


def investigation_history(*, user: User, investigation: Investigation) -> QuerySet[AuditEvent]:
    """The changes of an investigation, oldest first: its audit rows (the services write every
    change there, in the same transaction)."""
    get_scoped_or_404(Investigation.objects.only("id", "division_code"), user,
                      pk=investigation.pk)
    return (AuditEvent.objects.filter(object_type="tracing.investigation",
                                      object_id=str(investigation.pk))
            .exclude(action=AuditAction.READ).order_by("occurred_at", "id"))


def settings_visible(*, user: User, near: str = "") -> QuerySet[Setting]:
    """Settings the reader may pick: those in the jurisdiction, those where an exposure in the
    jurisdiction took place, and (with `near`, an investigation's division) those in the same
    prefecture — a workplace across the county line is where clusters cross counties. A setting
    shows its kind, label and division only (its address is never shown); one farther away is
    linked by its source key (setting_register)."""
    exposed = scoped(Exposure.objects.filter(setting__isnull=False), user).values("setting_id")
    prefix_rows = scoped(Setting.objects.all(), user).values("id")
    q = Q(id__in=prefix_rows) | Q(id__in=exposed)
    if len(near) >= CITY_DIGITS and near.isdigit():
        q |= prefix_q("division_code", near[:CITY_DIGITS])
    return Setting.objects.filter(q)


def setting_choices(*, user: User, near: str = "", limit: int = 200) -> list[Setting]:
    """The settings an exposure form offers, most recently registered first."""
    return list(settings_visible(user=user, near=near).order_by("-created_at", "-id")[:limit])
