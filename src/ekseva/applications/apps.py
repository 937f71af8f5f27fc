from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "ekseva.applications"
    label = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
