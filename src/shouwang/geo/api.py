from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from shouwang.geo import selectors

router = Router(tags=["geo"])


class DivisionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None
    latitude: float | None
    longitude: float | None


def _out(d: object) -> DivisionOut:
    return DivisionOut(
        code=d.code, name=d.name, name_en=d.name_en, level=d.level,  # type: ignore[attr-defined]
        parent_code=d.parent_id, latitude=d.latitude, longitude=d.longitude,  # type: ignore[attr-defined]
    )


@router.get("/divisions/{code}", response=DivisionOut, summary="One division by GB/T 2260 code")
def division_detail(request: HttpRequest, code: str) -> DivisionOut:
    return _out(selectors.division_get(code))


@router.get("/divisions/{code}/children", response=list[DivisionOut],
            summary="The divisions directly below one division")
def division_children(request: HttpRequest, code: str) -> list[DivisionOut]:
    selectors.division_get(code)
    return [_out(d) for d in selectors.division_children(code)]
