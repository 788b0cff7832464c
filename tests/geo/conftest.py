from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction


@pytest.fixture(scope="module")
def real_divisions(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Every real division, loaded once per test module through the real service.

    The load runs inside a transaction that is rolled back after the module, so nothing leaks
    into other modules (nor the audit row, which no code may delete); each test's own
    transaction nests inside it as a savepoint.
    """
    from shouwang.geo.services import divisions_load

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            divisions_load(actor=None)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
