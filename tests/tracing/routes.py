"""Tracing routes for the jurisdiction walker (tests/test_jurisdiction.py).

Each engineer of the tracing app appends their own registrations in their own section below.
"""

from __future__ import annotations

from tests.jurisdiction import scoped_route, unscoped_route  # noqa: F401

# --- Investigations, exposures, settings, clusters --------------------------------------------

# --- Contacts, hand-overs, follow-ups ----------------------------------------------------------

# --- Transmission links and chains ------------------------------------------------------------

# --- Flows and imports ------------------------------------------------------------------------
