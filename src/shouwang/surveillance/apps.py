from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "shouwang.surveillance"
    label = "surveillance"
    verbose_name = "Surveillance"

    def ready(self) -> None:
        # Registers the "case_import" job kind, so any worker can run a queued import.
        from shouwang.surveillance.services import imports  # noqa: F401
