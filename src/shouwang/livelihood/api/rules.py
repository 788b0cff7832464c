"""/api/v1/livelihood/rules and /api/v1/livelihood/thresholds (decision 1270).

- GET  /livelihood/rules?code= — the rule sets whose scope overlaps the caller's jurisdiction,
  every version with its status today (in_force | superseded | future) and its parameters in
  words; GET /livelihood/rules/{id} — one version with every version of its code;
- POST /livelihood/rules — a new rule set or the next version of a code (livelihood.write);
- GET  /livelihood/thresholds?year= — the national lines and those of the provinces the
  caller's jurisdiction touches; POST /livelihood/thresholds — set the line of a year for the
  nation (national cadres) or a province (its cadres or the nation's).

Bad input answers 422 with the messages by field (``params.<name>`` for each bad parameter);
a division or rule set of another area 404.
"""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema, Status

from shouwang.accounts.permissions import AuthedRequest, check_capability
from shouwang.epi.livelihood_rules import rule_kinds
from shouwang.livelihood.models import MonitoringRuleSet, MonitoringThreshold
from shouwang.livelihood.selectors import rules as selectors
from shouwang.livelihood.services.rules import WRITE, ruleset_create, threshold_set

router = Router(tags=["livelihood: rules"])
thresholds_router = Router(tags=["livelihood: thresholds"])

READ = "livelihood.read"


class RuleSetFilterIn(Schema):
    code: str | None = Field(None, description="only the versions of one code")


class RuleSetIn(Schema):
    code: str = Field(..., description="lower-case letters, digits and hyphens; an existing "
                                       "code makes its next version")
    name: str | None = Field(None, description="required for a new code")
    name_en: str | None = None
    kind: str | None = Field(None, description="a registered kind: livelihood_rules.rule_kinds()"
                                               "; default: the previous version's")
    params: dict[str, Any] | None = Field(
        None, description="the kind's parameters (missing ones take the defaults). "
                          "relapse_monitoring: window_months, min_months, count_transfers, "
                          "drop_against (year_before|previous_window), drop_pct, "
                          "spending_share_pct, rigid_kinds, guarantees_required, "
                          "unstable_years, unstable_multiple, marginal_multiple, shock_months,"
                          " shock_amount, shock_share_pct, elimination_months, "
                          "elimination_income (window|month)")
    scope: str | None = Field(None, description="division code (the nation \"\", a province, "
                                                "city or county the caller governs); a new "
                                                "version keeps its code's")
    effective_from: date = Field(..., description="after the last month a monitoring pass "
                                                  "evaluated in the scope, not before the "
                                                  "previous version")
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
    scope_prefix: str = Field(..., description="\"\" = the nation; \"42\" = 湖北省 …")
    scope_name: str
    effective_from: date
    status: str = Field(..., description="in_force | superseded | future")
    note: str
    created_by: str | None
    created_at: datetime


class RuleSetDetailOut(RuleSetOut):
    versions: list[RuleSetOut]


class RuleSetListOut(Schema):
    kinds: list[str] = Field(..., description="the registered rule kinds")
    items: list[RuleSetOut]


class ThresholdFilterIn(Schema):
    year: int | None = None


class ThresholdIn(Schema):
    year: int
    province_code: str = Field("", description="\"\" = the nation; else a province's code, "
                                               "e.g. 420000")
    poverty_line: Decimal = Field(..., description="yuan per capita a year, > 0")
    multiple: Decimal | None = Field(None, description="> 0; default 1.5, or amount / "
                                                       "poverty_line when amount is given")
    amount: Decimal | None = Field(None, description="the line itself; default poverty_line ×"
                                                     " multiple rounded to whole yuan")
    note: str = ""


class ThresholdOut(Schema):
    id: int
    year: int
    province_code: str
    poverty_line: Decimal
    multiple: Decimal
    amount: Decimal
    note: str


def _out(rows: list[selectors.RuleSetRow]) -> list[dict[str, Any]]:
    return [{
        "id": r.rule_set.pk, "code": r.rule_set.code, "version": r.rule_set.version,
        "name": r.rule_set.name, "name_en": r.rule_set.name_en, "kind": r.rule_set.kind,
        "params": r.rule_set.params, "description": r.description,
        "scope_prefix": r.rule_set.scope_prefix, "scope_name": r.scope_name,
        "effective_from": r.rule_set.effective_from, "status": r.status,
        "note": r.rule_set.note,
        "created_by": r.rule_set.created_by.username if r.rule_set.created_by else None,
        "created_at": r.rule_set.created_at} for r in rows]


def _detail(request: AuthedRequest, rule_set: MonitoringRuleSet) -> dict[str, Any]:
    rows = _out(selectors.ruleset_rows(selectors.ruleset_versions(request.user, rule_set.code)))
    this = next(r for r in rows if r["id"] == rule_set.pk)
    return {**this, "versions": rows}


@router.get("", response=RuleSetListOut, url_name="livelihood_rules",
            summary="Monitoring rule sets of the caller's jurisdiction, every version, with "
                    "its status today")
def rules_list(request: AuthedRequest, filters: Query[RuleSetFilterIn]) -> Any:
    check_capability(request, READ)
    items = list(selectors.ruleset_list(request.user, code=filters.code or ""))
    return {"kinds": rule_kinds(), "items": _out(selectors.ruleset_rows(items))}


@router.post("", response={201: RuleSetDetailOut}, url_name="livelihood_rules_create",
             summary="A new monitoring rule set, or the next version of a code")
def rules_add(request: AuthedRequest, payload: RuleSetIn) -> Any:
    check_capability(request, WRITE)
    rule_set = ruleset_create(actor=request.user, data=payload.dict(exclude_none=True))
    return Status(201, _detail(request, rule_set))


@router.get("/{int:ruleset_id}", response=RuleSetDetailOut, url_name="livelihood_rules_detail",
            summary="One rule set version, its parameters in words and every version")
def rules_detail(request: AuthedRequest, ruleset_id: int) -> Any:
    check_capability(request, READ)
    return _detail(request, selectors.ruleset_get(request.user, ruleset_id))


def _threshold(row: MonitoringThreshold) -> dict[str, Any]:
    return {"id": row.pk, "year": row.year, "province_code": row.province_code,
            "poverty_line": row.poverty_line, "multiple": row.multiple, "amount": row.amount,
            "note": row.note}


@thresholds_router.get("", response=list[ThresholdOut], url_name="livelihood_thresholds",
                       summary="Monitoring lines: national, and the caller's provinces")
def thresholds_list(request: AuthedRequest, filters: Query[ThresholdFilterIn]) -> Any:
    check_capability(request, READ)
    return [_threshold(t) for t in selectors.threshold_list(request.user, year=filters.year)]


@thresholds_router.post("", response={200: ThresholdOut}, url_name="livelihood_thresholds_set",
                        summary="Set the monitoring line of a year (idempotent; refused once "
                                "a monitoring pass used it)")
def thresholds_set(request: AuthedRequest, payload: ThresholdIn) -> Any:
    check_capability(request, WRITE)
    return _threshold(threshold_set(actor=request.user, data=payload.dict()))
