from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "shouwang.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from shouwang.accounts import signals  # noqa: F401  (connects the audit receivers)
