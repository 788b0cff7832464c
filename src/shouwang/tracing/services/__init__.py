"""Tracing services (one module per part; see tracing/models.py)."""
