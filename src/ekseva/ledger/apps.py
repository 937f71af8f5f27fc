from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ekseva.ledger"
    label = "ledger"
    verbose_name = "Ledger"
