"""Early-warning pages."""
