from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    name = "ekseva.workflow"
    label = "workflow"
    verbose_name = "Back office"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
