from django.apps import AppConfig


class LivelihoodConfig(AppConfig):
    """Relapse-into-poverty monitoring and assistance (防返贫监测帮扶, issue 7): households and
    members, income and spending, signals from three sources, monitoring flags with the rule
    and numbers behind them, assistance until the risk is gone. The rules are pure functions
    in shouwang.epi.livelihood_rules."""

    name = "shouwang.livelihood"
    label = "livelihood"
    verbose_name = "Livelihood"
