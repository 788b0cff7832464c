from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shouwang.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registers the personal-data key checks (shouwang.E200) even before any model that uses
        # the encrypted fields is imported.
        from shouwang.core import crypto  # noqa: F401
