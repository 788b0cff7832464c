"""Livelihood routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the livelihood app appends their own registrations in their own section below.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401
