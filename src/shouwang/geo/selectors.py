"""Reads of divisions. Divisions are public reference data: everyone may read every division."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from shouwang.geo.models import Division


def division_get(code: str) -> Division:
    try:
        return Division.objects.select_related("parent").get(code=code)
    except Division.DoesNotExist:
        raise Http404 from None


def division_children(code: str) -> QuerySet[Division]:
    return Division.objects.filter(parent_id=code).order_by("code")
