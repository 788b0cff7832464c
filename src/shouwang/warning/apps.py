from django.apps import AppConfig


class WarningConfig(AppConfig):
    """Early warning: the nightly job, its stored results, alerts and their workflow."""

    name = "shouwang.warning"
    label = "warning"
    verbose_name = "Early warning"

    def ready(self) -> None:
        from shouwang.warning import checks  # noqa: F401  # registers the settings checks
