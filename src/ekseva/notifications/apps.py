from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ekseva.notifications"
    label = "notifications"
