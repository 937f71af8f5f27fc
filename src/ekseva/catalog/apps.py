from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ekseva.catalog"
    label = "catalog"
