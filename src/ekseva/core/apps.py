from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ekseva.core"
    label = "core"
    verbose_name = "Core"
