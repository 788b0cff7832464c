"""Fixtures for the personal-data tests: fixed keys, and the test model's table."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from django.test import override_settings

from shouwang.core import crypto
from tests.core.testapp.models import create_tables, drop_tables


def b64(seed: int, size: int = 32) -> str:
    return base64.b64encode(bytes([seed]) * size).decode()


KEY_A = f"ka:{b64(1)}"
KEY_B = f"kb:{b64(2)}"
LOOKUP = b64(9)


@pytest.fixture
def keys() -> Iterator[None]:
    """Key ring `ka` (encrypts) with a fixed lookup key; no files involved."""
    with override_settings(PERSONAL_DATA_KEYS=KEY_A, PERSONAL_LOOKUP_KEY=LOOKUP):
        yield
    crypto.clear_key_cache()


@pytest.fixture(scope="session")
def _testapp_tables(django_db_setup: None, django_db_blocker: object) -> Iterator[None]:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        create_tables()
    yield
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        drop_tables()


@pytest.fixture
def person_table(_testapp_tables: None, db: None, keys: None) -> None:
    """The test model's table exists (created once per session) and the keys are fixed."""
