"""Divisions over the API: public reference data, readable by every signed-in caller."""

# No `from __future__ import annotations` here: django-ninja reads the annotations at import time.

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from shouwang.geo import selectors
from shouwang.geo.models import Division, Level

router = Router(tags=["geo"])


class DivisionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent_code: str | None
    latitude: float | None
    longitude: float | None

    @staticmethod
    def resolve_parent_code(obj: Division) -> str | None:
        return obj.parent_id



class DivisionFilterIn(Schema):
    level: Level | None = None
    parent: str | None = Field(None, max_length=12, pattern=r"^\d{6,12}$")


@router.get("/divisions", response=list[DivisionOut], summary="Divisions, by level or parent")
@paginate(LimitOffsetPagination)
def division_list(request: HttpRequest, filters: Query[DivisionFilterIn]) -> Any:
    return selectors.division_list(
        level=filters.level.value if filters.level else None, parent=filters.parent)


@router.get("/divisions/{code}", response=DivisionOut, summary="One division by GB/T 2260 code")
def division_detail(request: HttpRequest, code: str) -> Division:
    return selectors.division_get(code)


@router.get("/divisions/{code}/children", response=list[DivisionOut],
            summary="The divisions directly below one division")
def division_children(request: HttpRequest, code: str) -> list[Division]:
    selectors.division_get(code)
    return list(selectors.division_children(code))


class AddressIn(Schema):
    address: str = Field(..., min_length=1, max_length=500)


class MatchedPartOut(Schema):
    text: str
    code: str | None
    name: str | None


class NormalizedAddressOut(Schema):
    status: str = Field(..., description="placed | ambiguous | unplaced")
    code: str | None = Field(None, description="The most specific division; null unless placed")
    name: str | None
    level: str | None
    confidence: float = Field(..., ge=0, le=1)
    matched: list[MatchedPartOut]
    reason: str = Field(..., description="'' | empty_input | no_division | ambiguous | conflict")
    message: str
    candidates: list[str] = Field(..., description="The divisions an ambiguous address may mean")
    rest: str = Field(..., description="The text after the divisions (street detail)")


def _reason_message(reason: str) -> str:
    messages = {
        "": _("已定位。"),
        "empty_input": _("地址为空。"),
        "no_division": _("地址中没有可识别的行政区划。"),
        "ambiguous": _("地址对应多个行政区划，请补充上级区划。"),
        "conflict": _("地址中的行政区划互相矛盾。"),
    }
    return str(messages.get(reason, reason))


@router.post("/normalize-address", response=NormalizedAddressOut,
             summary="Free-text Chinese address → the most specific division code")
def normalize_address(request: HttpRequest, payload: AddressIn) -> NormalizedAddressOut:
    result = selectors.address_normalize(payload.address)
    names = selectors.division_names([m.code for m in result.matched if m.code])
    return NormalizedAddressOut(
        status=result.status, code=result.code, name=result.name, level=result.level,
        confidence=result.confidence,
        matched=[MatchedPartOut(text=m.text, code=m.code, name=names.get(m.code or ""))
                 for m in result.matched],
        reason=result.reason, message=_reason_message(result.reason),
        candidates=list(result.candidates), rest=result.rest,
    )
