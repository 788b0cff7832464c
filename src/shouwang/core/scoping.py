"""Jurisdiction scoping: the one implementation every selector uses.

A user is bound to one division; the user may see a record when the record's division code starts
with the user's jurisdiction prefix (GB/T 2260 codes nest by prefix: province 2 digits, prefecture
4, county 6, township 9, village 12; the nation has the empty prefix). A record outside answers
404, never 403, so that its existence does not leak.

The prefix test is written as a half-open range on the code column (`prefix <= code < next`) so
that it uses the column's B-tree index on SQLite and PostgreSQL alike, whatever the collation:
codes are digits only, and every collation orders digit strings the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User

M = TypeVar("M", bound=Model)


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest digit string greater than every string that starts with `prefix`.

    None when no bound is needed (empty prefix, or all nines).
    """
    if not prefix or set(prefix) == {"9"}:
        return None
    if not prefix.isdigit():
        raise ValueError(f"division prefix must be digits, got {prefix!r}")
    return str(int(prefix) + 1).zfill(len(prefix))


def prefix_q(field: str, prefix: str) -> Q:
    """A Q object matching rows whose `field` starts with the digit string `prefix`."""
    if not prefix:
        return Q()
    upper = prefix_upper_bound(prefix)
    q = Q(**{f"{field}__gte": prefix})
    if upper is not None:
        q &= Q(**{f"{field}__lt": upper})
    return q


def jurisdiction_prefix(user: User | AnonymousUser | None) -> str | None:
    """The user's prefix, or None when the user may see nothing (anonymous, inactive, unbound)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    division = getattr(user, "division", None)
    if division is None:
        return None
    prefix: str = division.prefix
    return prefix


def scoped(
    queryset: QuerySet[M], user: User | AnonymousUser | None, field: str = "division_code"
) -> QuerySet[M]:
    """Restrict `queryset` to the rows inside the user's jurisdiction."""
    prefix = jurisdiction_prefix(user)
    if prefix is None:
        return queryset.none()
    if not prefix:
        return queryset
    return queryset.filter(prefix_q(field, prefix))


def get_scoped_or_404(
    queryset: QuerySet[M],
    user: User | AnonymousUser | None,
    field: str = "division_code",
    **lookup: Any,
) -> M:
    """One record inside the user's jurisdiction, or Http404 (also when it exists elsewhere)."""
    model: Any = queryset.model
    try:
        return scoped(queryset, user, field).get(**lookup)
    except (model.DoesNotExist, model.MultipleObjectsReturned, ValueError):
        raise Http404 from None


def in_jurisdiction(user: User | AnonymousUser | None, division_code: str) -> bool:
    prefix = jurisdiction_prefix(user)
    return prefix is not None and division_code.startswith(prefix)
