"""The surveillance routers, one module per sub-domain, mounted in shouwang.api.api."""
