"""Households and members for the signals tests (the shared factory may replace this)."""

from __future__ import annotations

from shouwang.core.validators import resident_id_check_char
from shouwang.livelihood.models import Household, Member


def resident_id(seq: int, region: str = "420111", birth: str = "19800101") -> str:
    body = f"{region}{birth}{seq:03d}"
    return body + resident_id_check_char(body)


def household_with_head(number: str, division_code: str = "420111001001",
                        head_seq: int = 1) -> tuple[Household, Member]:
    household = Household.objects.create(household_number=number, division_code=division_code)
    head = Member.objects.create(household=household, name="王芳", relationship="head",
                                 id_type="resident_id", id_number=resident_id(head_seq))
    return household, head
