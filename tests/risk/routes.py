"""Risk routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the risk app appends their own registrations in their own section below.
Public routes (no login, no personal data) are `unscoped_route` with the reason.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401
