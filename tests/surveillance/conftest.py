"""Fixtures shared by the surveillance tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Messages are asserted in Chinese; a request in English must not leak into the next test."""
    with translation.override(django_settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    """Uploaded, error and export files go to the test's own directory."""
    settings.VAR_DIR = tmp_path
    return tmp_path
