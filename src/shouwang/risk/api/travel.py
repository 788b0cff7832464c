"""/api/v1/risk/travel: what applies to a person travelling from X to Y on a day, and
/api/v1/risk/travel-policies: the policy table (list; a new policy or version: risk.override).
Decision 1120.

The travel answer is the same as the public travel check's (/public/risk/travel/travel.json):
published levels and policies only, nothing personal. Certificates and the inbound-traveller
loop call `travel_rules_for` (selectors/travel.py) directly, or this endpoint.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from shouwang.accounts.permissions import AuthedRequest, check_capability, user_has_capability
from shouwang.core.errors import InvalidInput
from shouwang.risk.models import RiskLevel, TravelPolicy
from shouwang.risk.selectors import travel as selectors
from shouwang.risk.selectors.levels import DEFAULT_DISEASE
from shouwang.risk.selectors.rulesets import scope_names
from shouwang.risk.services.rulesets import OVERRIDE
from shouwang.risk.services.travel import travel_policy_create

router = Router(tags=["risk: travel"])
policies_router = Router(tags=["risk: travel"])

# Whoever checks travellers: officers, port officers, grid workers at the community gate.
TRAVEL_READERS = ("risk.read", "entry.read", "certificates.read")


def check_travel_reader(request: AuthedRequest) -> None:
    if not any(user_has_capability(request.user, c) for c in TRAVEL_READERS):
        raise HttpError(403, _("您没有执行此操作的权限（需要 %(cap)s）。") % {
            "cap": " / ".join(TRAVEL_READERS)})


# --- schemas ----------------------------------------------------------------------------------


class MeasuresOut(Schema):
    certificate_check: bool = Field(..., description="the health code / certificate is checked")
    test_within_hours: int | None = Field(
        ..., description="a negative nucleic-acid test taken at most this many hours before "
                         "arrival is required (null: none)")
    test_on_arrival: bool = Field(..., description="a test after arrival")
    quarantine_kind: str = Field(..., description="\"\" (none) | home | centralised")
    quarantine_days: int = Field(..., description="days of quarantine after arrival (0: none)")
    health_monitoring_days: int = Field(..., description="days of health monitoring (0: none)")
    advice: str = Field(..., description="the policy's advice, as written")


class PlaceOut(Schema):
    code: str = Field(..., description="the division code (a place name given is resolved)")
    name: str
    place: str = Field(..., description="the full path: 湖北省 武汉市 武昌区")
    level: str = Field(..., description="low | medium | high: the highest level in force of "
                                        "the place and the divisions above it")
    level_label: str
    decided_by_code: str = Field(..., description="the area whose level it carries (the place "
                                                  "or one above it); \"\" when low")
    decided_by_name: str
    since: date | None = Field(..., description="that level in force since")
    reason: str = Field(..., description="why, in the reader's language")


class PolicyRefOut(Schema):
    id: int
    code: str
    version: int
    name: str
    scope_prefix: str = Field(..., description="\"\" = national; \"42\" = arrivals into 湖北省")
    scope_name: str
    effective_from: date


class TravelOut(Schema):
    disease: str
    day: date = Field(..., description="the day of travel: decides the policy")
    levels_at: datetime = Field(..., description="the moment whose levels were read (now for "
                                                 "today or a later day; the end of a past day)")
    origin: PlaceOut
    destination: PlaceOut
    policy: PolicyRefOut | None = Field(..., description="the policy in force for the "
                                                         "destination that day (null: none)")
    applies: bool = Field(..., description="false: nothing applies (e.g. low → low)")
    measures: MeasuresOut | None = Field(..., description="the cell (origin level, destination "
                                                          "level) of the policy")
    measure_words: list[str] = Field(..., description="each measure in the reader's language")
    summary: str = Field(..., description="one plain-language paragraph with the reasons")


class TravelIn(Schema):
    from_: str = Field(..., alias="from", description="origin: division code or place name")
    to: str = Field(..., description="destination: division code or place name")
    date: str | None = Field(None, description="YYYY-MM-DD (default today)")
    disease: str = DEFAULT_DISEASE


class CellOut(MeasuresOut):
    origin_level: str
    destination_level: str


class CellIn(Schema):
    origin_level: str = Field(..., description=", ".join(RiskLevel.values))
    destination_level: str = Field(..., description=", ".join(RiskLevel.values))
    certificate_check: bool = False
    test_within_hours: int | None = Field(None, description="1–168, or null")
    test_on_arrival: bool = False
    quarantine_kind: str = Field("", description="\"\" | home | centralised; needed when "
                                                 "quarantine_days > 0")
    quarantine_days: int = Field(0, description="0–60")
    health_monitoring_days: int = Field(0, description="0–60")
    advice: str = ""


class PolicyOut(PolicyRefOut):
    disease: str
    status: str = Field(..., description="in_force | superseded | scheduled (today)")
    note: str
    created_by: str | None
    created_at: datetime
    rules: list[CellOut] = Field(..., description="the nine cells")


class PolicyIn(Schema):
    code: str = Field(..., description="an existing code makes its next version")
    name: str | None = Field(None, description="required for a new code")
    disease: str | None = Field(None, description="default covid19, or the previous version's")
    scope: str | None = Field(None, description="the nation (\"\") or a province code: "
                                                "arrivals into it")
    effective_from: date = Field(..., description="today or later, after the last published "
                                                  "day")
    note: str = ""
    rules: list[CellIn] | None = Field(None, description="all nine cells; default: the previous "
                                                         "version's")


class PolicyFilterIn(Schema):
    disease: str | None = None


# --- helpers ----------------------------------------------------------------------------------


def answer_json(answer: selectors.TravelAnswer) -> dict[str, Any]:
    """The answer as JSON-ready data (the API and the public endpoint share it)."""
    def place(p: selectors.PlaceLevel) -> dict[str, Any]:
        return {"code": p.code, "name": p.name, "place": p.place, "level": p.level,
                "level_label": p.level_label, "decided_by_code": p.decided_by_code,
                "decided_by_name": p.decided_by_name,
                "since": p.since.isoformat() if p.since else None, "reason": p.reason}

    policy = answer.policy
    return {
        "disease": answer.disease, "day": answer.day.isoformat(),
        "levels_at": answer.levels_at.isoformat(),
        "origin": place(answer.origin), "destination": place(answer.destination),
        "policy": None if policy is None else {
            "id": policy.pk, "code": policy.code, "version": policy.version,
            "name": policy.name, "scope_prefix": policy.scope_prefix,
            "scope_name": answer.scope_name,
            "effective_from": policy.effective_from.isoformat()},
        "applies": answer.applies, "measures": answer.measures or None,
        "measure_words": [str(w) for w in answer.measure_words], "summary": answer.summary,
    }


def read_day(raw: str | None, field: str = "date") -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput({field: [_("日期格式应为 YYYY-MM-DD。")]}) from None


def _policies_out(policies: list[TravelPolicy]) -> list[dict[str, Any]]:
    found = selectors.policy_statuses(policies)
    names = scope_names({p.scope_prefix for p in policies})
    out = []
    for p in policies:
        out.append({
            "id": p.pk, "code": p.code, "version": p.version, "name": p.name,
            "scope_prefix": p.scope_prefix, "scope_name": names.get(p.scope_prefix, ""),
            "effective_from": p.effective_from, "disease": p.disease_id, "status": found[p.pk],
            "note": p.note, "created_by": p.created_by.username if p.created_by else None,
            "created_at": p.created_at,
            "rules": [{"origin_level": r.origin_level, "destination_level": r.destination_level,
                       **selectors.measures_of(r)}
                      for r in sorted(p.rules.all(), key=lambda r: (
                          RiskLevel.values.index(r.origin_level),
                          RiskLevel.values.index(r.destination_level)))]})
    return out


# --- routes -----------------------------------------------------------------------------------


@router.get("", response=TravelOut, url_name="risk_travel",
            summary="What applies to a person travelling from X to Y on a day (default today): "
                    "both places' levels and why, the destination's policy and its measures")
def travel_check(request: AuthedRequest, params: Query[TravelIn]) -> Any:
    check_travel_reader(request)
    day = read_day(params.date)
    answer = selectors.travel_rules_for(origin_code=params.from_, destination_code=params.to,
                                        at=day, disease=params.disease)
    return answer_json(answer)


@policies_router.get("", response=list[PolicyOut], url_name="risk_travel_policy_list",
                     summary="Travel policies of the caller's jurisdiction (national and own "
                             "province), every version, with its nine cells and status")
def travel_policy_list(request: AuthedRequest, filters: Query[PolicyFilterIn]) -> Any:
    check_travel_reader(request)
    policies = list(selectors.travel_policy_list(user=request.user,
                                                 disease=filters.disease or "")
                    .prefetch_related("rules"))
    return _policies_out(policies)


@policies_router.post("", response={201: PolicyOut}, url_name="risk_travel_policy_create",
                      summary="A new travel policy or the next version of a code (risk.override;"
                              " the nation or the officer's province)")
def travel_policy_add(request: AuthedRequest, payload: PolicyIn) -> Any:
    check_capability(request, OVERRIDE)
    data = payload.dict(exclude_none=True)
    policy = travel_policy_create(actor=request.user, data=data)
    return Status(201, _policies_out([policy])[0])
