"""Tracing views (one module per part; see tracing/models.py)."""
