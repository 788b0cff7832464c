"""Households and members for the signals tests, through the shared factory (the registry's
services): a household with a head whose ID number is known to the test."""

from __future__ import annotations

from shouwang.core.validators import resident_id_check_char
from shouwang.geo.models import Division, Level
from shouwang.livelihood.models import Household, Member, Relationship
from tests.livelihood.factories import make_household


def resident_id(seq: int, region: str = "420111", birth: str = "19800101") -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + resident_id_check_char(body)


def _ensure_division(code: str) -> None:
    """Villages and townships below the sample counties, made up for these tests."""
    if len(code) <= 6 or Division.objects.filter(code=code).exists():
        return
    parent = code[:9] if len(code) == 12 else code[:6]
    _ensure_division(parent)
    Division.objects.create(code=code, name=f"测试{code[-3:]}", name_en=f"Test {code[-3:]}",
                            level=Level.VILLAGE if len(code) == 12 else Level.TOWNSHIP,
                            parent_id=parent)


def household_with_head(number: str, division_code: str = "420111001001",
                        head_seq: int = 1) -> tuple[Household, Member]:
    _ensure_division(division_code)
    household = make_household(division_code, household_number=number, members=[
        {"name": "王芳", "relationship": "head", "id_type": "resident_id",
         "id_number": resident_id(head_seq)}])
    head = Member.objects.get(household=household, relationship=Relationship.HEAD)
    return household, head
