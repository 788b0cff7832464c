from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Zoned, graded control (分区分级): daily area risk levels with the rule that produced them,
    overrides, publication, the public risk map, and the travel rules that follow (issue 6).
    The rules themselves are pure functions in shouwang.epi.risk_rules."""

    name = "shouwang.risk"
    label = "risk"
    verbose_name = "Risk"
