from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "shouwang.geo"
    label = "geo"
    verbose_name = "Divisions"
