from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "ekseva.catalog"
    label = "catalog"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from ekseva.accounts import workspace
        from ekseva.accounts.models import Role
        from ekseva.accounts.permissions import allow, register_rule

        # Configuring services (drafts, publishing, comparing) is operator staff's job.
        register_rule("catalog.configure", allow(Role.OPERATOR_STAFF))
        workspace.register(
            workspace.Link(
                "catalog.manage",
                _("Service catalogue"),
                "catalog:manage:index",
                "catalog.configure",
                order=30,
                hint=_("Draft, compare and publish service versions"),
            )
        )
