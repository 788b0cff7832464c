"""Reads of divisions. Divisions are public reference data: everyone may read every division."""

from __future__ import annotations

import threading
from datetime import datetime

from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils.functional import Promise

from shouwang.geo.address import AddressIndex, IndexEntry, NormalizedAddress, normalize_address
from shouwang.geo.models import Division, Level


def division_get(code: str) -> Division:
    try:
        return Division.objects.select_related("parent").get(code=code)
    except Division.DoesNotExist:
        raise Http404 from None


def division_children(code: str) -> QuerySet[Division]:
    """The divisions directly below, each with `n_children` (how many lie below it)."""
    return (Division.objects.filter(parent_id=code).annotate(n_children=Count("children"))
            .order_by("code"))


def division_list(*, level: str | None = None, parent: str | None = None) -> QuerySet[Division]:
    qs = Division.objects.all().order_by("code")
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs


def division_path(division: Division) -> list[Division]:
    """The division's ancestors from the nation down to the division itself (one query per level,
    at most six)."""
    path = [division]
    current = division
    while current.parent_id is not None:
        current = Division.objects.only("code", "name", "name_en", "level", "parent_id").get(
            code=current.parent_id)
        path.append(current)
    return path[::-1]


def division_stats() -> list[tuple[str, str | Promise, int]]:
    """`(level, label, count)` for every level, nation first, in one query."""
    counts = dict(Division.objects.values_list("level").annotate(n=Count("code")).order_by())
    return [(level.value, level.label, counts.get(level.value, 0)) for level in Level]


# --- The address index ----------------------------------------------------------------------

_index_lock = threading.Lock()
_index_cache: dict[str, tuple[tuple[int, datetime | None], AddressIndex]] = {}


def _signature() -> tuple[int, datetime | None]:
    # Loads stamp updated_at on every row they touch; a deletion changes the count.
    agg = Division.objects.aggregate(n=Count("code"), latest=Max("updated_at"))
    return int(agg["n"]), agg["latest"]


def address_index() -> AddressIndex:
    """The in-memory index over the Division table, built once per process and rebuilt when the
    table has changed since (one cheap aggregate query per call)."""
    sig = _signature()
    cached = _index_cache.get("index")
    if cached is not None and cached[0] == sig:
        return cached[1]
    with _index_lock:
        cached = _index_cache.get("index")
        if cached is not None and cached[0] == sig:
            return cached[1]
        rows = Division.objects.values_list("code", "name", "level", "parent_id").order_by("code")
        index = AddressIndex([IndexEntry(c, n, lv, p) for c, n, lv, p in rows.iterator(5000)])
        _index_cache["index"] = (sig, index)
        return index


def address_normalize(text: str) -> NormalizedAddress:
    return normalize_address(text, address_index())


def division_names(codes: list[str]) -> dict[str, str]:
    """`{code: name}` for the given codes, from the address index (no query)."""
    index = _index_cache.get("index")
    entries = index[1].entries if index else {}
    missing = [c for c in codes if c not in entries]
    names = {c: entries[c].name for c in codes if c in entries}
    if missing:
        names.update(Division.objects.filter(code__in=missing).values_list("code", "name"))
    return names
