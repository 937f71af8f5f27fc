from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ekseva.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import templates  # noqa: F401 - registers the platform's templates
