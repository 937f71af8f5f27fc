from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ekseva.catalog"
    label = "catalog"

    def ready(self) -> None:
        from ekseva.accounts.models import Role
        from ekseva.accounts.permissions import allow, register_rule

        # Configuring services (drafts, publishing, comparing) is operator staff's job.
        register_rule("catalog.configure", allow(Role.OPERATOR_STAFF))
