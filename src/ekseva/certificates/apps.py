from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "ekseva.certificates"
    label = "certificates"
    verbose_name = "Certificates"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
