"""How a person outside the viewer's jurisdiction is shown on a chain or a contact list that
crosses divisions: initials, age band and county, never personal data (issue 5, "Across
divisions"). The links stay visible; only the person is replaced.

    person_label(viewer, division_code=..., name=..., age_years=..., sex=...)
    → PersonLabel(pseudonymised=True, text="ZSM · 30–39 岁 · 汉阳区", ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from shouwang.core.scoping import in_jurisdiction

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User


def initials(name: str) -> str:
    """Upper-case pinyin initials of a Chinese name (张三明 → ZSM); Latin names give the first
    letter of each word (John Smith → JS). At most four letters."""
    text = (name or "").strip()
    if not text:
        return "?"
    if text.isascii():
        return "".join(word[0] for word in text.split() if word[:1].isalpha()).upper()[:4] or "?"
    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(letter[:1] for letter in letters).upper()[:4] or "?"


def age_band(age_years: int | None) -> str:
    """Ten-year bands (0–9, 10–19 … 80+); "年龄不详" when unknown."""
    if age_years is None:
        return _("年龄不详")
    if age_years >= 80:
        return _("80 岁及以上")
    low = (age_years // 10) * 10
    return _("%(low)d–%(high)d 岁") % {"low": low, "high": low + 9}


def county_code_of(division_code: str) -> str:
    """The county a code lies in (its first six digits): a pseudonym never says more."""
    return (division_code or "")[:6]


@dataclass(frozen=True)
class PersonLabel:
    pseudonymised: bool
    text: str
    initials: str
    age_band: str
    # The county (six digits) for a pseudonymised person, the full code otherwise.
    division_code: str


def person_label(viewer: User | AnonymousUser | None, *, division_code: str, name: str,
                 age_years: int | None, county_name: str = "") -> PersonLabel:
    """The name itself when the person's division is in the viewer's jurisdiction; otherwise
    initials · age band · county. `county_name` is the county's name for the text (the caller
    looks names up in bulk with geo.selectors.division_names)."""
    band = age_band(age_years)
    marks = initials(name)
    if in_jurisdiction(viewer, division_code):
        return PersonLabel(False, name, marks, band, division_code)
    county = county_code_of(division_code)
    text = " · ".join(part for part in (marks, band, county_name or county) if part)
    return PersonLabel(True, text, marks, band, county)
