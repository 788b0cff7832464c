"""Tracing selectors (one module per part; see tracing/models.py)."""
