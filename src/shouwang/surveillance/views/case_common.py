"""What the case pages share: reading the line list's filters from a query string, field errors
from a service, division names for a page of rows, the masked person of a duplicate pair."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouwang.core.validators import query_date
from shouwang.geo.selectors import division_names
from shouwang.surveillance.models import (
    CaseReport,
    CaseStatus,
    Classification,
    DateBasis,
    Disease,
)
from shouwang.surveillance.selectors.diseases import disease_list
from shouwang.surveillance.services.exports import mask_id_number, mask_name, mask_phone

# The date basis of the line list's range, and the CaseFilters fields it fills.
BASIS_FIELDS = {
    DateBasis.ONSET: ("onset_from", "onset_to"),
    DateBasis.DIAGNOSIS: ("diagnosed_from", "diagnosed_to"),
    DateBasis.REPORT: ("reported_from", "reported_to"),
}
TRI = {"1": True, "0": False}
Errors = dict[str, list[str]]


@dataclass(frozen=True)
class ListQuery:
    """The line list's filters as the user typed them (to fill the form again) and as
    CaseFilters keywords (for the selector and the export)."""

    raw: dict[str, str]
    filters: dict[str, Any]
    errors: Errors


def read_list_query(get: QueryDict) -> ListQuery:
    keys = ("disease", "classification", "status", "division_code", "basis", "since", "until",
            "imported", "verified", "late")
    raw = {k: (get.get(k) or "").strip() for k in keys}
    raw["status"] = raw["status"] or CaseStatus.ACTIVE
    raw["basis"] = raw["basis"] if raw["basis"] in BASIS_FIELDS else DateBasis.REPORT
    errors: Errors = {}
    filters: dict[str, Any] = {"status": raw["status"]}
    if raw["status"] not in {*CaseStatus.values, "all"}:
        errors["status"] = [_("取值无效。")]
    if raw["classification"]:
        if raw["classification"] in Classification.values:
            filters["classification"] = raw["classification"]
        else:
            errors["classification"] = [_("取值无效。")]
    if raw["disease"]:
        filters["disease"] = raw["disease"]
    if raw["division_code"]:
        if raw["division_code"].isascii() and raw["division_code"].isdigit():
            filters["division_code"] = raw["division_code"]
        else:
            errors["division_code"] = [_("区划代码应为数字。")]
    start, end = BASIS_FIELDS[DateBasis(raw["basis"])]
    since = query_date(raw["since"], "since", errors)
    until = query_date(raw["until"], "until", errors)
    if since and until and until < since:
        errors["until"] = [_("结束日期不能早于开始日期。")]
    if since:
        filters[start] = since
    if until:
        filters[end] = until
    for key in ("imported", "verified", "late"):
        if raw[key] in TRI:
            filters[key] = TRI[raw[key]]
    return ListQuery(raw=raw, filters=filters, errors=errors)


def disease_label(disease: Disease) -> str:
    """A disease's name in the page's language (the list is data: both names are stored)."""
    english = (get_language() or "").startswith("en")
    return disease.name_en if english and disease.name_en else disease.name


def disease_choices() -> list[tuple[str, str]]:
    return [(d.code, disease_label(d)) for d in disease_list()]


def names_for(codes: Iterable[str]) -> dict[str, str]:
    """Division names for the codes on one page: one query."""
    return division_names(sorted({c for c in codes if c}))


def masked_person(case: CaseReport) -> Mapping[str, str]:
    """The person of a report as the duplicate review shows it: enough to judge, not to copy
    (the masks of the export: 张*, 138****8000, 420106********1234)."""
    return {
        "name": mask_name(case.name),
        "id_number": mask_id_number(case.id_number),
        "phone": mask_phone(case.phone),
    }
