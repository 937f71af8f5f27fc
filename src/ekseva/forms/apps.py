from django.apps import AppConfig


class FormsConfig(AppConfig):
    name = "ekseva.forms"
    label = "forms"
