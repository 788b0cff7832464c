"""/api/v1/risk/rulesets: the rule sets that judge areas of the caller's jurisdiction, with the
version in force today; one rule set with every version of its code; a new rule set or a new
version (risk.override: provincial and national officers, inside their jurisdiction). A rule set
of another area answers 404. Decision 1120.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.epi.risk_rules import rule_kinds
from shouwang.risk.models import RuleSet
from shouwang.risk.selectors import rulesets as selectors
from shouwang.risk.services.rulesets import OVERRIDE, ruleset_create

router = Router(tags=["risk: rule sets"])

READ = "risk.read"


class RuleSetFilterIn(Schema):
    disease: str | None = Field(None, description="a disease code, e.g. covid19")
    code: str | None = Field(None, description="only the versions of one code")


class RuleSetIn(Schema):
    code: str = Field(..., description="lower-case letters, digits and hyphens; an existing "
                                       "code makes its next version")
    name: str | None = Field(None, description="required for a new code")
    name_en: str | None = None
    kind: str | None = Field(None, description="a registered rule kind: "
                                               "risk_rules.rule_kinds()")
    params: dict[str, Any] | None = Field(
        None, description="the kind's parameters plus \"classifications\" (which case "
                          "classifications count: suspected, clinical, confirmed, asymptomatic)."
                          " window_threshold: window_days, high_threshold, high_count "
                          "(cumulative|window), high_needs_cluster, step_down_days "
                          "(null or {high, medium})")
    disease: str | None = Field(None, description="default: the previous version's")
    levels: list[str] | None = Field(None, description="of county, township, village")
    scope: str | None = Field(None, description="division code the rule governs (a province's "
                                                "own rule wins inside it); \"\" = the nation")
    effective_from: date = Field(..., description="today or later, after the last published "
                                                  "day of the disease")
    note: str = ""


class RuleSetOut(Schema):
    id: int
    code: str
    version: int
    name: str
    name_en: str
    kind: str
    params: dict[str, Any]
    description: str = Field(..., description="the parameters in words, reader's language")
    disease: str
    levels: list[str]
    scope_prefix: str = Field(..., description="\"\" = the nation; \"42\" = 湖北省 …")
    scope_name: str
    effective_from: date
    status: str = Field(..., description="in_force (judges the listed levels today) | "
                                         "superseded | scheduled")
    judges: list[str] = Field(..., description="the division levels it judges today")
    note: str
    created_by: str | None
    created_at: datetime


class RuleSetDetailOut(RuleSetOut):
    versions: list[RuleSetOut]


class RuleSetListOut(Schema):
    kinds: list[str] = Field(..., description="the registered rule kinds")
    items: list[RuleSetOut]


def _out(rows: list[selectors.RuleSetRow]) -> list[dict[str, Any]]:
    return [{
        "id": r.rule_set.pk, "code": r.rule_set.code, "version": r.rule_set.version,
        "name": r.rule_set.name, "name_en": r.rule_set.name_en, "kind": r.rule_set.kind,
        "params": r.rule_set.params, "description": r.description,
        "disease": r.rule_set.disease_id, "levels": r.rule_set.levels,
        "scope_prefix": r.rule_set.scope_prefix, "scope_name": r.scope_name,
        "effective_from": r.rule_set.effective_from, "status": r.status,
        "judges": list(r.judges), "note": r.rule_set.note,
        "created_by": r.rule_set.created_by.username if r.rule_set.created_by else None,
        "created_at": r.rule_set.created_at} for r in rows]


def _detail(request: AuthedRequest, rule_set: RuleSet) -> dict[str, Any]:
    versions = selectors.ruleset_versions(user=request.user, code=rule_set.code)
    rows = _out(selectors.ruleset_rows(versions))
    this = next(r for r in rows if r["id"] == rule_set.pk)
    return {**this, "versions": rows}


@router.get("", response=RuleSetListOut, url_name="risk_ruleset_list",
            summary="Rule sets of the caller's jurisdiction (national, own province, inside), "
                    "every version, with the one in force today")
def ruleset_list(request: AuthedRequest, filters: Query[RuleSetFilterIn]) -> Any:
    check_capability(request, READ)
    items = list(selectors.ruleset_list(user=request.user, disease=filters.disease or "",
                                        code=filters.code or ""))
    return {"kinds": rule_kinds(), "items": _out(selectors.ruleset_rows(items))}


@router.post("", response={201: RuleSetDetailOut}, url_name="risk_ruleset_create",
             summary="A new rule set, or the next version of a code (risk.override; never "
                     "dated on or before a published day)")
def ruleset_add(request: AuthedRequest, payload: RuleSetIn) -> Any:
    check_capability(request, OVERRIDE)
    data = payload.dict(exclude_none=True)
    rule_set = ruleset_create(actor=request.user, data=data)
    return Status(201, _detail(request, rule_set))


@router.get("/{int:ruleset_id}", response=RuleSetDetailOut, url_name="risk_ruleset_detail",
            summary="One rule set, its parameters in words and every version of its code")
def ruleset_detail(request: AuthedRequest, ruleset_id: int) -> Any:
    check_capability(request, READ)
    return _detail(request, selectors.ruleset_get(user=request.user, ruleset_id=ruleset_id))
