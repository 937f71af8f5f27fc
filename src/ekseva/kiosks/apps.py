from django.apps import AppConfig


class KiosksConfig(AppConfig):
    name = "ekseva.kiosks"
    label = "kiosks"
    verbose_name = "Kiosks"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
