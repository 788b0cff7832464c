from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "shouwang.surveillance"
    label = "surveillance"
    verbose_name = "Surveillance"
