from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "ekseva.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from . import gateways, permissions, purposes

        gateways.load_builtin()
        purposes.load_builtin()
        permissions.register()
