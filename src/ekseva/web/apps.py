from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ekseva.web"
    label = "web"
