"""The notifiable-disease list (reference data, the same for every user: not scoped)."""

from __future__ import annotations

from django.db.models import QuerySet

from shouwang.surveillance.models import Disease


def disease_list(*, active_only: bool = True) -> QuerySet[Disease]:
    """Diseases in the list's order; inactive ones too when asked (history shows them)."""
    qs = Disease.objects.all()
    return qs.filter(active=True) if active_only else qs


def disease_name(code: str) -> str | None:
    """The Chinese name of a disease code, or None when there is no such disease."""
    name: str | None = Disease.objects.filter(code=code).values_list("name", flat=True).first()
    return name
