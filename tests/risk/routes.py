"""Risk routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the risk app appends their own registrations in their own section below.
Public routes (no login, no personal data) are `unscoped_route` with the reason.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401

# --- public pages (views/public.py; decision 1130) --------------------------------------------
unscoped_route("risk-public:province",
               "the public map zoomed into a province: published levels and division names "
               "only, open to anyone without login")
