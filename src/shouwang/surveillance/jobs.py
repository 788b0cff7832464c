"""The surveillance job kinds, found by `core.jobs.job_kinds()` (autodiscovery of `jobs` modules).

Each sub-domain registers its kinds when its services module is imported; one import a line.
"""

from shouwang.surveillance.services import exports  # noqa: F401  # registers "case_export"
