from django.apps import AppConfig


class TracingConfig(AppConfig):
    """Epidemiological investigation and source tracing: contacts, exposures, clusters and
    transmission chains (issue 5). The chain statistics are in shouwang.epi.chains."""

    name = "shouwang.tracing"
    label = "tracing"
    verbose_name = "Tracing"
