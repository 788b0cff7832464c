"""Early-warning routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the warning app appends their own registrations below.
"""

from __future__ import annotations
