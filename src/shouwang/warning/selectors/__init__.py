"""Early-warning selectors: reads only, scoped by jurisdiction."""
