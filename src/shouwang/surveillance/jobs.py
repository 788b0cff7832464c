"""The surveillance job kinds, found by `core.jobs.job_kinds()` (autodiscovery of `jobs` modules).

Each sub-domain registers its kinds when its services module is imported (`case_export` in
services/exports.py, the import job in services/imports.py).
"""

from shouwang.surveillance.services import exports, imports

__all__ = ["exports", "imports"]
