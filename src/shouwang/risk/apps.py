from typing import Any

from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Zoned, graded control (分区分级): daily area risk levels with the rule that produced them,
    overrides, publication, the public risk map, and the travel rules that follow (issue 6).
    The rules themselves are pure functions in shouwang.epi.risk_rules."""

    name = "shouwang.risk"
    label = "risk"
    verbose_name = "Risk"
    # Messages of the rule-kind modules (settings.SHOUWANG_RISK_RULE_KINDS) that failed to
    # import at start-up; the system check `risk_rule_kinds` reports them (decision 1120).
    rule_kind_problems: list[str]

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks

        from shouwang.risk.services.rulesets import load_rule_kinds

        paths: Any = getattr(settings, "SHOUWANG_RISK_RULE_KINDS", ())
        if isinstance(paths, str):
            paths = [p for p in paths.split(",") if p.strip()]
        if not isinstance(paths, (list, tuple)):
            self.rule_kind_problems = [
                "SHOUWANG_RISK_RULE_KINDS must be a list of dotted module paths"]
        else:
            self.rule_kind_problems = load_rule_kinds(paths)
        checks.register(risk_rule_kinds, checks.Tags.compatibility)


def risk_rule_kinds(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """A rule kind named in the settings that cannot be imported stops `shouwang check`,
    `migrate` and `serve`, instead of failing the first night that needs it."""
    from django.apps import apps
    from django.core import checks

    config = apps.get_app_config("risk")
    return [checks.Error(problem, id="shouwang.risk.E001",
                         hint="Fix the module path or remove it from SHOUWANG_RISK_RULE_KINDS.")
            for problem in getattr(config, "rule_kind_problems", [])]
