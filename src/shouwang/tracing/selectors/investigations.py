"""Reading investigations, their exposures, settings and history; always inside the reader's
jurisdiction (shouwang.core.scoping): an investigation elsewhere answers 404. Decision 1010."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from shouwang.core.audit import audit_log
from shouwang.core.errors import InvalidInput
from shouwang.core.models import AuditAction, AuditEvent
from shouwang.core.scoping import get_scoped_or_404, prefix_q, scoped
from shouwang.surveillance.models import CaseReport
from shouwang.tracing.models import Exposure, Investigation, Setting, SourceStatus

if TYPE_CHECKING:
    from shouwang.accounts.models import User

CITY_DIGITS = 4
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
            .select_related("case", "case__disease")
            .defer("summary", "case__name", "case__id_number", "case__phone",
                   "case__address_detail")
            .annotate(exposure_count=Count("exposures"))
            .order_by("-created_at", "-id"))


def investigation_counts(*, user: User, filters: InvestigationFilters | None = None
                         ) -> dict[str, int]:
    """How many of each source status (the other filters applied)."""
    qs = _filtered(user, filters or InvestigationFilters(), with_source=False)
    counts = dict.fromkeys(SourceStatus.values, 0)
    for row in qs.values("source_status").annotate(n=Count("id")):
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
