"""Tracing api (one module per part; see tracing/models.py)."""
