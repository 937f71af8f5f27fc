from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "ekseva.geo"
    label = "geo"
