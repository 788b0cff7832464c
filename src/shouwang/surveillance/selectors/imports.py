"""Reads of import batches, scoped by the batch's division (the importer's jurisdiction)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from shouwang.core.scoping import get_scoped_or_404, scoped
from shouwang.surveillance.models import ImportBatch

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from shouwang.accounts.models import User


def import_batch_list(*, user: User | AnonymousUser) -> QuerySet[ImportBatch]:
    """The batches of the user's jurisdiction, newest first (a county's batches are seen by the
    county and every level above it, never by a sibling county)."""
    return scoped(ImportBatch.objects.select_related("owner", "job"), user)


def import_batch_get(*, user: User | AnonymousUser, batch_id: int) -> ImportBatch:
    """One batch of the user's jurisdiction; Http404 otherwise (also for a sibling's batch)."""
    return get_scoped_or_404(ImportBatch.objects.select_related("owner", "job"), user,
                             pk=batch_id)
