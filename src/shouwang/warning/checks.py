"""Django system checks: the early-warning settings are read when the nightly or escalation job
runs; a bad value should stop `shouwang check`, `migrate` and `serve` instead, before a night is
lost to it."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.compatibility)
def warning_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from shouwang.warning.services.alerts import max_escalation
    from shouwang.warning.services.nightly_config import nightly_settings, serial_intervals

    errors: list[checks.CheckMessage] = []
    for check_id, read in (("shouwang.warning.E001", nightly_settings),
                           ("shouwang.warning.E002", max_escalation),
                           ("shouwang.warning.E003", serial_intervals)):
        try:
            read()
        except (ImproperlyConfigured, ValueError, TypeError) as error:
            errors.append(checks.Error(str(error), id=check_id))
    return errors
