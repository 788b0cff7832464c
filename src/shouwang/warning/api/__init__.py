"""Early-warning API routers (mounted in shouwang.api.api)."""
