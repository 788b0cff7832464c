"""Early-warning services: writes only (nightly computation, alert workflow, notifications)."""
