"""Reads of a monitoring flag's dossier (decision 1240): the flag, its measures and visits, and
who may be named responsible for a measure. Scoped by the flag's (the household's) division:
a flag outside the reader's jurisdiction answers 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from shouwang.accounts.roles import has_capability
from shouwang.core.scoping import get_scoped_or_404
from shouwang.geo.models import Division
from shouwang.geo.selectors import division_path
from shouwang.livelihood.models import (
    AssistanceMeasure,
    FlagStatus,
    FollowUpVisit,
    Household,
    MonitoringFlag,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

WRITE = "livelihood.write"


def flag_get(*, user: User | AnonymousUser, flag_id: int) -> MonitoringFlag:
    """The flag with its household, rule set and signal, or Http404 (also outside)."""
    return get_scoped_or_404(
        MonitoringFlag.objects.select_related("household", "rule_set", "signal", "run",
                                              "identified_by", "eliminated_by"),
        user, pk=flag_id)


def measures_of(flag: MonitoringFlag) -> QuerySet[AssistanceMeasure]:
    """The measures of a flag the caller already read through `flag_get`."""
    return (AssistanceMeasure.objects.filter(flag=flag)
            .select_related("responsible", "created_by").order_by("started_on", "id"))


def visits_of(flag: MonitoringFlag) -> QuerySet[FollowUpVisit]:
    """The follow-up visits linked to a flag the caller already read through `flag_get`."""
    return (FollowUpVisit.objects.filter(flag=flag).select_related("visitor")
            .order_by("-visited_on", "-id"))


def household_visits(*, user: User | AnonymousUser, household_id: int
                     ) -> QuerySet[FollowUpVisit]:
    """Every follow-up visit of a household (Http404 outside the reader's jurisdiction)."""
    household = get_scoped_or_404(Household.objects.all(), user, pk=household_id)
    return (FollowUpVisit.objects.filter(household=household).select_related("visitor")
            .order_by("-visited_on", "-id"))


def responsible_choices(flag: MonitoringFlag) -> list[User]:
    """Active users who hold livelihood.write and whose jurisdiction holds the household: the
    people a measure may name as responsible (the service accepts any active user covering
    the household; the form offers the cadres)."""
    from shouwang.accounts.models import User

    division = Division.objects.filter(code=flag.household.division_code).first()
    codes = [d.code for d in division_path(division)] if division is not None else []
    users = (User.objects.filter(is_active=True, division_id__in=codes)
             .select_related("division").order_by("division_id", "username"))
    return [u for u in users if has_capability(u.role, WRITE)]


def elimination_outlook(flag: MonitoringFlag) -> dict[str, Any]:
    """Where a flag read through `flag_get` stands for elimination: the household evaluated at
    the last complete month (an eliminated flag: what its evidence recorded). `refusal` says
    why it cannot be marked yet, None when it can."""
    from shouwang.core.errors import InvalidInput
    from shouwang.livelihood.selectors.monitoring import household_evaluation
    from shouwang.livelihood.services.elimination import elimination_refusal, required_months

    empty: dict[str, Any] = {"evaluated_month": None, "eligible": False, "good_months": None,
                             "required_months": None, "eligible_from": None,
                             "income_annual": None, "threshold": None, "refusal": None}
    if flag.status == FlagStatus.ELIMINATED:
        ev = flag.elimination_evidence or {}
        done = ev.get("evaluation") or {}
        return {**empty, "evaluated_month": ev.get("evaluated_month"), "eligible": True,
                **{k: done.get(k) for k in ("good_months", "required_months", "eligible_from",
                                            "income_annual", "threshold")}}
    try:
        evaluation = household_evaluation(flag.household)
    except InvalidInput as exc:
        return {**empty, "refusal": " ".join(str(m) for ms in exc.fields.values()
                                             for m in ms) or str(exc.message or "")}
    return {"evaluated_month": f"{evaluation.month:%Y-%m}", "eligible": evaluation.eligible,
            "good_months": evaluation.good_months, "required_months": required_months(evaluation),
            "eligible_from": f"{evaluation.eligible_from:%Y-%m}",
            "income_annual": evaluation.income_annual, "threshold": evaluation.threshold,
            "refusal": elimination_refusal(evaluation)}
